"""The maps in a real browser: headless Chromium, network limited to this machine.

Each test fails on a console error, a blocked or failed request, a blank map,
CJK text drawn as boxes, a layer missing from the layer control, a toggle that
changes nothing, or a click that opens no popup with the Chinese name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, LiveServer
from tests.maps.browser import CJK_GLYPHS_DIFFER, chromium_page, drawn_share
from tests.maps.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

HANTAI = "150602101000"  # 罕台镇
README_SHOT = ROOT / "docs" / "img" / "one-map.png"
DRAWN = """() => document.querySelectorAll(
  '.leaflet-overlay-pane path, .leaflet-marker-pane .leaflet-marker-icon').length"""
TILES = "() => document.querySelectorAll('.leaflet-overlay-pane canvas.leaflet-tile-loaded').length"
SLICED = "() => document.querySelectorAll('.leaflet-overlay-pane canvas.leaflet-tile').length"


BASE_MAP = "离线底图（边界、驻地、道路）"


def overlay_labels(page) -> list[str]:
    """Return the layer names the layer control lists (the offline base map aside)."""
    labels = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label:not(.leaflet-control-layers-group-label)",
        "ls => ls.map(l => l.textContent.trim())",
    )
    return [label for label in labels if label != BASE_MAP]


def set_layer(page, title: str, on: bool) -> None:
    """Tick or untick a layer in the layer control."""
    exact = re.compile(rf"^\s*{re.escape(title)}\s*$")  # not its "(not located)" twin
    box = page.locator(".leaflet-control-layers-overlays label", has_text=exact).locator("input")
    if box.is_checked() != on:
        box.click()
    page.wait_for_timeout(150)


def only_layer(page, title: str) -> None:
    """Show one layer and hide every other."""
    for label in overlay_labels(page):
        set_layer(page, label, label == title)


def click_lonlat(page, lon: float, lat: float, zoom: int = 13) -> str:
    """Centre the map on a point, click there with the mouse, return the popup text."""
    page.evaluate(f"() => gsmap.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_timeout(300)
    box = page.locator("#" + page.evaluate("() => gsmap.getContainer().id")).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-popup-content').textContent.includes('…')"
    )
    return popup.inner_text()


def wait_ready(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.gsmapsReady === true", timeout=60_000)


def check_rendering(page, shot: Path) -> None:
    """The map is not blank and Chinese renders as distinct glyphs, not boxes."""
    png = page.locator(".folium-map").screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(png)
    assert drawn_share(png) > 0.05, "the map is (nearly) blank"
    assert page.evaluate(CJK_GLYPHS_DIFFER, "东胜区物流规划") == 7, "CJK glyphs drawn as boxes"


def representative(frame, column: str, value: str) -> tuple[str, float, float]:
    row = frame[frame[column] == value].iloc[0]
    point = row.geometry.representative_point()
    return row["name_zh"], point.x, point.y


def not_located_titles(catalog, frames) -> set[str]:
    """Return the names of the layers of symbolic positions (maps/quality.py), one per layer
    holding any."""
    return {
        f"{catalog.get(i).title.zh}（未定位，示意）"
        for i, frame in frames.items()
        if "placement_method" in frame and (frame["placement_method"] == "rule:symbolic").any()
    }


def test_one_map_lists_toggles_and_explains_every_layer(maps_settings, sample_frames):
    from geoservice.app import create_app
    from geoservice.catalog.loader import load_catalog

    catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    titles = {catalog.get(i).title.zh for i in sample_frames}
    with LiveServer(create_app(maps_settings)) as server, chromium_page() as page:
        wait_ready(page, f"{server.url}/maps/one-map")
        check_rendering(page, ARTIFACTS / "one-map.png")
        if os.environ.get("GEOSERVICE_README_SCREENSHOT") == "1":
            README_SHOT.parent.mkdir(parents=True, exist_ok=True)
            README_SHOT.write_bytes(page.screenshot())
        assert set(overlay_labels(page)) == titles | not_located_titles(catalog, sample_frames)

        streets = catalog.get("streets_towns").title.zh
        before = page.evaluate(DRAWN)
        set_layer(page, streets, False)
        assert page.evaluate(DRAWN) <= before - len(sample_frames["streets_towns"])
        set_layer(page, streets, True)
        assert page.evaluate(DRAWN) == before

        grid = catalog.get("farmland_grid").title.zh  # over the threshold: vector tiles
        tiles_before = page.evaluate(TILES)
        set_layer(page, grid, True)
        page.wait_for_function(f"() => ({TILES})() > {tiles_before}", timeout=60_000)

        only_layer(page, streets)
        name, lon, lat = representative(sample_frames["streets_towns"], "code", HANTAI)
        text = click_lonlat(page, lon, lat, zoom=11)
        assert name in text and "近似位置" in text  # approximate outline, said so

        only_layer(page, grid)
        name, lon, lat = representative(sample_frames["farmland_grid"], "parent_code", HANTAI)
        assert name in click_lonlat(page, lon, lat, zoom=13)  # asked of the items API
        assert not page.watch.problems(), page.watch.problems()
        check_class_lookup(page, catalog)


def check_class_lookup(page, catalog) -> None:
    """Vector tiles are coloured in the page as the tiles and embedded layers are."""
    from geoservice.maps.style import class_table, layer_classes
    from geoservice.styling import feature_colors

    cases = {
        "coverage_points": [0.0, 0.2, 0.5, 0.7, 1.0, None],
        "farmland_cells": ["150602101000", "150602005000", "nope", None],
    }
    for style_id, values in cases.items():
        style = catalog.styles[style_id]
        classes = layer_classes(style, None)
        table = class_table(style, classes)
        prop = style.classify.property
        got = page.evaluate(
            "([t, vs, p]) => vs.map(v => gsmaps.tableStyle(t, {[p]: v}).fillColor)",
            [table, values, prop],
        )
        assert got == feature_colors(style, values, classes), style_id


def test_a_standalone_export_works_from_disk_without_a_server(
    maps_settings, sample_frames, tmp_path
):
    from typer.testing import CliRunner

    from geoservice.catalog.loader import load_catalog
    from geoservice.cli import app

    out = tmp_path / "dongsheng.html"
    env = {
        "GEOSERVICE_LAYERS_DIR": str(maps_settings.layers_dir),
        "GEOSERVICE_STYLES_DIR": str(maps_settings.styles_dir),
        "GEOSERVICE_DATA_DIR": str(maps_settings.data_dir),
        "GEOSERVICE_GPKG_PATH": str(maps_settings.store_path),
        "GEOSERVICE_MAPS__LARGE_LAYER_FEATURES": "1000",
    }
    result = CliRunner().invoke(app, ["map", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    catalog = load_catalog(maps_settings.layers_dir, maps_settings.styles_dir)
    with chromium_page() as page:
        wait_ready(page, out.as_uri())
        check_rendering(page, ARTIFACTS / "export.png")
        titles = {catalog.get(i).title.zh for i in sample_frames}
        assert set(overlay_labels(page)) == titles | not_located_titles(catalog, sample_frames)

        villages = catalog.get("villages").title.zh
        before = page.evaluate(DRAWN)
        set_layer(page, villages, False)
        assert page.evaluate(DRAWN) == before - len(sample_frames["villages"])

        only_layer(page, villages)
        name, lon, lat = representative(sample_frames["villages"], "kind", "village")
        assert name in click_lonlat(page, lon, lat, zoom=15)

        grid = catalog.get("farmland_grid").title.zh  # over the threshold: tiled in the page
        only_layer(page, grid)
        page.wait_for_function(f"() => ({SLICED})() > 0", timeout=30_000)
        name, lon, lat = representative(sample_frames["farmland_grid"], "parent_code", HANTAI)
        assert name in click_lonlat(page, lon, lat, zoom=13)
        assert not page.watch.problems(), page.watch.problems()
