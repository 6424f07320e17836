"""A real client: headless Chromium + MapLibre GL JS (from npm, served locally)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from geoservice.styling import hex_rgba
from tests.conftest import ROOT, LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True),
]

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
VENDOR = ROOT / "geoservice" / "static" / "vendor" / "maplibre-gl" / "maplibre-gl.mjs"


def _local(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost") or url.startswith(
        ("data:", "blob:")
    )


@pytest.fixture
def page():
    """A Chromium page that may reach only this machine."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not VENDOR.exists():
        pytest.fail("MapLibre GL JS is not vendored: run `make web` (npm ci)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        blocked: list[str] = []

        def guard(route):
            if _local(route.request.url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.blocked = blocked
        yield page
        browser.close()


def test_maplibre_draws_the_farmland_grid_and_district_boundary(client, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    with LiveServer(client.app) as server:
        page.goto(
            f"{server.url}/map?collections=district,farmland_grid&fit=farmland_grid",
            wait_until="load",
        )
        page.wait_for_function("window.__idle === true", timeout=60_000)
        map_errors = page.evaluate("window.__errors")
        shot = page.locator("#map").screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    Path(ARTIFACTS / "map_farmland_district.png").write_bytes(shot)
    assert not errors and not map_errors and not failed, (errors, map_errors, failed)
    assert not page.blocked
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    background = np.array(hex_rgba("#f6f5f0")[:3])
    drawn = np.abs(pixels.astype(int) - background).sum(axis=1) > 30
    assert drawn.mean() > 0.05, "the canvas is (nearly) blank"
    colours = {tuple(p) for p in pixels[drawn][::7]}
    assert len(colours) > 20  # grid classes, outlines, boundary
    assert _near(pixels, hex_rgba("#7b3294")[:3]), "no district boundary colour"
    assert _near(pixels, hex_rgba("#41ab5d")[:3], tolerance=60), "no farmland cell outline"


def _near(pixels: np.ndarray, rgb, tolerance: int = 40) -> bool:
    return bool((np.abs(pixels.astype(int) - np.array(rgb)).sum(axis=1) < tolerance).any())
