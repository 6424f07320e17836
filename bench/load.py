"""Load test: 50 clients against a real multi-worker server, on each store; leaks fail it.

Run: ``make load`` or ``.venv/bin/python bench/load.py [--seconds 60] [--store gpkg|postgis]``.

For each store (GeoPackage, then PostGIS in a database of its own, ``gs_load``
on the local server) the sample store is built afresh and ``geoservice serve
--workers N`` started. ``--clients`` connections (keep-alive, loopback) then
mix items pages (64 bboxes), vector tiles (gzip), map pages and, from one of
them, uploads replacing a small layer (one a second). A warm-up run fills the
caches and opens what the workers open; after a rest (idle threads retire) the
worker processes' RSS and open file handles are the baseline; after the timed
run and the same rest they are measured again.

Printed: requests/s, p50/p99 per endpoint, errors, RSS and handles summed over
the workers. The exit status is non-zero if any request failed or if RSS or
handles are more than ``--tolerance`` (10 %) above the baseline after the rest (RSS
may also grow by the workers' in-memory tile caches, bounded by
``GEOSERVICE_TILES__MEMORY_CACHE_BYTES`` each: uploads keep changing their keys, so
they are still filling after the warm-up).
The load generator is a small asyncio HTTP/1.1 client in this process, so the
figures include its cost on a shared machine: compare runs, not machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, bench_db_url, free_port, table
from geoservice.settings import Settings

UPLOAD_LAYER = "villages"
LOAD_DB = "gs_load"


@dataclass
class Endpoint:
    """One kind of request, its share of the GET mix, and what was measured."""

    name: str
    weight: float
    requests: list[tuple[str, str, bytes, bytes]]  # method, path, headers, body
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0

    def reset(self) -> None:
        self.latencies, self.statuses, self.errors = [], Counter(), 0


# -- a keep-alive HTTP/1.1 client: cheap enough to load a server on the same machine ---


class Connection:
    """One keep-alive connection; reconnects after errors or ``Connection: close``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: bytes, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Length: {len(body)}\r\n"
        ).encode()
        self.writer.write(head + headers + b"\r\n" + body)
        await self.writer.drain()
        status, length, chunked, close = self._parse(await self.reader.readuntil(b"\r\n\r\n"))
        if chunked:
            await self._read_chunks()
        elif length and method != "HEAD" and status not in (204, 304):
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    @staticmethod
    def _parse(head: bytes) -> tuple[int, int, bool, bool]:
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        chunked = fields.get("transfer-encoding") == "chunked"
        return (
            status,
            int(fields.get("content-length", 0)),
            chunked,
            fields.get("connection") == "close",
        )

    async def _read_chunks(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return
            await self.reader.readexactly(size + 2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def timed_request(conn: Connection, endpoint: Endpoint, rng: random.Random) -> None:
    method, path, headers, body = rng.choice(endpoint.requests)
    start = time.perf_counter()
    try:
        status = await asyncio.wait_for(conn.request(method, path, headers, body), 60)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        conn.close()
        endpoint.errors += 1
        endpoint.statuses[type(exc).__name__] += 1
        return
    endpoint.latencies.append(time.perf_counter() - start)
    endpoint.statuses[status] += 1
    endpoint.errors += status >= 400


async def browse(port: int, endpoints: list[Endpoint], deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    conn = Connection(port)
    weights = [e.weight for e in endpoints]
    while time.perf_counter() < deadline:
        await timed_request(conn, rng.choices(endpoints, weights)[0], rng)
    conn.close()


async def upload_loop(port: int, upload: Endpoint, deadline: float, pause_s: float) -> None:
    rng = random.Random(0)
    conn = Connection(port)
    while time.perf_counter() < deadline:
        await timed_request(conn, upload, rng)
        await asyncio.sleep(pause_s)
    conn.close()


async def run_load(port, endpoints, upload, clients: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    tasks = [browse(port, endpoints, deadline, seed) for seed in range(clients - 1)]
    tasks.append(upload_loop(port, upload, deadline, pause_s=1.0))
    await asyncio.gather(*tasks)
    return time.perf_counter() - start


# -- the workload ------------------------------------------------------------------


def workload(base: str, editor_key: str) -> tuple[list[Endpoint], Endpoint]:
    """Build the request lists from what the running server holds."""
    from geoservice.tiles.seed import pyramid

    with httpx.Client(base_url=base, timeout=60) as http:
        grid = http.get("/collections/farmland_grid").json()
        west, south, east, north = grid["extent"]["spatial"]["bbox"][0]
        villages = http.get(f"/collections/{UPLOAD_LAYER}/items?limit=10000").content
    rng = random.Random(42)
    gzip_header = b"Accept-Encoding: gzip\r\n"
    items = []
    for _ in range(64):
        w, h = (east - west) / 10, (north - south) / 10
        x, y = west + rng.random() * (east - west - w), south + rng.random() * (north - south - h)
        bbox = f"{x:.5f},{y:.5f},{x + w:.5f},{y + h:.5f}"
        path = f"/collections/farmland_grid/items?bbox={bbox}&limit=100"
        items.append(("GET", path, gzip_header, b""))
    addresses = pyramid("WebMercatorQuad", (west, south, east, north), range(10, 14))
    tiles = [
        (
            "GET",
            f"/collections/{layer}/tiles/WebMercatorQuad/{a.z}/{a.row}/{a.col}",
            gzip_header,
            b"",
        )
        for a in addresses
        for layer in ("farmland_grid", "villages")
    ]
    maps = [
        ("GET", path, gzip_header, b"") for path in ("/maps", "/maps/villages", "/maps/district")
    ]
    boundary = "gsloadboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="mode"\r\n\r\nreplace\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="file"; filename="villages.geojson"\r\n'
            "Content-Type: application/geo+json\r\n\r\n"
        ).encode()
        + villages
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = (
        f"Authorization: Bearer {editor_key}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
    ).encode()
    upload = Endpoint(
        "upload", 0, [("POST", f"/collections/{UPLOAD_LAYER}/uploads", headers, body)]
    )
    endpoints = [
        Endpoint("items", 0.45, items),
        Endpoint("tiles", 0.45, tiles),
        Endpoint("maps", 0.10, maps),
    ]
    return endpoints, upload


# -- the server ----------------------------------------------------------------------


class Server:
    """``geoservice serve --workers N`` on a free port, over a freshly built store."""

    def __init__(self, store: str, workers: int, data_dir: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "GEOSERVICE_DATA_DIR": str(data_dir)}
        self.env.pop("GEOSERVICE_DATABASE_URL", None)
        if store == "postgis":
            url = bench_db_url(LOAD_DB)
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA IF EXISTS geoservice CASCADE")
            self.env["GEOSERVICE_DATABASE_URL"] = url
        self.cli = [sys.executable, "-c", "from geoservice.cli import app; app()"]
        subprocess.run([*self.cli, "data", "build"], env=self.env, check=True, capture_output=True)
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def editor_key(self) -> str:
        done = subprocess.run(
            [*self.cli, "keys", "create", "--role", "editor", "--name", "load"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.split()[-1]

    def __enter__(self) -> Server:
        args = ["serve", "--workers", str(self.workers), "--port", str(self.port)]
        args += ["--no-access-log", "--log-level", "warning"]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([*self.cli, *args], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                ready = httpx.get(self.url + "/readyz", timeout=5).status_code == 200
                if ready and len(self.worker_processes()) == self.workers:
                    time.sleep(2)  # the last workers' lifespans
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become ready")

    def __exit__(self, *exc) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def worker_processes(self) -> list[psutil.Process]:
        assert self.proc is not None
        found = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if "spawn_main" in " ".join(child.cmdline()):
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def footprint(self) -> dict[str, float]:
        """Return RSS (MB), open handles and threads summed over the worker processes."""
        rss = fds = threads = 0
        for worker in self.worker_processes():
            with worker.oneshot():
                rss += worker.memory_info().rss
                fds += worker.num_fds()
                threads += worker.num_threads()
        return {"rss_mb": rss / 2**20, "handles": fds, "threads": threads}


# -- one store, then the report --------------------------------------------------------


def run_store(store: str, args) -> bool:
    data_dir = Path(tempfile.mkdtemp(prefix=f"gs-load-{store}-"))
    try:
        server = Server(store, args.workers, data_dir)
        with server:
            endpoints, upload = workload(server.url, server.editor_key())
            everything = [*endpoints, upload]
            asyncio.run(run_load(server.port, endpoints, upload, args.clients, args.warmup))
            warm_errors = sum(e.errors for e in everything)
            time.sleep(args.rest)
            before = server.footprint()
            for e in everything:
                e.reset()
            elapsed = asyncio.run(
                run_load(server.port, endpoints, upload, args.clients, args.seconds)
            )
            time.sleep(args.rest)
            after = server.footprint()
            ok = report(store, args, everything, elapsed, before, after, warm_errors)
            if not ok:
                print_server_errors(server.log)
            return ok
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def print_server_errors(log: Path, lines: int = 60) -> None:
    """Print the end of the server's log from its first error: what the 5xx were."""
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    start = next((i for i, line in enumerate(text) if "Error" in line or "Traceback" in line), None)
    if start is None:
        print("(the server logged no error)")
        return
    print(f"server log from its first error ({log.name}):")
    print("\n".join(text[start : start + lines]))


def report(store, args, endpoints, elapsed, before, after, warm_errors) -> bool:
    total = sum(len(e.latencies) + e.errors for e in endpoints)
    print(f"\n== {store}: {args.clients} clients, {args.workers} workers, {elapsed:.0f} s ==")
    rows = []
    for e in endpoints:
        lat = sorted(e.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(e.statuses.items(), key=str))
        rows.append(
            [e.name, f"{len(lat) / elapsed:.1f}", f"{p50:.1f}", f"{p99:.1f}", e.errors, statuses]
        )
    print(table(rows, ["endpoint", "req/s", "p50 ms", "p99 ms", "errors", "statuses"]))
    print(f"total {total / elapsed:.1f} req/s; warm-up errors {warm_errors}")
    rows = [
        [
            key,
            f"{before[key]:.0f}",
            f"{after[key]:.0f}",
            f"{(after[key] / before[key] - 1) * 100:+.1f} %",
        ]
        for key in ("rss_mb", "handles", "threads")
    ]
    print(f"workers after {args.rest:.0f} s of rest (before the timed run, after it):")
    print(table(rows, ["", "before", "after", "change"]))
    failures = [f"{e.name}: {e.errors} errors" for e in endpoints if e.errors]
    failures += [f"{store}: {w} warm-up errors" for w in [warm_errors] if w]
    # Each worker's in-memory tile cache may still be filling (uploads change the keys):
    # it is bounded by the setting, so growth up to that bound is not a leak.
    cache_mb = args.workers * Settings().tiles.memory_cache_bytes / 2**20
    allowed = {
        "rss_mb": before["rss_mb"] * (1 + args.tolerance) + cache_mb,
        "handles": before["handles"] * (1 + args.tolerance),
    }
    print(
        f"allowed after the rest: RSS {allowed['rss_mb']:.0f} MB (+{args.tolerance:.0%} and "
        f"the tile caches' bound, {cache_mb:.0f} MB), handles {allowed['handles']:.0f}"
    )
    for key in ("rss_mb", "handles"):
        if after[key] > allowed[key]:
            failures.append(f"{key} {before[key]:.0f} -> {after[key]:.0f}: not back after the rest")
    for line in failures:
        print(f"FAIL {store} {line}")
    return not failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="timed run")
    parser.add_argument(
        "--warmup",
        type=float,
        default=60,
        help="warm-up run: bounded caches fill before the baseline",
    )
    parser.add_argument(
        "--rest",
        type=float,
        default=15,
        help="pause before each measure (idle threads retire after 10 s)",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--store", choices=["gpkg", "postgis", "both"], default="both")
    parser.add_argument("--tolerance", type=float, default=0.10)
    args = parser.parse_args()
    stores = (
        ["geopackage", "postgis"]
        if args.store == "both"
        else [{"gpkg": "geopackage", "postgis": "postgis"}[args.store]]
    )
    print(f"load: {json.dumps(vars(args))}; machine: {os.cpu_count()} cores, shared")
    results = [run_store(store, args) for store in stores]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
