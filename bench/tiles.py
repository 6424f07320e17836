"""Tile benchmark: geoservice against tipg, TiTiler and their floors, in one run.

Vector: the ~100 000-cell Dongsheng farmland grid in PostGIS; the same z10/z12/z14
tile lists for geoservice (uncached and cached), tipg (pointed at the view the
PostGIS store keeps for the layer) and raw ``ST_AsMVT`` through psycopg (the
floor); plus a bare FastAPI endpoint returning 20 KB. Raster: one float32 COG,
PNG tiles from geoservice, TiTiler and rio-tiler called directly (the floor).
HTTP load: wrk, 16 connections, ``Accept-Encoding: gzip``; one uvicorn worker per
server. The floors run 16 threads in this process. All servers run at once and
each figure is the median of ``--rounds`` short runs interleaved with the others',
so load from other work on the machine falls on every contender alike.

    .venv/bin/python bench/tiles.py [--seconds 5] [--rounds 3] [--part vector|raster|all]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import morecantile
from tiles_support import (
    ROOT,
    WORK,
    bench_db_url,
    free_port,
    load_grid,
    make_cog,
    peer_bin,
    server,
    threaded_rate,
    uvicorn,
    wrk,
)

ZOOMS = (10, 12, 14)
MAX_TILES = {10: 16, 12: 64, 14: 256}
ATTRIBUTES = ("code", "parent_code", "level", "area_m2", "is_clipped")
PY = str(ROOT / ".venv" / "bin" / "python")


def tile_list(url: str, bbox, z: int) -> list[morecantile.Tile]:
    """Return up to MAX_TILES[z] tiles holding grid cells, spread evenly."""
    import psycopg

    tiles = list(morecantile.tms.get("WebMercatorQuad").tiles(*bbox, [z]))
    with psycopg.connect(url) as conn:
        tiles = [
            t for t in tiles if conn.execute(HAS_DATA, {"z": t.z, "x": t.x, "y": t.y}).fetchone()[0]
        ]
    step = max(1, len(tiles) // MAX_TILES[z])
    return tiles[::step][: MAX_TILES[z]]


HAS_DATA = (
    "SELECT EXISTS (SELECT 1 FROM geoservice.farmland_grid WHERE geom && "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326))"
)


def geoservice_env(url: str, data_dir: str, *, cache: bool) -> dict:
    """Environment of a geoservice server (GeoPackage unless ``url``)."""
    env = {"GEOSERVICE_DATA_DIR": data_dir, "GEOSERVICE_TILES__CACHE": str(cache).lower()}
    if url:
        env["GEOSERVICE_DATABASE_URL"] = url
    return env


def start_servers(stack: ExitStack, url: str) -> dict[str, str]:
    """Start every vector server at once (idle ones cost nothing); return base URLs."""
    bases = {}
    for name, cache in (("geoservice uncached", False), ("geoservice cached", True)):
        data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        port = free_port()
        cmd = uvicorn(PY, "geoservice.app:create_app", port, factory=True)
        env = geoservice_env(url, data_dir, cache=cache)
        bases[name] = stack.enter_context(server(cmd, port, env, "/healthz"))
    port = free_port()
    env = {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["geoservice"]'}
    cmd = uvicorn(peer_bin() / "python", "tipg.main:app", port)
    bases["tipg"] = stack.enter_context(server(cmd, port, env, "/collections"))
    port = free_port()
    env = {"PYTHONPATH": str(Path(__file__).parent)}
    bases["bare"] = stack.enter_context(
        server(uvicorn(PY, "bare_app:app", port), port, env, "/bare/0")
    )
    return bases


def tile_paths(name: str, tiles) -> list[str]:
    """Return the request paths of ``tiles`` for one server."""
    if name == "tipg":
        props = ",".join(ATTRIBUTES)
        return [
            f"/collections/geoservice.farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"
            f"?properties={props}"
            for t in tiles
        ]
    if name == "bare":
        return [f"/bare/{i}" for i in range(64)]
    return [f"/collections/farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}" for t in tiles]


def run_vector(url: str, grids: dict, seconds: int, rounds: int) -> dict:
    """Interleave short runs of every server and the floor; keep the median of each."""
    runs: dict[str, dict[int, list[float]]] = {}
    sizes: dict[str, dict[int, float]] = {}
    with ExitStack() as stack:
        bases = start_servers(stack, url)
        floor = stack.enter_context(FloorClient(url))
        for name, base in bases.items():  # sizes, and the cached server's cache
            sizes[name] = {z: mean_kb(base, tile_paths(name, t)) for z, t in grids.items()}
        for z, tiles in grids.items():
            for r in range(rounds):
                order = [*bases, "ST_AsMVT floor"]
                for name in order[r % len(order) :] + order[: r % len(order)]:
                    if name == "ST_AsMVT floor":
                        rps = floor.rate(tiles, seconds)
                    else:
                        rps = wrk(bases[name], tile_paths(name, tiles), seconds=seconds)["rps"]
                    runs.setdefault(name, {}).setdefault(z, []).append(rps)
    return {
        name: {
            z: {"rps": statistics.median(v), "runs": v, "kb": sizes.get(name, {}).get(z)}
            for z, v in by_zoom.items()
        }
        for name, by_zoom in runs.items()
    }


def mean_kb(base: str, paths: list[str]) -> float:
    """Fetch each path once (fills caches); return the mean body size in KB."""
    sizes = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            r = client.get(path, headers={"Accept-Encoding": "identity"})
            r.raise_for_status()
            sizes.append(len(r.content))
    return sum(sizes) / max(1, len(sizes)) / 1024


FLOOR_SQL = (
    "SELECT ST_AsMVT(t, 'farmland_grid', 4096, 'geom', 'fid') FROM (SELECT fid, "
    + ", ".join(f'"{a}"' for a in ATTRIBUTES)
    + ", ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), "
    "4096, 64, true) AS geom FROM geoservice.farmland_grid WHERE geom && "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326)) t"
)


class FloorClient:
    """Raw ST_AsMVT through psycopg: 16 threads, one connection each."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> FloorClient:
        import psycopg

        self.conns = [psycopg.connect(self.url, autocommit=True) for _ in range(16)]
        return self

    def __exit__(self, *exc) -> None:
        for conn in self.conns:
            conn.close()

    def rate(self, tiles, seconds: int) -> float:
        """Return tiles/s over ``tiles`` for ``seconds``."""

        def one(i: int) -> None:
            t = tiles[i % len(tiles)]
            conn = self.conns[i % 16]
            conn.execute(FLOOR_SQL, {"z": t.z, "x": t.x, "y": t.y}, prepare=True).fetchone()

        return threaded_rate(one, seconds=seconds)


