"""on_error=skip: the valid features are stored, the bad ones come back as a file."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pytest

from tests.ingest.conftest import auth, post_file, snapshot
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection

UPLOAD = "/collections/towns/uploads"


def towns_with_two_bad(tmp_path):
    features = [town_feature(i) for i in range(6)]
    features[2]["properties"]["pop"] = "many"  # not an integer
    features[4]["geometry"] = {  # a self-intersecting bow tie
        "type": "Polygon",
        "coordinates": [
            [[110.0, 39.8], [110.01, 39.81], [110.01, 39.8], [110.0, 39.81], [110.0, 39.8]]
        ],
    }
    return feature_collection(tmp_path, "towns.geojson", features)


def test_skip_stores_the_valid_features_and_lists_the_others(client, keys, tmp_path):
    r = post_file(client, UPLOAD, towns_with_two_bad(tmp_path), keys["editor"], on_error="skip")

    assert r.status_code == 201, r.text
    report = r.json()
    assert report["accepted"] and report["rejected_count"] == 2 and report["stored_count"] == 4
    assert sorted(f["feature"] for f in report["rejected"]) == [2, 4]
    assert len({f["rule"] for f in report["rejected"]}) == 2  # a type, a geometry
    versions, items = snapshot(client, "towns")
    assert versions[0][1] == 4 and len(items) == 4


def test_the_rejected_features_come_back_in_the_uploads_format(client, keys, tmp_path):
    r = post_file(client, UPLOAD, towns_with_two_bad(tmp_path), keys["editor"], on_error="skip")
    href = r.json()["rejected_file"]["href"]

    assert client.get(href).status_code == 401  # an editor key is needed
    download = client.get(href, headers=auth(keys["editor"]))

    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/geo+json")
    rejected = gpd.read_file(io.BytesIO(download.content))
    assert len(rejected) == 2
    assert set(rejected["error_rule"]) and all(rejected["error_message"])
    assert list(rejected["error_place"]) == ["feature 2", "feature 4"]


def test_reject_is_the_default_and_stores_nothing(client, keys, tmp_path):
    before = snapshot(client, "towns")

    r = post_file(client, UPLOAD, towns_with_two_bad(tmp_path), keys["editor"])

    assert r.status_code == 422
    assert snapshot(client, "towns") == before


def test_a_file_whose_every_feature_is_bad_is_still_refused(client, keys, tmp_path):
    features = [town_feature(i) for i in range(3)]
    for f in features:
        f["properties"]["pop"] = "many"
    path = feature_collection(tmp_path, "bad.geojson", features)
    before = snapshot(client, "towns")

    r = post_file(client, UPLOAD, path, keys["editor"], on_error="skip")

    assert r.status_code == 422, r.text
    assert "all-rejected" in r.text
    assert snapshot(client, "towns") == before


def test_a_truncated_file_is_refused_even_with_skip(client, keys, tmp_path):
    path = tmp_path / "cut.geojsonl"
    lines = [json.dumps(town_feature(i)) for i in range(5)]
    path.write_text("\n".join(lines)[:-40], encoding="utf-8")
    before = snapshot(client, "towns")

    r = post_file(client, UPLOAD, path, keys["editor"], on_error="skip")

    assert r.status_code == 422, r.text
    assert snapshot(client, "towns") == before


@pytest.mark.parametrize("token", ["nope", "a" * 22, "../../etc/passwd"])
def test_an_unknown_token_is_404(client, keys, token):
    r = client.get(f"/uploads/rejected/{token}", headers=auth(keys["editor"]))

    assert r.status_code == 404


def test_on_error_takes_only_reject_or_skip(client, keys, tmp_path):
    r = post_file(client, UPLOAD, towns_with_two_bad(tmp_path), keys["editor"], on_error="maybe")

    assert r.status_code == 400 and "on_error" in r.json()["description"]


def test_a_csv_gets_its_rejects_back_as_csv_with_line_numbers(client, keys, tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text(
        "code,name_zh,pop,wkt\n"
        'c1,甲,1,"POLYGON((110 39.8,110.01 39.8,110.01 39.81,110 39.8))"\n'
        'c2,乙,lots,"POLYGON((110.1 39.8,110.11 39.8,110.11 39.81,110.1 39.8))"\n',
        encoding="utf-8",
    )

    r = post_file(client, UPLOAD, path, keys["editor"], on_error="skip", crs="EPSG:4326")

    assert r.status_code == 201, r.text
    assert r.json()["rejected"][0]["line"] == 3
    download = client.get(r.json()["rejected_file"]["href"], headers=auth(keys["editor"]))
    assert download.headers["content-type"].startswith("text/csv")
    text = download.content.decode("utf-8")
    assert "c2" in text and "line 3" in text and "c1" not in text
