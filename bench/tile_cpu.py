"""CPU a vector tile costs the service and PostgreSQL, beside the raw ST_AsMVT floor.

    .venv/bin/python bench/tile_cpu.py [--zoom 14] [--rounds 3] [--seconds 6] [--identity]

On a 2-core machine an uncached PostGIS tile run is bound by CPU shared by
PostgreSQL, the service and the load tool, so tiles/s alone does not say where a
tile's time goes. This runs one geoservice worker (PostGIS store, tile cache off)
on the tiles benchmark's grid (``bench/tiles.py`` builds it), loads it with wrk,
and reads the CPU time of the server process and of every PostgreSQL process from
``/proc`` around each run; then does the same for the floor's query through
psycopg (16 threads). Prints milliseconds of CPU per tile, by process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time

from _common import free_port, server, uvicorn_cmd
from tiles import PY, FloorClient, geoservice_env, tile_list, tile_paths
from tiles_support import bench_db_url, load_grid, wrk

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # a backend that ended meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """Return the PostgreSQL processes (postmaster and every backend)."""
    found = subprocess.run(["pgrep", "-f", "postgres"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def server_pid(port: int) -> int:
    """Return the pid of the uvicorn process listening on ``port``."""
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    return int(found.stdout.split()[0])


def measure(run, own: list[int]) -> tuple[float, float, float]:
    """Run ``run()`` (returns the tiles made); return tiles/s, CPU ms a tile of the
    ``own`` processes and of PostgreSQL."""
    backends = postgres_pids()
    own0, pg0, t0 = cpu_seconds(own), cpu_seconds(backends), time.perf_counter()
    tiles = run()
    own1, pg1, t1 = cpu_seconds(own), cpu_seconds(backends), time.perf_counter()
    return tiles / (t1 - t0), 1000 * (own1 - own0) / tiles, 1000 * (pg1 - pg0) / tiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoom", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--identity", action="store_true", help="clients send no gzip")
    args = parser.parse_args()
    url = bench_db_url()
    _, bbox = load_grid(url)
    tiles = tile_list(url, bbox, args.zoom)
    paths = tile_paths("geoservice", tiles)
    gzip = not args.identity
    print(f"z{args.zoom}: {len(tiles)} tiles; {'gzip' if gzip else 'identity'} clients")
    print(f"{'':28s} {'tiles/s':>8s} {'own ms':>8s} {'pg ms':>8s}")
    port = free_port()
    env = geoservice_env(url, tempfile.mkdtemp(), cache=False)
    with server(
        uvicorn_cmd(PY, "geoservice.app:create_app", port, factory=True), port, env, "/healthz"
    ) as base:
        pid = server_pid(port)
        wrk(base, paths, seconds=args.seconds, gzip=gzip)  # warm: tile tables, memory sources

        def served() -> int:
            result = wrk(base, paths, seconds=args.seconds, gzip=gzip)
            return max(1, round(result["rps"] * args.seconds))

        with FloorClient(url) as floor:
            floor.rate(tiles, 2)
            for _ in range(args.rounds):
                rate, own, pg = measure(served, [pid])
                print(f"{'geoservice PostGIS uncached':28s} {rate:8.1f} {own:8.3f} {pg:8.3f}")

                def floor_tiles() -> int:
                    return max(1, round(floor.rate(tiles, args.seconds) * args.seconds))

                rate, own, pg = measure(floor_tiles, [os.getpid()])
                print(f"{'ST_AsMVT floor (client)':28s} {rate:8.1f} {own:8.3f} {pg:8.3f}")


if __name__ == "__main__":
    main()
