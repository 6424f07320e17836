"""A file cut short or damaged is never stored short: the count reported is the count
stored, and what GDAL used to skip silently is named by its line or record."""

from __future__ import annotations

import struct

import pytest

from geoservice.settings import UploadSettings
from tests.ingest.conftest import post_file, snapshot
from tests.ingest.damaged import _shapefile_folder, sequence_lines, town_feature
from tests.ingest.files import feature_collection, towns_frame, zip_folder

UPLOAD = "/collections/towns/uploads"


@pytest.fixture
def upload_limits(tmp_path) -> UploadSettings:
    """Limits that let 12 000 small features through."""
    return UploadSettings(max_features=20_000, work_dir=tmp_path / "work")


def test_dry_run_of_a_file_cut_to_a_third_is_not_accepted(client, keys, tmp_path):
    lines = sequence_lines(12_000)
    path = tmp_path / "towns.geojsonl"  # a third, cut inside line 4 001
    path.write_text("\n".join(lines[:4000]) + "\n" + lines[4000][:60], encoding="utf-8")
    before = snapshot(client, "towns")

    r = post_file(client, UPLOAD, path, keys["editor"], dry_run="true")

    assert r.status_code == 200, r.text
    report = r.json()
    assert report["accepted"] is False
    assert report["feature_count"] == 4_000
    (error,) = report["errors"]
    assert error["rule"] == "file-truncated" and error["line"] == 4_001
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert r.status_code == 422
    assert "towns.geojsonl, line 4001: the file ends in the middle" in r.json()["description"]
    assert snapshot(client, "towns") == before


def test_count_reported_is_count_stored_when_the_dbf_has_deleted_records(client, keys, tmp_path):
    folder = _shapefile_folder(tmp_path, towns_frame(), "deleted")
    dbf = folder / "towns.dbf"
    data = bytearray(dbf.read_bytes())
    header_len, record_len = struct.unpack("<HH", data[8:12])
    data[header_len + record_len] = ord("*")  # record 2 deleted, as ArcGIS leaves it
    dbf.write_bytes(bytes(data))

    r = post_file(client, UPLOAD, zip_folder(folder, tmp_path / "towns.zip"), keys["editor"])

    assert r.status_code == 201, r.text
    assert r.json()["feature_count"] == 3
    assert r.json()["version"]["feature_count"] == 3
    assert len(snapshot(client, "towns")[1]) == 3


def test_a_shapefile_error_names_the_record_as_the_attribute_table_counts(client, keys, tmp_path):
    frame = towns_frame()
    frame["pop"] = ["1000", "2000", "many", "4000"]
    folder = _shapefile_folder(tmp_path, frame, "typed")
    r = post_file(client, UPLOAD, zip_folder(folder, tmp_path / "t.zip"), keys["editor"])
    assert r.status_code == 422
    (error,) = r.json()["details"]["errors"]
    assert error["record"] == 3 and error["feature"] == 2
    assert "t.zip, record 3: 'pop' must be integer" in r.json()["description"]


def test_sequence_with_a_byte_order_mark_keeps_its_first_line(client, keys, tmp_path):
    path = tmp_path / "bom.geojsonl"
    path.write_text("\n".join(sequence_lines(4)) + "\n", encoding="utf-8-sig")
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert r.status_code == 201, r.text
    assert r.json()["feature_count"] == 4
    assert {f["properties"]["code"] for f in snapshot(client, "towns")[1]} == {
        "t00000",
        "t00001",
        "t00002",
        "t00003",
    }


def test_csv_saved_as_txt_is_read_as_csv(client, keys, tmp_path):
    path = tmp_path / "villages.txt"
    path.write_text("name_zh,code,lon,lat\n甲,v1,110.1,39.8\n乙,v2,110.2,39.9\n")
    r = post_file(client, "/collections", path, keys["admin"], id="villages_txt")
    assert r.status_code == 201, r.text
    assert r.json()["feature_count"] == 2


def test_csv_whose_last_row_has_no_line_break_is_accepted_with_a_warning(client, keys, tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text("name_zh,code,lon,lat\n甲,v1,110.1,39.8\n乙,v2,110.2,39.9")
    r = post_file(client, "/collections", path, keys["admin"], id="villages_end")
    assert r.status_code == 201, r.text
    (warning,) = [w for w in r.json()["warnings"] if w["rule"] == "file-end"]
    assert warning["line"] == 3


def test_unclosed_ring_is_closed_with_repair(client, keys, tmp_path):
    ring = [[110, 39.8], [110.01, 39.8], [110.01, 39.81], [110, 39.81]]
    feature = town_feature(0, {"type": "Polygon", "coordinates": [ring]})
    path = feature_collection(tmp_path, "unclosed.geojson", [feature])
    r = post_file(client, UPLOAD, path, keys["editor"], repair="true")
    assert r.status_code == 201, r.text
    (repair,) = r.json()["repairs"]
    assert repair["rule"] == "ring-closed" and repair["feature"] == 0
    stored = snapshot(client, "towns")[1][0]["geometry"]["coordinates"]
    assert stored[0][0][0] == stored[0][0][-1]


def test_messages_name_the_uploaded_file_never_a_server_path(
    client, keys, tmp_path, ingest_settings
):
    from tests.ingest.damaged import kml_cut

    r = post_file(client, UPLOAD, kml_cut(tmp_path), keys["editor"], name="村界.kml")
    assert r.status_code == 422
    text = r.json()["description"]
    assert "村界.kml" in text and "unclosed token" in text
    work = str(ingest_settings.uploads.work_dir)
    assert work not in r.text and "/tmp" not in r.text and "gs-ingest" not in r.text
