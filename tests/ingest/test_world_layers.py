"""Layers from the wider world upload as they are: Natural Earth-style countries.

The world countries layer is the most common test layer there is; it carries a
column ``NAME_EN`` (the planning attribute ``name_en`` in another case), edges a
floating-point hair past -180°, and Antarctica closing its ring along the pole.
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from tests.conftest import ROOT
from tests.ingest.conftest import post_file

# Natural Earth's Russia reaches -180.00000000000003; Antarctica's ring runs from
# (180, -90) to (-180, -90) along the pole.
HAIR_PAST = Polygon([(-180.00000000000003, 65), (-175, 65), (-175, 70), (-180, 70)])
ANTARCTICA = Polygon(
    [(-180, -90), (-180, -80), (-60, -75), (60, -75), (180, -80), (180, -90), (-180, -90)]
)
ITALY = Polygon([(7, 37), (18, 37), (18, 47), (7, 47)])


def country(client, code: str) -> dict:
    items = client.get("/collections/world/items", params={"filter": f"ADM0_A3 = '{code}'"})
    (feature,) = items.json()["features"]
    return feature


def countries_gpkg(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "ADM0_A3": ["RUS", "ATA", "ITA"],
            "NAME": ["Russia", "Antarctica", "Italy"],
            "NAME_EN": ["Russia", "Antarctica", "Italy"],
            "POP_EST": [144373535, 4490, 60297396],
        },
        geometry=[MultiPolygon([HAIR_PAST]), MultiPolygon([ANTARCTICA]), ITALY],
        crs="EPSG:4326",
    )
    path = tmp_path / "countries.gpkg"
    frame.to_file(path, layer="countries", driver="GPKG")
    return path


def test_a_countries_layer_with_name_en_becomes_a_new_layer(client, keys, tmp_path):
    r = post_file(
        client, "/collections", countries_gpkg(tmp_path), keys["admin"], id="world", key="ADM0_A3"
    )

    assert r.status_code == 201, r.text
    rules = {w["rule"] for w in r.json()["warnings"]}
    assert "coordinates-clamped" in rules
    items = client.get("/collections/world/items").json()["features"]
    assert {f["properties"]["name_en"] for f in items} == {"Russia", "Antarctica", "Italy"}
    layer = client.get("/collections/world/queryables").json()["properties"]
    assert "name_en" in layer and "NAME_EN" not in layer


def test_coordinates_a_hair_past_the_antimeridian_are_clamped_onto_it(client, keys, tmp_path):
    post_file(
        client, "/collections", countries_gpkg(tmp_path), keys["admin"], id="world", key="ADM0_A3"
    )

    russia = country(client, "RUS")
    west = shapely.geometry.shape(russia["geometry"]).bounds[0]
    assert west == -180.0


def test_a_ring_closing_along_the_pole_is_not_an_antimeridian_crossing(client, keys, tmp_path):
    post_file(
        client, "/collections", countries_gpkg(tmp_path), keys["admin"], id="world", key="ADM0_A3"
    )

    antarctica = country(client, "ATA")
    assert shapely.geometry.shape(antarctica["geometry"]).bounds == (-180.0, -90.0, 180.0, -75.0)


def test_coordinates_clearly_past_the_range_are_still_refused(client, keys, tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": ["x"]},
        geometry=[Polygon([(-180.5, 10), (-170, 10), (-170, 20), (-180.5, 20)])],
        crs="EPSG:4326",
    )
    path = tmp_path / "far.gpkg"
    frame.to_file(path, driver="GPKG")

    r = post_file(client, "/collections", path, keys["admin"], id="far")

    assert r.status_code == 422, r.text
    assert "coordinates-range" in r.text


def test_polygons_stored_as_multipolygons_are_reported(client, keys, tmp_path):
    frame = gpd.GeoDataFrame({"code": ["a"]}, geometry=[ITALY], crs="EPSG:4326")
    path = tmp_path / "one.geojson"
    frame.to_file(path, driver="GeoJSON")

    r = post_file(client, "/collections", path, keys["admin"], id="one_polygon")

    assert r.status_code == 201, r.text
    multi = [w for w in r.json()["warnings"] if w["rule"] == "geometry-multi"]
    assert multi and "Polygon" in multi[0]["message"] and "MultiPolygon" in multi[0]["message"]


def test_a_bad_new_layer_field_is_named_without_validator_internals(client, keys, tmp_path):
    frame = gpd.GeoDataFrame({"code": ["a"]}, geometry=[ITALY], crs="EPSG:4326")
    path = tmp_path / "one.geojson"
    frame.to_file(path, driver="GeoJSON")

    bad = {
        "kind": ("fortress", "kind"),
        "id": ("Bad Id", "layer id"),
        "storage_crs": ("EPSG:0", "crs"),
        "style": ("no_such_style", "style"),
    }
    for field, (value, named) in bad.items():
        fields = {"id": "new_one", field: value}
        r = post_file(client, "/collections", path, keys["admin"], **fields)

        assert r.status_code in (400, 422), r.text
        body = r.text
        assert "pydantic" not in body and "validation error for" not in body, body
        assert named in r.json()["description"].lower(), body


NATURAL_EARTH = ROOT / "tests" / "data" / "ne110m4cql2.gpkg"  # countries, places, rivers


def test_the_natural_earth_geopackage_uploads_as_it_is(client, keys):
    r = post_file(client, "/collections", NATURAL_EARTH, keys["admin"], id="ne", source_layer="*")

    assert r.status_code == 201, r.text
    made = {layer["layer"]["id"]: layer["feature_count"] for layer in r.json()["layers"]}
    assert made == {
        "ne_ne_110m_admin_0_countries": 177,
        "ne_ne_110m_populated_places_simple": 243,
        "ne_ne_110m_rivers_lake_centerlines": 13,
    }
    italy = client.get(
        "/collections/ne_ne_110m_admin_0_countries/items", params={"filter": "name_en = 'Italy'"}
    ).json()["features"]
    assert len(italy) == 1


def test_the_natural_earth_countries_upload_through_the_cli(tmp_path, catalog_dirs, monkeypatch):
    from typer.testing import CliRunner

    from geoservice.cli import app as cli

    layers, styles = catalog_dirs
    monkeypatch.setenv("GEOSERVICE_LAYERS_DIR", str(layers))
    monkeypatch.setenv("GEOSERVICE_STYLES_DIR", str(styles))
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    args = ["ingest", str(NATURAL_EARTH), "--layer", "world"]

    result = CliRunner().invoke(cli, [*args, "--source-layer", "ne_110m_admin_0_countries"])

    assert result.exit_code == 0, result.output
    assert "declared new layer 'world'" in result.output
