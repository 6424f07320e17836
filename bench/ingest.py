"""Upload benchmark: a ~100 MB zipped farmland-style shapefile through the HTTP API.

    .venv/bin/python bench/ingest.py [--target-mb 100] [--postgis postgresql://...]

Generates (once, cached in bench/.work/) a fine polygon grid with GBK attributes
as a zipped shapefile, starts a real uvicorn server in a subprocess over a fresh
store, uploads the file with ``POST /collections`` (streamed multipart), and
reports wall-clock seconds and the server process's peak resident memory
(``VmHWM`` from /proc), against the target of 3x the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
CELL_DEG = 0.0009  # about 100 m at 40N
VERTICES = 12  # per ring: farmland parcels are not squares
CHUNK = 50_000


def parcels(start: int, count: int, columns: int, rng) -> gpd.GeoDataFrame:
    """Return ``count`` jittered grid parcels from index ``start`` (lon/lat, Dongsheng)."""
    idx = np.arange(start, start + count)
    row, col = idx // columns, idx % columns
    x0, y0 = 109.0 + col * CELL_DEG, 39.3 + row * CELL_DEG
    t = np.linspace(0, 1, VERTICES // 4, endpoint=False)
    square = np.concatenate(
        [np.c_[t, 0 * t], np.c_[1 + 0 * t, t], np.c_[1 - t, 1 + 0 * t], np.c_[0 * t, 1 - t]]
    )
    jitter = rng.uniform(-0.04, 0.04, (count, len(square), 2))
    rings = (square[None] * 0.92 + 0.04 + jitter) * CELL_DEG
    rings += np.c_[x0, y0][:, None, :]
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    return gpd.GeoDataFrame(
        {
            "code": [f"150602{r:05d}{c:05d}" for r, c in zip(row, col, strict=True)],
            "parent": [f"1506020{r // 50:05d}" for r in row],
            "row": row,
            "col": col,
            "area_m2": np.round(shapely.area(geoms) * 111_320**2 * 0.766, 2),
            "name_zh": [f"东胜区耕地网格{r}-{c}" for r, c in zip(row, col, strict=True)],
            "crop": rng.choice(["玉米", "马铃薯", "小麦", "苜蓿"], count),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def make_zip(target_mb: float) -> tuple[Path, int]:
    """Write (or reuse) the zipped shapefile; return its path and feature count."""
    path = WORK / f"farmland_{target_mb:g}mb.zip"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())["features"]
    folder = WORK / "shp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    n = int(target_mb * 1024 * 1024 / 173)  # bytes per parcel, zipped (measured)
    columns, rng = 1000, np.random.default_rng(42)
    for start in range(0, n, CHUNK):
        frame = parcels(start, min(CHUNK, n - start), columns, rng)
        pyogrio.write_dataframe(frame, folder / "farmland.shp", encoding="GBK", append=start > 0)
    (folder / "farmland.cpg").write_text("GBK")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f.name)
    shutil.rmtree(folder)
    meta.write_text(json.dumps({"features": n}))
    return path, n


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data: Path, port: int, database_url: str | None) -> subprocess.Popen:
    """Start uvicorn (one process, no reloader) over a fresh store and catalogue copy."""
    layers = data / "catalogue"  # <data>/layers is where run-time layers are declared
    shutil.copytree(ROOT / "layers", layers)
    env = {
        **os.environ,
        "GEOSERVICE_DATA_DIR": str(data),
        "GEOSERVICE_LAYERS_DIR": str(layers),
        "GEOSERVICE_UPLOADS__MAX_BYTES": str(1024**3),
        "GEOSERVICE_UPLOADS__MAX_FEATURES": "5000000",
        "GEOSERVICE_UPLOADS__MAX_COORDINATES": "100000000",
        "GEOSERVICE_UPLOADS__WORK_DIR": str(data / "work"),
    }
    if database_url:
        env["GEOSERVICE_DATABASE_URL"] = database_url
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "geoservice.app:create_app"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("server did not start")


def memory_kb(pid: int, field: str) -> int:
    """Return a memory figure (VmRSS, VmHWM) of a process from /proc, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def run(args: argparse.Namespace) -> dict:
    """Generate, serve, upload, measure."""
    path, features = make_zip(args.target_mb)
    data = WORK / "server"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    sys.path.insert(0, str(ROOT))
    from geoservice.auth.keys import KeyStore

    keys = KeyStore(data / "keys.sqlite")
    key = keys.create("admin", "bench")[1]
    keys.close()
    if args.postgis:
        _drop_layer(args.postgis, "farmland_bench")
    port = free_port()
    server = start_server(data, port, args.postgis)
    try:
        rss_before = memory_kb(server.pid, "VmRSS")
        started = time.perf_counter()
        with path.open("rb") as f:
            r = httpx.post(
                f"http://127.0.0.1:{port}/collections",
                files={"file": (path.name, f, "application/zip")},
                data={"id": "farmland_bench", "kind": "farmland_grid", "key": "code"},
                headers={"Authorization": f"Bearer {key}"},
                timeout=3600,
            )
        seconds = time.perf_counter() - started
        peak = memory_kb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if r.status_code != 201:
        raise SystemExit(f"upload failed: {r.status_code} {r.text[:2000]}")
    size_mb = path.stat().st_size / 1024**2
    return {
        "store": "postgis" if args.postgis else "geopackage",
        "file_mb": round(size_mb, 1),
        "features": features,
        "stored_features": r.json()["version"]["feature_count"],
        "seconds": round(seconds, 1),
        "features_per_s": round(features / seconds),
        "server_rss_before_mb": round(rss_before / 1024, 1),
        "server_peak_rss_mb": round(peak / 1024, 1),
        "peak_over_file_size": round(peak / 1024 / size_mb, 2),
        "target": "peak < 3x file size",
    }


def _drop_layer(url: str, layer_id: str) -> None:
    from geoservice.storage.postgis import PostGISStore

    store = PostGISStore(url, pool_size=1)
    if store.has_layer(layer_id):
        store.delete_layer(layer_id)
    store.close()


def main() -> None:
    """Parse arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target-mb", type=float, default=100.0)
    parser.add_argument("--postgis", help="postgresql:// URL: benchmark the PostGIS store")
    print(json.dumps(run(parser.parse_args())))


if __name__ == "__main__":
    main()
