"""A dry run's map link: the file drawn over what the layer holds, before anything is written."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.ingest.conftest import post_file, snapshot
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection

UPLOAD = "/collections/towns/uploads"
DRAWN_PATHS = "() => document.querySelectorAll('.leaflet-overlay-pane path').length"


def dry_run(client, keys, tmp_path, name="towns.geojson", count=30, url=UPLOAD, **fields):
    path = feature_collection(tmp_path, name, [town_feature(i) for i in range(count)])
    r = post_file(client, url, path, keys["editor" if url == UPLOAD else "admin"], **fields)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_dry_run_links_a_map_of_the_file_over_the_layer(client, keys, tmp_path):
    before = snapshot(client, "towns")
    report = dry_run(client, keys, tmp_path, dry_run="true")

    page = client.get(report["preview_map"].removeprefix("http://testserver"))

    assert page.status_code == 200, page.text
    html = page.text
    assert "上传预览：towns.geojson（前 30 个要素）" in html
    assert "t00029" in html  # the file's last feature is on the map
    assert client.get("/collections/towns").json()["title"] in html  # and the layer under it
    assert snapshot(client, "towns") == before  # nothing written
    english = client.get(report["preview_map"].removeprefix("http://testserver") + "?lang=en")
    assert "Upload preview: towns.geojson (first 30 features)" in english.text


def test_a_file_name_in_the_preview_map_is_text_not_markup(client, keys, tmp_path):
    report = dry_run(client, keys, tmp_path, name="<img src=x onerror=alert(1)>.geojson", count=2,
                     dry_run="true")  # fmt: skip

    page = client.get(report["preview_map"].removeprefix("http://testserver"))

    assert page.status_code == 200
    assert "<img src=x" not in page.text


def test_a_new_layer_dry_run_has_a_preview_map_too(client, keys, tmp_path):
    report = dry_run(client, keys, tmp_path, url="/collections", id="new_towns", dry_run="true")

    page = client.get(report["preview_map"].removeprefix("http://testserver"))

    assert page.status_code == 200 and "t00000" in page.text
    assert client.get("/collections/new_towns").status_code == 404


@pytest.mark.parametrize("token", ["nosuchtoken", "a" * 22, "a.b" * 7 + "x", "x" * 64])
def test_an_unknown_or_malformed_preview_is_a_404(client, token):
    r = client.get(f"/maps/preview/{token}")
    assert r.status_code == 404
    assert "preview" in r.json()["description"]


def test_a_path_outside_the_previews_is_no_preview(client):
    assert client.get("/maps/preview/../../keys.sqlite").status_code == 404


def test_a_stored_upload_has_no_preview_map(client, keys, tmp_path):
    path = feature_collection(tmp_path, "towns.geojson", [town_feature(i) for i in range(3)])
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert r.status_code == 201 and "preview_map" not in r.json()


@pytest.mark.browser
def test_the_preview_map_draws_the_file_in_chromium(ingest_settings, client, keys, tmp_path):
    from geoservice.app import create_app
    from tests.maps.browser import chromium_page

    report = dry_run(client, keys, tmp_path, dry_run="true")
    path = report["preview_map"].removeprefix("http://testserver")
    with LiveServer(create_app(ingest_settings)) as server, chromium_page() as page:
        page.goto(f"{server.url}{path}", wait_until="load")
        page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        drawn = page.evaluate(
            "() => document.querySelectorAll('.leaflet-overlay-pane path').length"
        )
        assert any("上传预览" in label for label in labels), labels
        assert drawn >= 30
        assert not page.watch.problems(), page.watch.problems()


def test_a_dry_run_of_dates_previews_them_as_iso_text(client, keys, tmp_path):
    import datetime

    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"name": ["a"], "surveyed": [datetime.date(2023, 12, 31)]},
        geometry=[Point(109.9, 39.8)],
        crs="EPSG:4326",
    )
    path = tmp_path / "dated.gpkg"
    frame.to_file(path, driver="GPKG")

    r = post_file(client, "/collections", path, keys["admin"], id="dated", dry_run="true")

    assert r.status_code == 200, r.text
    assert r.json()["preview"]["features"][0]["properties"]["surveyed"] == "2023-12-31"
