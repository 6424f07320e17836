"""Every per-level grid map page (and the report, scoring and phone pages) renders in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.farmland.fixture import A1, TOWN_A, TOWN_B
from tests.maps.browser import chromium_page

GLYPHS_DIFFER = """
(text) => {
  const font = getComputedStyle(document.querySelector('h1')).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 40; canvas.height = 40;
  const ctx = canvas.getContext('2d');
  const bitmaps = Array.from(text).map((ch) => {
    ctx.clearRect(0, 0, 40, 40);
    ctx.font = '28px ' + font;
    ctx.fillText(ch, 4, 32);
    return Array.from(ctx.getImageData(0, 0, 40, 40).data).join(',');
  });
  return new Set(bitmaps).size;
}
"""
"""Draw each character alone: without a CJK font every one is the same box."""
MAP_PAGES = [
    "/farmland/maps",
    f"/farmland/maps/{TOWN_A}",
    f"/farmland/maps/{TOWN_B}",
    f"/farmland/maps/{TOWN_A}/{A1}",
]


@pytest.mark.parametrize("store_kind", ["geopackage"])
def test_every_level_grid_map_renders_with_chinese_text(farmland_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(farmland_settings)) as server, chromium_page() as page:
        for path in MAP_PAGES:
            page.goto(server.url + path)
            heading = page.inner_text("h1")
            assert "网格导图" in heading, (path, heading)
            assert page.evaluate(GLYPHS_DIFFER, "网格导图") == 4, "CJK glyphs missing"
            box = page.locator("svg.gridmap").bounding_box()
            assert box["width"] > 300 and box["height"] > 200
            assert page.locator("svg.gridmap path").count() >= 2
            assert page.locator("table.responsible tbody tr").count() >= 1
            assert "职责" in page.inner_text("table.responsible")
        page.goto(f"{server.url}/farmland/maps/{TOWN_A}?lang=en")
        assert "grid map" in page.inner_text("h1")
        assert page.locator("svg.gridmap text.label").count() == 6  # one code per cell
        # a cell of the unit map links to the cell's own page
        page.click(f"svg.gridmap a[href*='{A1}']")
        assert A1 in page.url and "grid map" in page.inner_text("h1")
        assert page.watch.problems() == []


@pytest.mark.parametrize("store_kind", ["geopackage"])
def test_report_scoring_and_phone_form_render(farmland_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(farmland_settings)) as server, chromium_page() as page:
        page.goto(f"{server.url}/farmland/reports/{TOWN_A}/2025-11")
        assert "月报" in page.inner_text("h1")
        page.goto(f"{server.url}/farmland/reports/2025-11")
        assert "月报" in page.inner_text("h1")
        page.click(f"a[href*='/farmland/reports/{TOWN_B}/']")
        assert "测试乙镇" in page.inner_text("h1")
        page.goto(f"{server.url}/farmland/scoring/2025")
        assert "考核" in page.inner_text("h1")
        assert page.locator("svg.gridmap path.rating-none").count() == 2
        page.goto(f"{server.url}/farmland/record")
        assert "巡田" in page.inner_text("h1")
        assert page.input_value("input[name=patrol_date]")  # the form's script ran
        assert page.watch.problems() == []