def run_raster(seconds: int, rounds: int, bbox, grids: dict) -> dict:
    """geoservice vs TiTiler vs rio-tiler on one COG, uncached PNG tiles, interleaved."""
    cog = make_cog(WORK / "bench-cog.tif", bbox)
    tiles = [t for z in (10, 12, 14) for t in grids[z][:24]]
    query = f"url={cog}&rescale=0,100&colormap_name=viridis"
    paths = {
        "geoservice": [f"/rasters/bench/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}" for t in tiles],
        "titiler": [f"/cog/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}.png?{query}" for t in tiles],
    }
    runs: dict[str, list[float]] = {"geoservice": [], "titiler": [], "rio-tiler": []}
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        (data_dir / "rasters").mkdir()
        (data_dir / "rasters" / "bench.tif").symlink_to(cog)
        style = {"raster": {"colormap": "viridis", "rescale": [0, 100]}}
        (data_dir / "rasters" / "bench.json").write_text(json.dumps(style))
        port = free_port()
        cmd = uvicorn(PY, "geoservice.app:create_app", port, factory=True)
        env = geoservice_env("", str(data_dir), cache=False)
        bases = {"geoservice": stack.enter_context(server(cmd, port, env, "/healthz"))}
        port = free_port()
        cmd = uvicorn(peer_bin() / "python", "titiler.application.main:app", port)
        bases["titiler"] = stack.enter_context(server(cmd, port, {}, "/healthz"))
        for name, base in bases.items():
            mean_kb(base, paths[name])  # both answer every tile before the clock starts
        for _ in range(rounds):
            for name, base in bases.items():
                runs[name].append(wrk(base, paths[name], seconds=seconds)["rps"])
            runs["rio-tiler"].append(rio_tiler_floor(cog, tiles, seconds))
    return {name: {"rps": statistics.median(v), "runs": v} for name, v in runs.items()}


