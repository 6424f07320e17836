"""Load time of the web maps in headless Chromium: the ~100 000-cell farmland grid vs the district.

Run: ``.venv/bin/python bench/maps.py [--rounds 5] [--cells 100000]``.

One geoservice (uvicorn, one worker, GeoPackage store in a temporary folder)
serves the sample layers with the farmland grid regenerated at about
``--cells`` cells. Each round opens ``/maps/district`` and
``/maps/farmland_grid`` in a fresh browser context (no HTTP cache), network
limited to this machine. A map counts as loaded when its page is ready
(``window.gsmapsReady``) and every tile it asked for has arrived; the time is
``performance.now()`` of that moment (from navigation start). The grid is over
the large-layer threshold, so its map draws the service's vector tiles
(Leaflet.VectorGrid): the first round encodes them and builds both pages (cold
caches); later rounds are served from the page and tile caches (warm).
Prints each map's times, and first (cold) and later (warm) loads with the ratio
grid / district.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ADMIN_URL,
    ROOT,
    farmland_grid,
    free_port,
    server,
    uvicorn_cmd,
)

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
MAPS = ("district", "farmland_grid")
MAPS_DB = "gs_bench_maps"
LOADED = """() => {
  if (!window.gsmapsReady) return false;
  const layers = Object.values(window.gsmap._layers);  // vector tiles (VectorGrid) too
  if (layers.some(layer => layer.isLoading && layer.isLoading())) return false;
  const tiles = Array.from(document.querySelectorAll('.leaflet-tile-pane img'));
  return tiles.every(img => img.complete);  // loaded, or empty (204)
}"""
FINISHED_AT = """() => {
  const ends = performance.getEntriesByType('resource').map(e => e.responseEnd);
  return Math.max(window.gsmapsReadyAt || 0, ...ends);
}"""


def main() -> None:
    """Build the store, serve it, time both maps, print the figures."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--cells", type=int, default=100_000)
    args.add_argument("--postgis", action="store_true", help="PostGIS store (else GeoPackage)")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory(prefix="gs-bench-maps-") as tmp:
        env, cells = build_store(Path(tmp), opts.cells, postgis=opts.postgis)
        store = "PostGIS" if opts.postgis else "GeoPackage"
        print(f"{store}; farmland grid: {cells} cells; district: 9 features", flush=True)
        port = free_port()
        cmd = uvicorn_cmd(sys.executable, "geoservice.app:create_app", port, factory=True)
        with server(cmd, port, env=env, ready="/healthz") as url:
            times = measure(url, opts.rounds)
    report(times)


def build_store(tmp: Path, target_cells: int, *, postgis: bool) -> tuple[dict[str, str], int]:
    """Write the sample layers (grid at ~``target_cells``) to a store; return the env."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.sampledata import build_sample_layers
    from geoservice.settings import Settings
    from geoservice.storage import open_store

    shutil.copytree(ROOT / "layers", tmp / "layers")
    shutil.copytree(ROOT / "styles", tmp / "styles")
    env = {
        "GEOSERVICE_LAYERS_DIR": str(tmp / "layers"),
        "GEOSERVICE_STYLES_DIR": str(tmp / "styles"),
        "GEOSERVICE_DATA_DIR": str(tmp / "data"),
        "GEOSERVICE_INDICATORS_DIR": str(ROOT / "indicators"),
        "GEOSERVICE_DATABASE_URL": maps_db_url() if postgis else None,
    }
    settings = Settings(
        layers_dir=tmp / "layers",
        styles_dir=tmp / "styles",
        data_dir=tmp / "data",
        database_url=env["GEOSERVICE_DATABASE_URL"],
    )
    frames = build_sample_layers()
    frames["farmland_grid"], _ = farmland_grid(target_cells)
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)
    try:
        for layer_id, frame in frames.items():
            store.write(catalog.get(layer_id), frame)
    finally:
        store.close()
    return env, len(frames["farmland_grid"])


def maps_db_url() -> str:
    """Return a fresh PostGIS database for this benchmark (dropped and created)."""
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{MAPS_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{MAPS_DB}"')
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{MAPS_DB}"


def measure(url: str, rounds: int) -> dict[str, list[float]]:
    """Open each map once per round, alternating, each in a fresh context; return ms."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {m: [] for m in MAPS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for _ in range(rounds):
            for name in MAPS:
                times[name].append(load_once(browser, f"{url}/maps/{name}?lang=zh"))
        browser.close()
    return times


def load_once(browser, url: str) -> float:
    """Return the milliseconds until the map at ``url`` is drawn, tiles included."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(url, wait_until="load", timeout=300_000)
    page.wait_for_function(LOADED, timeout=300_000, polling=50)
    elapsed = page.evaluate(FINISHED_AT)
    context.close()
    return float(elapsed)


def report(times: dict[str, list[float]]) -> None:
    """Print every time, then first loads and later loads side by side, with ratios.

    The first round builds both pages and, for the grid, renders its tiles (cold
    caches); later rounds are served from the page and tile caches (warm).
    """
    district, grid = times["district"], times["farmland_grid"]
    for name, values in times.items():
        print(f"{name:14s} " + " ".join(f"{v:7.0f}" for v in values) + " ms")
    d_warm = statistics.median(district[1:] or district)
    g_warm = statistics.median(grid[1:] or grid)
    print(f"first load (cold): district {district[0]:6.0f} ms, grid {grid[0]:6.0f} ms, "
          f"ratio {grid[0] / district[0]:4.1f}x")  # fmt: skip
    print(f"later loads (warm, medians): district {d_warm:6.0f} ms, grid {g_warm:6.0f} ms, "
          f"ratio {g_warm / d_warm:4.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
