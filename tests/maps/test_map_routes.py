"""The map routes over HTTP (no browser): list, one-map, one collection, languages."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app


@pytest.fixture
def client(maps_settings):
    with TestClient(create_app(maps_settings)) as c:
        yield c


def test_maps_lists_the_one_map_and_every_collection(client):
    doc = client.get("/maps?f=json").json()
    ids = [m["id"] for m in doc["maps"]]
    assert ids[0] == "one-map"
    assert {"district", "farmland_grid", "coverage_by_unit"} <= set(ids)
    page = client.get("/maps")
    assert page.status_code == 200 and "东胜区服务业规划一张图" in page.text


def test_the_one_map_is_chinese_by_default_and_english_on_request(client):
    zh = client.get("/maps/one-map")
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/html")
    assert "东胜区服务业规划一张图" in zh.text
    en = client.get("/maps/one-map?lang=en")
    assert "Dongsheng services plan: one map" in en.text


def test_pages_load_leaflet_from_this_service_only(client):
    html = client.get("/maps/one-map").text
    sources = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html)
    own = ("http://testserver/static/vendor/", "http://testserver/maps/assets/")  # measure
    assert sources and all(s.startswith(own) for s in sources)
    for source in sources:
        assert client.get(source.removeprefix("http://testserver")).status_code == 200


def test_a_large_layer_is_drawn_from_vector_tiles_and_queried_on_click(client):
    html = client.get("/maps/farmland_grid").text
    assert "/collections/farmland_grid/tiles/WebMercatorQuad/{z}/{y}/{x}" in html
    assert "gsmaps.vectorTiles(" in html
    assert "gsmaps.queryOnClick(" in html
    assert re.search(r"\d{12}-\d{6}-\d{6}", html) is None  # no cell is embedded


def test_an_unknown_collection_has_no_map(client):
    assert client.get("/maps/nope").status_code == 404


def test_a_cached_map_page_follows_a_new_version_of_its_layer(client, maps_settings, sample_frames):
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    first, again = client.get("/maps/villages"), client.get("/maps/villages")
    assert _nonces(first) != _nonces(again)  # a fresh nonce each time...
    assert _without_nonces(again.text) == _without_nonces(first.text)  # ...on the cached page
    villages = sample_frames["villages"].copy()
    villages.loc[villages.index[0], "name_zh"] = "新名字村"
    store = open_store(maps_settings)
    try:
        catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
        store.write(catalog.get("villages"), villages)
    finally:
        store.close()
    assert json.dumps("新名字村")[1:-1] in client.get("/maps/villages").text


def _nonces(response) -> set[str]:
    """Return the nonces of a page's scripts; check that its policy names just that one."""
    nonces = set(re.findall(r'<script nonce="([^"]+)"', response.text))
    policy = response.headers["content-security-policy"]
    assert len(nonces) == 1 and f"'nonce-{next(iter(nonces))}'" in policy
    return nonces


def _without_nonces(html: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)
