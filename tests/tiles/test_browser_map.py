"""A real client: headless Chromium + MapLibre GL JS (from npm, served locally)."""

from __future__ import annotations

import numpy as np
import pytest

from geoservice.styling import hex_rgba
from tests.conftest import ROOT, LiveServer
from tests.maps.browser import chromium_page, drawn_mask, rgb_pixels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True),
]

ARTIFACTS = ROOT / "tests" / "artifacts"
VENDOR = ROOT / "geoservice" / "static" / "vendor" / "maplibre-gl" / "maplibre-gl.mjs"


@pytest.fixture
def page():
    """A Chromium page with software WebGL that may reach only this machine."""
    if not VENDOR.exists():
        pytest.fail("MapLibre GL JS is not vendored: run `make web` (npm ci)")
    with chromium_page(locale="en-US", viewport=(1024, 768), webgl=True) as page:
        yield page


def test_maplibre_draws_the_farmland_grid_and_district_boundary(client, page):
    with LiveServer(client.app) as server:
        page.goto(
            f"{server.url}/map?collections=district,farmland_grid&fit=farmland_grid",
            wait_until="load",
        )
        page.wait_for_function("() => window.__idle === true", timeout=60_000)
        map_errors = page.evaluate("window.__errors")
        shot = page.locator("#map").screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "map_farmland_district.png").write_bytes(shot)
    assert not page.watch.problems() and not map_errors, (page.watch.problems(), map_errors)
    pixels = rgb_pixels(shot)
    drawn = drawn_mask(pixels)
    assert drawn.mean() > 0.05, "the canvas is (nearly) blank"
    colours = {tuple(p) for p in pixels[drawn][::7]}
    assert len(colours) > 20  # grid classes, outlines, boundary
    assert _near(pixels, hex_rgba("#7b3294")[:3]), "no district boundary colour"
    assert _near(pixels, hex_rgba("#41ab5d")[:3], tolerance=60), "no farmland cell outline"


def _near(pixels: np.ndarray, rgb, tolerance: int = 40) -> bool:
    return bool((np.abs(pixels.astype(int) - np.array(rgb)).sum(axis=1) < tolerance).any())
