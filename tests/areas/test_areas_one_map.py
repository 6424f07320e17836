"""Each new area's one-map in headless Chromium: its layers, Chinese labels, indicators.

The page must load without console errors or requests leaving the machine, list
every layer the area's one-map declares, draw something, render Chinese as distinct
glyphs (not boxes), open on the area, and carry the indicator panel with the plan's
Chinese title and its "not evaluable" rows.
"""

from __future__ import annotations

import pytest

from geoservice.maps.i18n import text
from tests.areas.conftest import NEW_AREAS
from tests.conftest import ROOT, LiveServer
from tests.maps.browser import CJK_GLYPHS_DIFFER, chromium_page, drawn_share

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "tests" / "artifacts"
PLANS_ZH = {
    "wuhai": "乌海市促进服务业高质量发展三年攻坚行动实施方案",
    "chongqing": "重庆市现代服务业发展计划",
    "inner_mongolia": "内蒙古自治区推动现代服务业产业集群发展实施方案",
}


@pytest.fixture(scope="module")
def live(areas_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(areas_settings)) as server:
        yield server


@pytest.mark.parametrize("area_id", NEW_AREAS)
def test_the_areas_one_map_draws_its_layers_labels_and_indicators(live, project_catalog, area_id):
    area = project_catalog.area(area_id)
    titles = {project_catalog.get(i).title.zh for i in area.one_map.layers}
    with chromium_page() as page:
        page.goto(f"{live.url}/maps/{area_id}/one-map", wait_until="load")
        page.wait_for_function("() => window.gsmapsReady === true", timeout=120_000)
        assert page.title().startswith(area.one_map_title("zh"))
        labels = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label:not(.leaflet-control-layers-group-label)",
            "ls => ls.map(l => l.textContent.trim())",
        )
        base_map = text("context", "zh")  # the offline base map every map carries
        assert base_map in labels
        assert set(labels) - {base_map} == titles
        png = page.locator(".folium-map").screenshot()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"one-map-{area_id}.png").write_bytes(png)
        assert drawn_share(png) > 0.05, "the map is (nearly) blank"
        name = area.title.zh
        assert page.evaluate(CJK_GLYPHS_DIFFER, name) == len(set(name)), "CJK glyphs as boxes"
        lon, lat = page.evaluate("() => [gsmap.getCenter().lng, gsmap.getCenter().lat]")
        west, south, east, north = area.bounds
        assert west < lon < east and south < lat < north
        panel = page.locator(".gs-indicators").inner_text()
        assert PLANS_ZH[area_id] in panel and "无法评估" in panel
        assert not page.watch.problems(), page.watch.problems()
