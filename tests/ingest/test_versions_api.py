"""Versions: list, items of any version, diff, rollback, who and when."""

from __future__ import annotations

from tests.ingest.conftest import auth, post_file
from tests.ingest.files import shapefile_zip, towns_frame


def _second_version(client, keys, tmp_path):
    frame = towns_frame().iloc[1:].copy()  # drop town 0
    frame.loc[frame.index[0], "pop"] = 99  # change town 1
    frame.loc[len(frame) + 1] = {  # add a town
        "code": "150602009",
        "name_zh": "新镇",
        "pop": 5,
        "geometry": towns_frame().geometry.iloc[0].buffer(-0.001),
    }
    path = shapefile_zip(tmp_path, frame.set_crs(4326, allow_override=True))
    r = post_file(client, "/collections/towns/uploads", path, keys["editor"], message="fix pop")
    assert r.status_code == 201, r.text


def test_versions_record_who_when_and_how(client, keys, tmp_path):
    _second_version(client, keys, tmp_path)
    doc = client.get("/collections/towns/versions").json()
    assert doc["current"] == 2
    first, second = doc["versions"]
    assert first["author"] == "fixture" and second["author"] == "editor-tester"
    assert second["action"] == "upload" and "fix pop" in second["message"]
    assert second["created_at"] >= first["created_at"]
    old = client.get("/collections/towns/items", params={"version": 1}).json()
    assert {f["properties"]["code"] for f in old["features"]} == set(towns_frame()["code"])


def test_diff_matches_features_on_the_layer_key(client, keys, tmp_path):
    _second_version(client, keys, tmp_path)
    diff = client.get("/collections/towns/versions/1/diff", params={"to": 2}).json()
    assert diff["key"] == "code"
    assert diff["added"] == ["150602009"]
    assert diff["removed"] == ["150602000"]
    assert diff["changed"] == [{"key": "150602001", "properties": ["pop"], "geometry": False}]
    assert diff["counts"] == {"added": 1, "removed": 1, "changed": 1}


def test_rollback_makes_a_new_version_with_old_content(client, keys, tmp_path):
    _second_version(client, keys, tmp_path)
    r = client.post("/collections/towns/versions/1/rollback", headers=auth(keys["editor"]))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 3 and r.json()["action"] == "rollback"
    assert r.headers["location"].endswith("/collections/towns/versions/3")
    current = client.get("/collections/towns/items", params={"limit": 100}).json()["features"]
    old = client.get("/collections/towns/items", params={"version": 1, "limit": 100}).json()
    assert current == old["features"]
    diff = client.get("/collections/towns/versions/1/diff").json()
    assert diff["counts"] == {"added": 0, "removed": 0, "changed": 0}
    assert len(client.get("/collections/towns/versions").json()["versions"]) == 3


def test_unknown_versions_are_404(client, keys):
    assert client.get("/collections/towns/versions/9").status_code == 404
    r = client.post("/collections/towns/versions/9/rollback", headers=auth(keys["editor"]))
    assert r.status_code == 404
    assert client.get("/collections/towns/versions/9/diff").status_code == 404