def rio_tiler_floor(cog: Path, tiles, seconds: int) -> float:
    """rio-tiler called directly: one open Reader per thread, PNG with the colormap."""
    import threading

    from rio_tiler.colormap import cmap
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    local = threading.local()
    viridis = cmap.get("viridis")

    def one(i: int) -> None:
        reader = getattr(local, "reader", None) or Reader(str(cog))
        local.reader = reader
        t = tiles[i % len(tiles)]
        try:
            image = reader.tile(t.x, t.y, t.z)
        except TileOutsideBounds:
            return
        image.rescale(in_range=[(0, 100)])
        image.render(img_format="PNG", colormap=viridis)

    return threaded_rate(one, seconds=seconds)


def report(vector: dict, bare: float | None, raster: dict | None) -> None:
    """Print tiles/s and the ratios the issue sets targets for."""
    if vector:
        print(
            f"\nvector tiles/s (16 clients){'':<6}" + "".join(f"{'z' + str(z):>10}" for z in ZOOMS)
        )
        for name, rows in vector.items():
            print(f"{name:<32}" + "".join(f"{rows[z]['rps']:>10.1f}" for z in ZOOMS))
        for name, rows in vector.items():
            if rows[ZOOMS[0]].get("kb") is not None:
                print(
                    f"{'  mean KB ' + name:<32}" + "".join(f"{rows[z]['kb']:>10.1f}" for z in ZOOMS)
                )
        ours, tipg, floor = vector["geoservice uncached"], vector["tipg"], vector["ST_AsMVT floor"]
        for label, a, b, target in (
            ("uncached / tipg", ours, tipg, 1.5),
            ("uncached / floor", ours, floor, 0.7),
        ):
            ratios = [a[z]["rps"] / max(b[z]["rps"], 1e-9) for z in ZOOMS]
            print(f"{label + f' (>= {target})':<32}" + "".join(f"{r:>10.2f}" for r in ratios))
        if bare:
            cached = vector["geoservice cached"]
            print(
                f"bare FastAPI 20 KB: {bare:.0f} req/s; cached / bare (>= 0.8): "
                + ", ".join(f"z{z} {cached[z]['rps'] / bare:.2f}" for z in ZOOMS)
            )
    if raster:
        print(
            "\nraster PNG tiles/s: " + ", ".join(f"{k} {v['rps']:.1f}" for k, v in raster.items())
        )
        print(
            f"geoservice / TiTiler (>= 1.2): "
            f"{raster['geoservice']['rps'] / raster['titiler']['rps']:.2f}; "
            f"geoservice / rio-tiler: "
            f"{raster['geoservice']['rps'] / raster['rio-tiler']['rps']:.2f}"
        )


def main() -> None:
    """Run the benchmark and print (and save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per figure")
    parser.add_argument("--part", choices=["vector", "raster", "all"], default="all")
    args = parser.parse_args()
    url = bench_db_url()
    count, bbox = load_grid(url)
    print(f"farmland grid: {count} cells in PostGIS; bbox {tuple(round(v, 3) for v in bbox)}")
    grids = {z: tile_list(url, bbox, z) for z in ZOOMS}
    print("tiles per zoom: " + ", ".join(f"z{z} {len(t)}" for z, t in grids.items()))
    vector, bare, raster = {}, None, None
    if args.part in ("vector", "all"):
        vector = run_vector(url, grids, args.seconds, args.rounds)
        bare_runs = vector.pop("bare")
        bare = statistics.median([r for z in ZOOMS for r in bare_runs[z]["runs"]])
    if args.part in ("raster", "all"):
        raster = run_raster(args.seconds, args.rounds, bbox, grids)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"vector": vector, "bare": bare, "raster": raster, "cpus": os.cpu_count()}
    (out / f"tiles-{stamp}.json").write_text(json.dumps(payload, indent=1, default=str))
    report(vector, bare, raster)


if __name__ == "__main__":
    main()
