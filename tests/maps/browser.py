"""Headless Chromium (Playwright, Debian's /usr/bin/chromium) that may reach only this machine."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WEBGL_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
BACKGROUND = (246, 245, 240)  # .leaflet-container in gsmaps.css


def is_local(url: str) -> bool:
    """Tell whether a request stays on this machine (or in the page)."""
    if url.startswith(("file:", "data:", "blob:", "about:")):
        return True
    return urlparse(url).hostname in ("127.0.0.1", "localhost")


@dataclass
class Watch:
    """What a page did that a test must check: errors, blocked and failed requests."""

    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Return everything that went wrong (favicon misses are not the map's)."""
        failed = [f for f in self.failed if "favicon" not in f]
        errors = [e for e in self.errors if "favicon" not in e]
        return errors + [f"blocked {b}" for b in self.blocked] + failed


@contextmanager
def chromium_page(
    *,
    locale: str = "zh-CN",
    viewport: tuple[int, int] = (1280, 860),
    webgl: bool = False,
) -> Iterator:
    """Yield a page whose requests to anything but this machine are aborted.

    ``page.watch`` collects what went wrong. ``webgl`` gives the page software
    WebGL (SwiftShader), which MapLibre needs and Leaflet does not.
    """
    api = pytest.importorskip("playwright.sync_api")
    with api.sync_playwright() as p:
        args = FLAGS + WEBGL_FLAGS if webgl else FLAGS
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        width, height = viewport
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        watch = Watch()

        def guard(route):
            if is_local(route.request.url):
                route.continue_()
            else:
                watch.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: watch.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", lambda r: watch.failed.append(f"{r.url}: {r.failure}"))
        page.watch = watch
        try:
            yield page
        finally:
            browser.close()


def rgb_pixels(png: bytes) -> np.ndarray:
    """Return the pixels of a screenshot as an (n, 3) array of RGB."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)


def drawn_mask(pixels: np.ndarray) -> np.ndarray:
    """Tell, pixel by pixel, whether it differs from the empty map background."""
    return np.abs(pixels.astype(int) - np.array(BACKGROUND)).sum(axis=1) > 30


def drawn_share(png: bytes) -> float:
    """Return the share of pixels that differ from the empty map background."""
    return float(drawn_mask(rgb_pixels(png)).mean())


CJK_GLYPHS_DIFFER = """
(text) => {
  const font = getComputedStyle(document.querySelector('.leaflet-container')).fontFamily;
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
"""Draw each character alone: missing CJK fonts draw every one as the same box."""
