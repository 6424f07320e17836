"""field_map: a file's columns land in the attributes the uploader names."""

from __future__ import annotations

from tests.ingest.conftest import auth, post_file, snapshot
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


# -- a mapping saved for the layer --------------------------------------------

MAPPING = "编码=code,mc=name_zh,人口数=pop"


def test_a_saved_field_map_is_used_by_the_next_upload(client, keys, tmp_path):
    path = towns_in_chinese_columns(tmp_path)
    first = post_file(
        client, UPLOAD, path, keys["editor"], field_map=MAPPING, save_field_map="true"
    )
    assert first.status_code == 201, first.text
    assert first.json()["field_map"]["saved"] is True

    again = post_file(client, UPLOAD, path, keys["editor"])

    assert again.status_code == 201, again.text
    used = again.json()["field_map"]
    assert used["from"] == "saved" and used["field_map"]["mc"] == "name_zh"
    _, items = snapshot(client, "towns")
    assert sorted(f["properties"]["name_zh"] for f in items) == ["镇0", "镇1", "镇2"]
    shown = client.get("/collections/towns/field-map", headers=auth(keys["editor"]))
    assert shown.json()["field_map"] == {"编码": "code", "mc": "name_zh", "人口数": "pop"}


def test_an_upload_can_ignore_the_saved_field_map(client, keys, tmp_path):
    path = towns_in_chinese_columns(tmp_path)
    put = client.put(
        "/collections/towns/field-map",
        json={"field_map": {"编码": "code", "mc": "name_zh", "人口数": "pop"}},
        headers=auth(keys["editor"]),
    )
    assert put.status_code == 200, put.text

    r = post_file(client, UPLOAD, path, keys["editor"], dry_run="1", use_saved_field_map="false")

    report = r.json()
    assert "field_map" not in report and report["suggested_field_map"]


def test_a_saved_field_map_naming_what_the_layer_lacks_is_refused(client, keys, tmp_path):
    bad = client.put(
        "/collections/towns/field-map",
        json={"field_map": {"编码": "nosuch"}},
        headers=auth(keys["editor"]),
    )
    refused_upload = post_file(
        client,
        UPLOAD,
        towns_in_chinese_columns(tmp_path),
        keys["editor"],
        field_map="编码=nosuch",
        save_field_map="true",
    )
    no_map = post_file(
        client, UPLOAD, towns_in_chinese_columns(tmp_path), keys["editor"], save_field_map="1"
    )

    assert bad.status_code == 400 and "nosuch" in bad.json()["description"]
    assert refused_upload.status_code == 400
    assert no_map.status_code == 400 and "field_map" in no_map.json()["description"]
    missing = client.get("/collections/towns/field-map", headers=auth(keys["editor"]))
    assert missing.status_code == 404


def test_saved_field_maps_need_an_editor_key(client, keys):
    body = {"field_map": {"mc": "name_zh"}}
    assert client.put("/collections/towns/field-map", json=body).status_code == 401
    reader = client.put("/collections/towns/field-map", json=body, headers=auth(keys["reader"]))
    assert reader.status_code == 403
    gone = client.delete("/collections/towns/field-map", headers=auth(keys["editor"]))
    assert gone.status_code == 404
