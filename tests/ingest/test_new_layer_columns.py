"""A new layer holds what the file holds: no columns of nobody's making.

GDAL gives every KML file columns of its own (``Name``, ``Description``; the LIBKML
driver eleven more), empty in most files; planning layers carry ``source``, and the
upload knows which file each feature came from.
"""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from tests.ingest.conftest import post_file

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>villages</name>
<Schema name="villages" id="villages"><SimpleField name="code" type="string"/></Schema>
<Placemark><name>哈巴格希村</name><ExtendedData><SchemaData schemaUrl="#villages">
<SimpleData name="code">150602001</SimpleData></SchemaData></ExtendedData>
<Point><coordinates>109.95,39.83</coordinates></Point></Placemark>
<Placemark><name>布日都村</name><ExtendedData><SchemaData schemaUrl="#villages">
<SimpleData name="code">150602002</SimpleData></SchemaData></ExtendedData>
<Point><coordinates>109.97,39.85</coordinates></Point></Placemark>
</Document></kml>
"""


def attributes(client, layer_id: str) -> set[str]:
    return set(client.get(f"/collections/{layer_id}/queryables").json()["properties"])


def rules(response) -> set[str]:
    return {w["rule"] for w in response.json()["warnings"]}


def test_a_kml_layer_leaves_out_the_columns_gdal_adds_empty(client, keys, tmp_path):
    path = tmp_path / "villages.kml"
    path.write_text(KML, encoding="utf-8")

    r = post_file(client, "/collections", path, keys["admin"], id="kml_villages")

    assert r.status_code == 201, r.text
    assert "attribute-empty" in rules(r)
    names = attributes(client, "kml_villages")
    assert "Description" not in names and "description" not in names
    assert {"Name", "code"} <= names
    items = client.get("/collections/kml_villages/items").json()["features"]
    assert {f["properties"]["Name"] for f in items} == {"哈巴格希村", "布日都村"}


def test_an_empty_column_named_in_field_types_is_kept(client, keys, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"], "remarks": [None, None]},
        geometry=[Point(109.9, 39.8), Point(110.0, 39.9)],
        crs="EPSG:4326",
    )
    path = tmp_path / "template.gpkg"
    frame.to_file(path, driver="GPKG")

    dropped = post_file(client, "/collections", path, keys["admin"], id="plain", dry_run="true")
    kept = post_file(
        client, "/collections", path, keys["admin"], id="kept", field_types="remarks=string"
    )

    assert "attribute-empty" in rules(dropped)
    assert "remarks" not in {a["name"] for a in dropped.json()["layer"]["attributes"]}
    assert kept.status_code == 201, kept.text
    assert "remarks" in attributes(client, "kept")


def test_a_new_planning_layer_says_which_file_each_feature_came_from(client, keys, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(109.9, 39.8), Point(110.0, 39.9)],
        crs="EPSG:4326",
    )
    path = tmp_path / "sites.gpkg"
    frame.to_file(path, driver="GPKG")

    r = post_file(client, "/collections", path, keys["admin"], id="sites", kind="services")

    assert r.status_code == 201, r.text
    items = client.get("/collections/sites/items").json()["features"]
    assert {f["properties"]["source"] for f in items} == {"uploaded file sites.gpkg"}
    assert all(f["properties"]["name_zh"] is None for f in items)


def test_a_file_with_its_own_source_column_keeps_its_values(client, keys, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["a"], "source": ["AMap POI 2018"]},
        geometry=[Point(109.9, 39.8)],
        crs="EPSG:4326",
    )
    path = tmp_path / "sourced.gpkg"
    frame.to_file(path, driver="GPKG")

    r = post_file(client, "/collections", path, keys["admin"], id="sourced", kind="services")

    assert r.status_code == 201, r.text
    (item,) = client.get("/collections/sourced/items").json()["features"]
    assert item["properties"]["source"] == "AMap POI 2018"
