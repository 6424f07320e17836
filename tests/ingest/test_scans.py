"""The scanners read each format's own structure the way GDAL does, record for record."""

from __future__ import annotations

import json
import shutil

import pytest

from geoservice.ingest import jsontext
from geoservice.ingest.scan_csv import scan_csv
from geoservice.ingest.scan_json import scan_geojson
from geoservice.ingest.scan_jsonseq import scan_geojson_seq
from geoservice.ingest.shapefile import scan_shapefile
from tests.ingest.conftest import post_file
from tests.ingest.damaged import _shapefile_folder, town_feature
from tests.ingest.files import feature_collection, towns_frame, zip_folder

LIMIT = 20_000


def test_features_split_across_reads_are_parsed_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(jsontext, "CHUNK", 97)  # every feature crosses a read
    features = [town_feature(i, name_zh="东胜" * (i % 7)) for i in range(60)]
    path = feature_collection(tmp_path, "towns.geojson", features)
    records = scan_geojson(path, path.name, LIMIT)
    assert records.count == 60 and not records.problems
    assert list(records.numbers) == list(range(60))


def test_member_order_and_single_features_are_read_like_gdal(tmp_path):
    path = tmp_path / "late_type.geojson"
    path.write_text(json.dumps({"features": [town_feature(0)], "type": "FeatureCollection"}))
    assert scan_geojson(path, path.name, LIMIT).count == 1
    path.write_text(json.dumps(town_feature(0)))
    assert scan_geojson(path, path.name, LIMIT).count == 1
    path.write_text(json.dumps({"type": "Point", "coordinates": [110, 39.8]}))
    assert scan_geojson(path, path.name, LIMIT).count == 1


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Topology", "objects": {}, "arcs": []},
        {"geometryType": "esriGeometryPoint", "features": [{"attributes": {"a": 1}}]},
    ],
    ids=["topojson", "esrijson"],
)
def test_other_json_formats_are_left_to_gdal(tmp_path, doc):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc))
    assert scan_geojson(path, path.name, LIMIT) is None


def test_a_character_cut_by_the_end_of_the_file_is_a_truncation(tmp_path):
    doc = {"type": "FeatureCollection", "features": [town_feature(0, name_zh="东胜区")]}
    data = json.dumps(doc, ensure_ascii=False).encode()
    path = tmp_path / "cut.geojson"
    path.write_bytes(data[: data.index("东".encode()) + 1])
    records = scan_geojson(path, path.name, LIMIT)
    assert records.fatal and records.problems[0].rule == "file-truncated"
    assert records.problems[0].number == 0


def test_rs_separated_sequences_number_records_by_their_first_line(tmp_path):
    records = [json.dumps(town_feature(i), indent=1) for i in range(3)]
    broken = '{"type": "Feature", "properties": {'
    text = "".join(f"\x1e{r}\n" for r in (records[0], broken, records[1], records[2]))
    path = tmp_path / "rs.geojsonl"
    path.write_text(text)
    found = scan_geojson_seq(path, path.name, LIMIT)
    lines = [1 + text[: text.index(r)].count("\n") for r in (records[0], records[1], records[2])]
    assert list(found.numbers) == lines
    (problem,) = found.problems
    assert problem.rule == "json-syntax" and problem.number == lines[0] + records[0].count("\n") + 1


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('name_zh,code,lon,lat\n"two\nlines",v1,110.1,39.8\n\n乙,v2,110.2,39.9\n')
    records = scan_csv(path, path.name, lonlat=("lon", "lat"), wkt=None, max_vertices=LIMIT)
    assert list(records.numbers) == [2, 5] and not records.problems and not records.hints


def test_shapefile_index_from_another_export_is_named(tmp_path):
    four = _shapefile_folder(tmp_path, towns_frame(), "four")
    round_towns = towns_frame()
    round_towns.geometry = [g.buffer(0.01, quad_segs=32) for g in round_towns.geometry]
    other = _shapefile_folder(tmp_path, round_towns, "round")
    shutil.copy(other / "towns.shx", four / "towns.shx")  # same count, other offsets

    records = scan_shapefile(four / "towns.shp", "towns.zip", LIMIT)

    assert {p.rule for p in records.problems} == {"shapefile-parts"}
    assert min(p.number for p in records.problems) == 1
    assert "the towns.shx entry of this record points" in records.problems[0].message
    assert not records.fatal


def test_features_a_little_outside_the_crs_area_are_accepted_with_a_warning(client, keys, tmp_path):
    frame = towns_frame()  # near 110°E; EPSG:4545 (CM 108E) covers 106.5°E-109.5°E
    folder = _shapefile_folder(tmp_path, frame.to_crs("EPSG:4545"), "cm108")
    r = post_file(
        client, "/collections/towns/uploads", zip_folder(folder, tmp_path / "z.zip"), keys["editor"]
    )
    assert r.status_code == 201, r.text
    warnings = [w for w in r.json()["warnings"] if w["rule"] == "crs-area"]
    assert len(warnings) == 4 and warnings[0]["record"] == 1
    assert "EPSG:4545" in warnings[0]["message"] and "106.5" in warnings[0]["message"]
