"""The map products (issue 17) and the site sheet, served: pages, layers, 404s, escaping."""

from __future__ import annotations

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT

SYNTHETIC_SITES = ROOT / "tests" / "data" / "idle_assets_synthetic.geojson"


def put_synthetic_sites(settings) -> gpd.GeoDataFrame:
    """Store the labelled synthetic idle-asset fixture (tests only) as a new version."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    layer = catalog.get("idle_assets")
    frame = gpd.read_file(SYNTHETIC_SITES)[[*layer.attribute_names, "geometry"]]
    store = open_store(settings)
    try:
        store.write(layer, frame, author="synthetic-fixture")
    finally:
        store.close()
    return frame


@pytest.fixture
def client(maps_settings):
    from geoservice.app import create_app

    put_synthetic_sites(maps_settings)
    with TestClient(create_app(maps_settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "title", "layer_title"),
    [
        ("/maps/industry", "东胜区产业地图", "东胜区龙头企业与重点项目"),
        ("/maps/logistics", "东胜区电子物流信息地图", "物流园区驾车服务范围"),
        ("/maps/tourism", "东胜区景区电子导览", "东胜区两条精品旅游线路"),
    ],
)
def test_each_product_page_is_served_with_its_layers(client, path, title, layer_title):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert title in r.text and layer_title in r.text
    assert "cdn" not in r.text.lower()
    assert "nonce-" in r.headers["content-security-policy"]


def test_english_product_titles(client):
    assert "Dongsheng industry map" in client.get("/maps/industry?lang=en").text


def test_the_site_sheet_of_a_synthetic_site_states_its_constraints_and_nearest_places(client):
    r = client.get("/maps/industry/sites/SYN-01")
    assert r.status_code == 200, r.text
    page = r.text
    assert "合成样例地块一" in page and "<svg" in page
    assert "8.00 公顷" in page
    assert "全部满足" in page
    assert "呼铁物流园" in page  # nearest logistics park
    assert "老城" in page or "铁西" in page  # nearest business circle
    assert "(代用点, 近似)" in page and "(proxy, approximate)" not in page  # codes translated
    far = client.get("/maps/industry/sites/SYN-02", params={"lang": "en"}).text
    assert "not all met" in far and "too far" in far


def test_the_site_sheet_takes_its_criteria_from_the_query(client):
    page = client.get("/maps/industry/sites/SYN-03", params={"min_area_ha": 2}).text
    assert "≥ 2 公顷" in page and "富余 1.00 公顷" in page


def test_an_unknown_site_or_bad_criteria_is_a_clear_4xx(client):
    r = client.get("/maps/industry/sites/NOPE")
    assert r.status_code == 404 and "NOPE" in r.text
    r = client.get("/maps/industry/sites/SYN-01", params={"max_park_km": -1})
    assert r.status_code == 400 and "max_park_km" in r.text


def test_stored_text_on_the_site_sheet_is_shown_as_text(maps_settings):
    from geoservice.app import create_app
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    frame = put_synthetic_sites(maps_settings)
    frame.loc[0, "name_zh"] = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    frame.loc[0, "contact_office"] = "{{ 7*7 }}"
    catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    store = open_store(maps_settings)
    try:
        store.write(catalog.get("idle_assets"), frame, author="hostile")
    finally:
        store.close()
    with TestClient(create_app(maps_settings)) as c:
        page = c.get("/maps/industry/sites/SYN-01").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in page.split("{{ 7*7 }}")[0][-5:]


def test_the_maps_list_offers_the_products(client):
    listed = {e["id"]: e for e in client.get("/maps", params={"f": "json"}).json()["maps"]}
    assert {"industry", "logistics", "tourism"} <= set(listed)
    assert listed["tourism"]["title"] == "东胜区景区电子导览"
