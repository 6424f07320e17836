"""The map products and the site sheet in headless Chromium, offline (issue 17).

Every request leaving the machine is aborted; each page must draw its layers
with no console error, blocked or failed request. The scenic e-guide is opened
at a phone's viewport.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer
from tests.maps.browser import chromium_page
from tests.maps.conftest import ARTIFACTS
from tests.maps.test_browser_maps import (
    DRAWN,
    check_rendering,
    click_lonlat,
    only_layer,
    overlay_labels,
    set_layer,
    wait_ready,
)
from tests.maps.test_product_maps import put_synthetic_sites

pytestmark = pytest.mark.browser
PHONE = (390, 844)  # a common phone viewport, CSS pixels
XIANGSHAWAN = (109.950732, 40.243054)  # first stop of the G210 route (gazetteer LM-11)


@pytest.fixture
def server(maps_settings):
    from geoservice.app import create_app

    put_synthetic_sites(maps_settings)
    with LiveServer(create_app(maps_settings)) as live:
        yield live


@pytest.fixture
def catalog(maps_settings):
    from geoservice.catalog.loader import load_catalog

    return load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)


def titles(catalog, *layer_ids: str) -> set[str]:
    return {catalog.get(i).title.zh for i in layer_ids}


def test_the_industry_map_draws_firms_parks_idle_assets_and_logistics_offline(server, catalog):
    with chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/industry")
        check_rendering(page, ARTIFACTS / "industry-map.png")
        labels = set(overlay_labels(page))
        assert titles(catalog, "enterprises", "industrial_parks", "idle_assets", "logistics",
                      "logistics_zones") <= labels  # fmt: skip
        idle = catalog.get("idle_assets").title.zh
        before = page.evaluate(DRAWN)
        set_layer(page, idle, False)
        assert page.evaluate(DRAWN) == before - 5  # the five synthetic parcels
        set_layer(page, idle, True)
        legend = page.locator(".leaflet-bottom.leaflet-left").first.text_content()
        assert "装备制造" in legend and "可供" in legend  # chains and statuses in the legend
        assert not page.watch.problems(), page.watch.problems()


def test_the_logistics_e_map_draws_zones_stations_roads_and_catchments_offline(server, catalog):
    with chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/logistics")
        check_rendering(page, ARTIFACTS / "logistics-map.png")
        labels = set(overlay_labels(page))
        assert titles(catalog, "logistics", "logistics_zones", "roads") <= labels
        assert any("驾车服务范围" in label for label in labels)
        assert not page.watch.problems(), page.watch.problems()


def test_the_scenic_e_guide_fits_a_phone_and_draws_clusters_and_routes_offline(server, catalog):
    with chromium_page(viewport=PHONE) as page:
        wait_ready(page, f"{server.url}/maps/tourism")
        page.wait_for_timeout(500)  # the renderer redraws after the focus fit
        check_rendering(page, ARTIFACTS / "tourism-phone.png")
        assert titles(catalog, "tourism_clusters", "tourist_routes") <= set(overlay_labels(page))
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE[0]  # no sideways scrolling
        # The layer menu folds into its button and the legend closes: the map stays visible.
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        assert page.locator(".leaflet-bottom.leaflet-left .gs-box > details[open]").count() == 0
        page.locator(".leaflet-control-layers-toggle").click()
        assert page.locator(".leaflet-control-layers-expanded").count() == 1
        clusters = catalog.get("tourism_clusters").title.zh
        assert page.locator(".leaflet-control-layers-overlays", has_text=clusters).is_visible()
        # A stop's popup says what the plan says and where that comes from.
        only_layer(page, catalog.get("tourist_stops").title.zh)
        text = click_lonlat(page, *XIANGSHAWAN, zoom=13)
        assert "响沙湾" in text and "规划原文" in text and "seed 000" in text
        # The route planner draws the way by road between two stops and says how long.
        page.locator(".gs-route-from").select_option(label="响沙湾")
        page.locator(".gs-route-to").select_option(label="成吉思汗陵")
        result = page.locator(".gs-route-result").inner_text()
        assert "公里" in result and "分钟" in result, result
        assert page.locator("path.gs-route").count() == 1
        page.screenshot(path=str(ARTIFACTS / "tourism-phone-route.png"))
        assert not page.watch.problems(), page.watch.problems()


def test_the_site_sheet_renders_for_a_fixture_site_and_prints_on_one_page(server):
    with chromium_page() as page:
        page.goto(f"{server.url}/maps/industry/sites/SYN-01", wait_until="load")
        assert "合成样例地块一" in page.locator("#site-name").inner_text()
        assert page.locator("svg.site-map path").count() >= 2
        assert "8.00" in page.locator("#site-area").inner_text()
        assert page.locator("#constraints li.met").count() == 4
        assert "km" in page.locator("#nearest-park").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-sheet.png"), full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        assert pages == 1, f"the sheet prints on {pages} A4 pages"
        assert not page.watch.problems(), page.watch.problems()
