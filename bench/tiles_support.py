"""Plumbing of ``bench/tiles.py``: data, peer venv, servers, the load tool.

Peers live in their own virtualenv under ``bench/.work/`` (gitignored), so they
never touch the project's environment. Every HTTP server gets the same load:
``wrk`` (Debian package), 16 connections, cycling through the same tile paths.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
ADMIN_URL = os.environ.get(
    "GEOSERVICE_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = "gs_bench_tiles"
CONCURRENCY = 16
GRID_CELL_M = 147.0  # about 100 000 cells over the 11 Dongsheng farmland units
PEERS = ["tipg==1.6.1", "titiler.application==2.4.0", "uvicorn==0.54.0"]


def bench_db_url() -> str:
    """Create the benchmark database if missing and return its URL."""
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (BENCH_DB,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def load_grid(url: str) -> tuple[int, tuple[float, float, float, float]]:
    """Store the ~100 000-cell farmland grid in PostGIS once; return count and bounds."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.sampledata import build_sample_layers
    from geoservice.storage.postgis import PostGISStore

    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    layer = catalog.get("farmland_grid")
    store = PostGISStore(url, pool_size=2)
    try:
        if not store.has_layer(layer.id) or store.current_version(layer.id).feature_count < 90_000:
            print(f"building the farmland grid ({GRID_CELL_M:g} m cells)...", flush=True)
            frame = build_sample_layers(farmland_cell_m=GRID_CELL_M)["farmland_grid"]
            store.write(layer, frame, author="bench", action="bench")
        info = store.current_version(layer.id)
        return info.feature_count, store.bounds(layer)
    finally:
        store.close()


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


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uvicorn(python: Path | str, app: str, port: int, *, factory: bool = False) -> list[str]:
    """Return a one-worker uvicorn command line, the same for every server."""
    cmd = [str(python), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    return cmd + (["--factory"] if factory else [])


@contextmanager
def server(cmd: Sequence[str], port: int, env: dict, ready: str = "/") -> Iterator[str]:
    """Run a server until ``ready`` answers; yield its base URL; stop it afterwards."""
    import httpx

    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(list(cmd), env={**os.environ, **env}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited: {Path(log.name).read_text()[-3000:]}")
            try:
                if httpx.get(url + ready, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{cmd} did not start; see {log.name}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


WRK_SCRIPT = """
local paths = {}
local i = 0
init = function(args)
  for line in io.lines("%s") do table.insert(paths, line) end
  i = math.random(#paths)
end
request = function()
  i = (i %% #paths) + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
"""


def wrk(base_url: str, paths: Sequence[str], *, seconds: int) -> dict:
    """Load ``base_url`` with wrk (16 connections) cycling through ``paths``."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    WORK.mkdir(exist_ok=True)
    path_file = WORK / f"paths-{os.getpid()}.txt"
    path_file.write_text("\n".join(paths) + "\n")
    script = WORK / f"wrk-{os.getpid()}.lua"
    script.write_text(WRK_SCRIPT % path_file)
    args = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--timeout", "60s"]
    args += ["-s", str(script), base_url]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return parse_wrk(result.stdout)


def parse_wrk(text: str) -> dict:
    """Return req/s, socket errors and non-2xx/3xx counts from wrk's report."""
    out = {"rps": 0.0, "errors": 0, "non2xx": 0}
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("Requests/sec:"):
            out["rps"] = float(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:"):
            out["non2xx"] = int(line.split()[-1])
        elif line.startswith("Socket errors:"):
            out["errors"] = sum(int(p.split()[-1]) for p in line.split(":", 1)[1].split(","))
    return out


def threaded_rate(func: Callable[[int], object], *, seconds: float) -> float:
    """Call ``func(i)`` from 16 threads for ``seconds``; return calls per second."""
    counts = [0] * CONCURRENCY
    stop = time.perf_counter() + seconds

    def loop(t: int) -> None:
        i = t
        while time.perf_counter() < stop:
            func(i)
            counts[t] += 1
            i += CONCURRENCY

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(CONCURRENCY)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)
