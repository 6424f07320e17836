"""field_map: a file's columns land in the attributes the uploader names."""

from __future__ import annotations

from tests.ingest.conftest import post_file, snapshot
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection

UPLOAD = "/collections/towns/uploads"


def towns_in_chinese_columns(tmp_path):
    features = []
    for i in range(3):
        f = town_feature(i)
        p = f["properties"]
        f["properties"] = {"编码": p["code"], "mc": "镇" + str(i), "人口数": p["pop"]}
        features.append(f)
    return feature_collection(tmp_path, "towns.geojson", features)


def test_the_dry_run_suggests_a_field_map(client, keys, tmp_path):
    r = post_file(client, UPLOAD, towns_in_chinese_columns(tmp_path), keys["editor"], dry_run="1")

    report = r.json()["details"] if r.status_code != 200 else r.json()
    assert report["suggested_field_map"] == {"编码": "code", "mc": "name_zh", "人口数": "pop"}
    assert any("field_map=" in w["message"] for w in report["warnings"])


def test_a_field_map_puts_the_columns_into_the_attributes(client, keys, tmp_path):
    r = post_file(
        client,
        UPLOAD,
        towns_in_chinese_columns(tmp_path),
        keys["editor"],
        field_map="编码=code,mc=name_zh,人口数=pop",
    )

    assert r.status_code == 201, r.text
    _, items = snapshot(client, "towns")
    assert sorted(f["properties"]["name_zh"] for f in items) == ["镇0", "镇1", "镇2"]
    assert sorted(f["properties"]["pop"] for f in items) == [0, 1, 2]


def test_a_field_map_naming_what_does_not_exist_is_refused(client, keys, tmp_path):
    before = snapshot(client, "towns")
    for field_map, named in (("名字=name_zh", "名字"), ("编码=nosuch", "nosuch"), ("编码", "=")):
        r = post_file(
            client, UPLOAD, towns_in_chinese_columns(tmp_path), keys["editor"], field_map=field_map
        )

        assert r.status_code == 400, r.text
        assert "field_map" in r.json()["description"] and named in r.json()["description"]
    assert snapshot(client, "towns") == before


def test_a_dry_run_previews_its_first_features_as_they_would_be_stored(client, keys, tmp_path):
    features = [town_feature(i) for i in range(30)]
    path = feature_collection(tmp_path, "towns.geojson", features)

    r = post_file(client, UPLOAD, path, keys["editor"], dry_run="true")

    assert r.status_code == 200, r.text
    preview = r.json()["preview"]
    assert preview["type"] == "FeatureCollection" and len(preview["features"]) == 20
    first = preview["features"][0]
    assert first["properties"]["code"] == "t00000"
    assert first["geometry"]["type"] == "Polygon"
    lon, lat = first["geometry"]["coordinates"][0][0]
    assert 109 < lon < 111 and 39 < lat < 41
