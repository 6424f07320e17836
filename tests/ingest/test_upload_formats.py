"""Each accepted format lands as a new version, with the report saying what was read."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from tests.ingest.conftest import post_file, snapshot
from tests.ingest.files import (
    NAMES,
    flatgeobuf_file,
    gcj02_dongsheng_geojson,
    geojson_seq,
    kml_file,
    multi_layer_gpkg,
    points_csv,
    shapefile_zip,
    towns_frame,
)

UPLOAD = "/collections/towns/uploads"


@pytest.mark.parametrize("cpg", ["GBK", None], ids=["with-cpg", "without-cpg"])
def test_gbk_shapefile_keeps_chinese_names(client, keys, tmp_path, cpg):
    path = shapefile_zip(tmp_path, towns_frame(), encoding="GBK", cpg=cpg)
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["encoding"]["how"] == ("cpg" if cpg else "detected")
    assert report["encoding"]["name"] in ("GBK", "GB18030")
    assert report["version"]["version"] == 2
    assert report["version"]["author"] == "editor-tester"
    names = [f["properties"]["name_zh"] for f in snapshot(client, "towns")[1]]
    assert sorted(names) == sorted(NAMES)


def test_gauss_kruger_flatgeobuf_is_reprojected_and_named(client, keys, tmp_path):
    r = post_file(client, UPLOAD, flatgeobuf_file(tmp_path, "EPSG:4546"), keys["editor"])
    assert r.status_code == 201, r.text
    crs = r.json()["crs"]
    assert crs["source"] == "EPSG:4546"
    assert "CM 111E" in crs["family"]
    west, _, _, north = r.json()["bounds"]
    assert west == pytest.approx(109.9, abs=1e-6) and north == pytest.approx(39.85, abs=1e-6)


def test_csv_points_create_a_layer(client, keys, tmp_path):
    r = post_file(
        client, "/collections", points_csv(tmp_path, gbk=True), keys["admin"], id="villages_up"
    )
    assert r.status_code == 201, r.text
    assert r.json()["encoding"]["name"] == "GB18030"
    assert any(w["rule"] == "crs-assumed" for w in r.json()["warnings"])
    items = client.get("/collections/villages_up/items").json()["features"]
    assert items[0]["geometry"]["type"] == "Point"
    assert {f["properties"]["name_zh"] for f in items} == set(NAMES)


def test_multi_layer_geopackage_needs_a_layer_choice(client, keys, tmp_path):
    path = multi_layer_gpkg(tmp_path)
    before = snapshot(client, "towns")
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert r.status_code == 400
    assert "source_layer" in r.json()["description"] and "points" in r.json()["description"]
    assert snapshot(client, "towns") == before
    r = post_file(client, UPLOAD, path, keys["editor"], source_layer="towns")
    assert r.status_code == 201, r.text
    assert r.json()["source_layer"] == "towns"


def test_kml_and_geojson_seq_uploads(client, keys, tmp_path):
    r = post_file(client, "/collections", kml_file(tmp_path), keys["admin"], id="towns_kml")
    assert r.status_code == 201, r.text
    assert r.json()["format"] in ("KML", "LIBKML")
    r = post_file(client, UPLOAD, geojson_seq(tmp_path), keys["editor"], mode="append")
    assert r.status_code == 422  # same codes again: duplicate keys
    assert "key-duplicate" in r.text
    r = post_file(client, UPLOAD, geojson_seq(tmp_path), keys["editor"])
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "GeoJSONSeq"


def test_gcj02_boundary_is_spotted_and_converted_on_request(client, keys, tmp_path):
    path = gcj02_dongsheng_geojson(tmp_path)
    r = post_file(client, "/collections", path, keys["admin"], id="ds_gcj", dry_run="true")
    assert r.status_code == 200, r.text
    warning = next(w for w in r.json()["warnings"] if w["rule"] == "coordinate-offset")
    assert "GCJ02" in warning["message"] and "coordinate_system=gcj02" in warning["message"]
    r = post_file(
        client, "/collections", path, keys["admin"], id="ds_gcj", coordinate_system="gcj02"
    )
    assert r.status_code == 201, r.text
    assert not [w for w in r.json()["warnings"] if w["rule"] == "coordinate-offset"]
    stored = client.get("/collections/ds_gcj/items").json()["features"][0]
    code = stored["properties"]["code"]
    reference = client.get("/collections/district/items", params={"code": code}).json()
    back, truth = shape(stored["geometry"]), shape(reference["features"][0]["geometry"])
    assert back.hausdorff_distance(truth) < 2e-5  # about 2 m: the GCJ-02 inverse is exact


def test_dry_run_reports_without_writing(client, keys, tmp_path):
    before = snapshot(client, "towns")
    path = shapefile_zip(tmp_path, towns_frame(), cpg="GBK")
    r = post_file(client, UPLOAD, path, keys["editor"], dry_run="true")
    assert r.status_code == 200
    body = r.json()
    assert body["dry_run"] and body["accepted"] and body["version"] is None
    assert body["feature_count"] == 4 and body["geometry_types"] == {"Polygon": 4}
    assert snapshot(client, "towns") == before


def test_a_gbk_shapefile_declared_utf8_is_told_which_encoding_reads_it(client, keys, tmp_path):
    path = shapefile_zip(tmp_path, towns_frame(), encoding="GBK", cpg="GBK")
    before = snapshot(client, "towns")

    r = post_file(client, UPLOAD, path, keys["editor"], encoding="UTF-8")

    assert r.status_code == 422, r.text
    message = r.json()["description"]
    assert "not UTF-8" in message and "GBK/GB18030" in message and "encoding=GB18030" in message
    assert "damaged" not in message and "features 0..3 " in message
    assert snapshot(client, "towns") == before
