"""Plumbing of ``bench/tiles.py``: data, peer venv, servers, the load tool.

Peers live in their own virtualenv under ``bench/.work/`` (gitignored), so they
never touch the project's environment. Every HTTP server gets the same load:
``wrk`` (Debian package), 16 connections, cycling through the same tile paths.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import (  # noqa: F401 - re-exported for bench/tiles.py
    CONCURRENCY,
    free_port,
    parse_wrk,
    server,
    threaded_rate,
)
from _common import bench_db_url as _bench_db_url
from _common import uvicorn_cmd as uvicorn  # noqa: F401 - re-exported for bench/tiles.py
from _common import wrk as _wrk

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
BENCH_DB = "gs_bench_tiles"
GRID_CELL_M = 147.0  # about 100 000 cells over the 11 Dongsheng farmland units
PEERS = ["tipg==1.6.1", "titiler.application==2.4.0", "uvicorn==0.54.0"]


def bench_db_url() -> str:
    """Create the tiles benchmark database if missing and return its URL."""
    return _bench_db_url(BENCH_DB)


def wrk(base_url: str, paths, *, seconds: int, gzip: bool = True) -> dict:
    """Load with wrk, 16 connections, long timeout; ``gzip``: send Accept-Encoding: gzip
    (browsers, MapLibre) or nothing (GDAL, curl, scripts)."""
    return _wrk(base_url, paths, seconds=seconds, gzip=gzip, timeout_s=60)


def copy_grid_to_geopackage(url: str, path: Path) -> None:
    """Write the PostGIS grid, unchanged, as the embedded store's layer in ``path``."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage.geopackage import GeoPackageStore
    from geoservice.storage.postgis import PostGISStore

    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    layer = catalog.get("farmland_grid")
    source = PostGISStore(url, pool_size=2)
    target = GeoPackageStore(path)
    try:
        target.write(layer, source.read_frame(layer), author="bench", action="bench")
    finally:
        source.close()
        target.close()


def load_grid(url: str) -> tuple[int, tuple[float, float, float, float]]:
    """Store the ~100 000-cell farmland grid in PostGIS once; return count and bounds."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.sampledata import build_sample_layers
    from geoservice.storage.postgis import PostGISStore

    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    layer = catalog.get("farmland_grid")
    store = PostGISStore(url, pool_size=2)
    try:
        if not _current_grid(store, layer):
            print(f"building the farmland grid ({GRID_CELL_M:g} m cells)...", flush=True)
            frame = build_sample_layers(farmland_cell_m=GRID_CELL_M)["farmland_grid"]
            store.write(layer, frame, author="bench", action="bench")
        info = store.current_version(layer.id)
        return info.feature_count, store.bounds(layer)
    finally:
        store.close()


def _current_grid(store, layer) -> bool:
    """Tell whether the stored grid is whole and has the layer's present columns."""
    from geoservice.storage.base import FeatureQuery

    if not store.has_layer(layer.id) or store.current_version(layer.id).feature_count < 90_000:
        return False
    try:  # the layer file may have gained columns since the grid was stored
        store.query(layer, FeatureQuery(limit=1, properties=list(layer.attribute_names)))
    except Exception:
        return False
    return True


def make_cog(path: Path, bounds: tuple[float, float, float, float], size: int = 4096) -> Path:
    """Write a float32 COG (a smooth 0-100 surface) over ``bounds`` once."""
    if path.exists():
        return path
    import numpy as np
    from rasterio.transform import from_bounds

    from geoservice.tiles.raster import write_cog

    y, x = np.mgrid[0:size, 0:size].astype("float32") / size
    surface = 50 + 25 * np.sin(x * 12) * np.cos(y * 9) + 25 * x
    west, south, east, north = bounds
    transform = from_bounds(west, south, east, north, size, size)
    write_cog(surface.astype("float32"), transform=transform, crs="EPSG:4326", path=path, nodata=-1)
    return path


def peer_bin() -> Path:
    """Return the bin/ of the peers' venv (tipg, TiTiler, uvicorn), creating it once."""
    venv = WORK / "peers"
    marker = venv / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *PEERS], check=True)
        marker.touch()
    return venv / "bin"
