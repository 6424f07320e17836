"""In Chromium: a coverage result map states the quality of its inputs, and symbolic
positions are drawn apart from located ones and listed."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.conftest import ROOT, LiveServer, create_key
from tests.maps.browser import chromium_page
from tests.maps.conftest import ARTIFACTS
from tests.maps.test_browser_maps import overlay_labels, set_layer, wait_ready

pytestmark = pytest.mark.browser

SYMBOLIC_LOGISTICS = 8
README_SHOT = ROOT / "docs" / "img" / "coverage-data-quality.png"


def run_coverage(server, settings) -> dict:
    key = create_key(settings, "editor", "planner")
    inputs = {"facilities": {"collection": "logistics"}, "demand": {"collection": "villages"},
              "distance_m": 3000, "out_layer": "village_coverage"}  # fmt: skip
    r = httpx.post(
        f"{server.url}/processes/coverage/execution",
        json={"inputs": inputs},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_coverage_result_map_shows_the_data_quality_legend(maps_settings):
    from geoservice.app import create_app

    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        results = run_coverage(server, maps_settings)
        assert results["data_quality"]["totals"]["excluded_symbolic"] == SYMBOLIC_LOGISTICS
        wait_ready(page, f"{server.url}/maps/village_coverage")
        legend = page.locator(".gs-data-quality").first
        legend.wait_for(timeout=10_000)
        text = legend.inner_text()
        assert "数据质量" in text
        assert f"示意位置 {SYMBOLIC_LOGISTICS}" in text
        assert f"{SYMBOLIC_LOGISTICS} 个示意位置（非实际位置）未计入距离分析" in text
        assert "有来源 20" in text  # the villages: AMap points
        assert legend.is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "coverage-data-quality.png"))
        if os.environ.get("GEOSERVICE_README_SCREENSHOT") == "1":
            README_SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(README_SHOT))

        wait_ready(page, f"{server.url}/maps/village_coverage?lang=en")
        text = page.locator(".gs-data-quality").first.inner_text()
        assert f"{SYMBOLIC_LOGISTICS} symbolic" in text and "left out of distances" in text
        assert not page.watch.problems(), page.watch.problems()


def test_symbolic_logistics_are_hollow_in_a_not_located_group_off_by_default_and_listed(
    maps_settings, sample_frames
):
    from geoservice.app import create_app

    frame = sample_frames["logistics"]
    names = frame.loc[frame["placement_method"] == "rule:symbolic", "name_zh"].tolist()
    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/logistics")
        groups = page.eval_on_selector_all(
            ".leaflet-control-layers-group-label", "ls => ls.map(l => l.textContent.trim())"
        )
        assert any("未定位要素" in g for g in groups), groups
        label = next(n for n in overlay_labels(page) if "未定位" in n)
        box = page.locator(".leaflet-control-layers-overlays label", has_text=label)
        assert not box.locator("input").is_checked()  # nothing at a false position by default
        panel = page.locator(".gs-not-located").first.inner_text()
        assert all(name in panel for name in names) and "没有已知位置" in panel
        hollow = "() => [...document.querySelectorAll('.leaflet-overlay-pane path')]" \
                 ".filter(p => p.getAttribute('fill-opacity') === '0').length"  # fmt: skip
        before = page.evaluate(hollow) + page.locator(".marker-cluster").count()
        set_layer(page, label, True)
        page.wait_for_timeout(300)
        after = page.evaluate(hollow) + page.locator(".marker-cluster").count()
        assert after > before  # shown (hollow, or clustered at the reference point) when asked
        assert not page.watch.problems(), page.watch.problems()


def test_the_area_of_an_approximate_unit_is_shown_as_approximate_in_its_popup(
    maps_settings, sample_frames
):
    from geoservice.app import create_app
    from tests.maps.test_browser_maps import click_lonlat, representative

    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/streets_towns")
        name, lon, lat = representative(sample_frames["streets_towns"], "code", BORJIANGHAIZI)
        text = click_lonlat(page, lon, lat, zoom=11)
        units = sample_frames["streets_towns"].set_index("code")
        km2 = f"{units.loc[BORJIANGHAIZI, 'area_m2'] / 1e6:,.1f}"
        assert name in text and f"≈{km2} km²（近似范围）" in text, text
        assert not page.watch.problems(), page.watch.problems()


BORJIANGHAIZI = "150602100000"  # 泊尔江海子镇


REFUSAL_SHOT = ROOT / "docs" / "img" / "2sfca-refusal.png"
SHOW_REFUSAL = """async ([key]) => {
  const r = await fetch("/processes/accessibility-2sfca/execution", {
    method: "POST",
    headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    body: JSON.stringify({inputs: {demand: {collection: "villages"},
                                   supply: {collection: "logistics"},
                                   population_column: "code", distance_m: 5000}})});
  const body = await r.json();
  const pre = document.createElement("pre");
  pre.style.cssText = "white-space: pre-wrap; font: 14px monospace; margin: 16px";
  pre.textContent = "POST /processes/accessibility-2sfca/execution  population_column=code\\n" +
    "→ " + r.status + "\\n" + JSON.stringify(body, null, 2);
  document.body.replaceChildren(pre);
  return [r.status, body.description];
}"""


def test_a_browser_client_running_2sfca_on_the_division_code_gets_a_400_naming_it(
    maps_settings,
):
    from geoservice.app import create_app

    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        key = create_key(maps_settings, "editor", "planner")
        page.goto(f"{server.url}/conformance", wait_until="load")
        status, description = page.evaluate(SHOW_REFUSAL, [key])
        assert status == 400
        assert "population_column" in description and "'code'" in description
        assert "not a number" in description
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 900, "height": 320})
        page.screenshot(path=str(ARTIFACTS / "2sfca-refusal.png"))
        if os.environ.get("GEOSERVICE_README_SCREENSHOT") == "1":
            page.screenshot(path=str(REFUSAL_SHOT))
