"""Tile benchmark: geoservice against tipg, TiTiler and their floors, in one run.

Vector: the ~100 000-cell Dongsheng farmland grid, the same cells in PostGIS and in
a GeoPackage; the same z10/z12/z14 tile lists for geoservice on each store
(uncached and cached), tipg (pointed at the view the PostGIS store keeps for the
layer, with geoservice's feature cap of 20 000 a tile) and raw ``ST_AsMVT`` through
psycopg (the floor); plus a bare FastAPI endpoint returning the same bytes as a
cached tile (the floor of cached tiles). Every HTTP figure is taken twice: clients
sending ``Accept-Encoding: gzip`` (browsers, MapLibre) and clients sending none
(GDAL, curl, scripts). Raster: one float32 COG, PNG tiles from geoservice, TiTiler
and rio-tiler called directly (the floor). HTTP load: wrk, 16 connections; one
uvicorn worker per server by default (``--workers N`` gives every server N). The
floors run 16 threads in this process. All servers run at once and each figure
is the median of ``--rounds`` short runs interleaved with the others', so load
from other work on the machine falls on every contender alike.

    .venv/bin/python bench/tiles.py [--seconds 5] [--rounds 3] [--part vector|raster|all]
                                    [--clients gzip,identity] [--workers 1]
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
    copy_grid_to_geopackage,
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
FEATURE_CAP = 20_000  # geoservice's tiles.max_features_per_tile, given to tipg too
GEOSERVICE = ("PostGIS", "GeoPackage")
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


def start_servers(stack: ExitStack, url: str, workers: int = 1) -> dict[str, str]:
    """Start every vector server at once (idle ones cost nothing); return base URLs.

    Every HTTP server gets the same number of uvicorn ``workers``.
    """
    bases = {}
    for store in GEOSERVICE:
        for cached in (False, True):
            data_dir = stack.enter_context(tempfile.TemporaryDirectory())
            if store == "GeoPackage":
                copy_grid_to_geopackage(url, Path(data_dir) / "geoservice.gpkg")
            port = free_port()
            cmd = uvicorn(PY, "geoservice.app:create_app", port, factory=True, workers=workers)
            env = geoservice_env(url if store == "PostGIS" else "", data_dir, cache=cached)
            name = f"geoservice {store} {'cached' if cached else 'uncached'}"
            bases[name] = stack.enter_context(server(cmd, port, env, "/healthz"))
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": '["geoservice"]',
        "TIPG_MAX_FEATURES_PER_TILE": str(FEATURE_CAP),  # tipg's own cap is 10 000
    }
    cmd = uvicorn(peer_bin() / "python", "tipg.main:app", port, workers=workers)
    bases["tipg"] = stack.enter_context(server(cmd, port, env, "/collections"))
    port = free_port()
    shared = stack.enter_context(tempfile.TemporaryDirectory())
    env = {"PYTHONPATH": str(Path(__file__).parent), "BARE_DIR": shared}
    cmd = uvicorn(PY, "bare_app:app", port, workers=workers)
    bases["bare"] = stack.enter_context(server(cmd, port, env, "/openapi.json"))
    return bases


def tile_paths(name: str, tiles) -> list[str]:
    """Return the request paths of ``tiles`` for one server."""
    if name == "tipg":
        props = ",".join(ATTRIBUTES)
        return [
            f"/collections/geoservice.farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"
            f"?properties={props}&limit={FEATURE_CAP}"
            for t in tiles
        ]
    if name == "bare":
        return [f"/bare/{t.z}/{t.x}/{t.y}" for t in tiles]
    return [f"/collections/farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}" for t in tiles]


def run_vector(
    url: str, grids: dict, seconds: int, rounds: int, clients: list[str], workers: int = 1
) -> dict:
    """Interleave short runs of every server and the floor; keep the median of each.

    Returns {contender: {client: {zoom: {"rps", "runs", "kb"}}}}; the floor makes
    tiles without HTTP, so it has one client kind ("-").
    """
    runs: dict[str, dict[str, dict[int, list[float]]]] = {}
    sizes: dict[str, dict[int, dict[str, float]]] = {}
    with ExitStack() as stack:
        bases = start_servers(stack, url, workers)
        floor = stack.enter_context(FloorClient(url))
        cached = f"{bases['geoservice PostGIS cached']}"
        for name, base in bases.items():  # sizes, and the cached servers' caches
            if name != "bare":
                sizes[name] = {z: mean_kb(base, tile_paths(name, t)) for z, t in grids.items()}
        warm_bare(bases["bare"], cached, grids)
        # In-memory tile sources are built in the background after a layer's first
        # tile, once per worker: let them finish, then touch every tile once more.
        time.sleep(15)
        for name, base in bases.items():
            if name != "bare":
                for tiles in grids.values():
                    mean_kb(base, tile_paths(name, tiles))
        sizes["bare"] = sizes["geoservice PostGIS cached"]
        for z, tiles in grids.items():
            for r in range(rounds):
                order = [(n, c) for n in bases for c in clients] + [("ST_AsMVT floor", "-")]
                for name, client in order[r % len(order) :] + order[: r % len(order)]:
                    if name == "ST_AsMVT floor":
                        rps = floor.rate(tiles, seconds)
                    else:
                        paths = tile_paths(name, tiles)
                        rps = wrk(bases[name], paths, seconds=seconds, gzip=client == "gzip")
                        rps = rps["rps"]
                    runs.setdefault(name, {}).setdefault(client, {}).setdefault(z, []).append(rps)
    return {
        name: {
            client: {
                z: {"rps": statistics.median(v), "runs": v, "kb": sizes.get(name, {}).get(z)}
                for z, v in by_zoom.items()
            }
            for client, by_zoom in by_client.items()
        }
        for name, by_client in runs.items()
    }


def warm_bare(bare: str, cached: str, grids: dict) -> None:
    """Give the bare endpoint the bytes of geoservice's cached tiles, both encodings."""
    with httpx.Client(timeout=120) as client:
        for tiles in grids.values():
            for t in tiles:
                path = f"/collections/farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}"
                raw = client.get(cached + path, headers={"Accept-Encoding": "identity"})
                client.put(f"{bare}/bare/{t.z}/{t.x}/{t.y}", content=raw.content).raise_for_status()


def mean_kb(base: str, paths: list[str]) -> dict[str, float]:
    """Fetch each path once per encoding (fills caches); return mean body sizes in KB."""
    sizes: dict[str, list[int]] = {"identity": [], "gzip": []}
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            for encoding in sizes:
                r = client.get(path, headers={"Accept-Encoding": encoding})
                r.raise_for_status()
                sizes[encoding].append(
                    len(r.content) if encoding == "identity" else r.num_bytes_downloaded
                )
    return {k: sum(v) / max(1, len(v)) / 1024 for k, v in sizes.items()}


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


def report(vector: dict, raster: dict | None) -> None:
    """Print tiles/s, tile sizes and the ratios the issue sets targets for."""
    if vector:
        head = "".join(f"{'z' + str(z):>10}" for z in ZOOMS)
        clients = [c for c in next(iter(vector.values())) if c != "-"]
        for client in clients:
            print(f"\nvector tiles/s, 16 clients, Accept-Encoding: {client}{'':<4}{head}")
            for name, by_client in vector.items():
                rows = by_client.get(client) or by_client.get("-")
                print(f"{name:<48}" + "".join(f"{rows[z]['rps']:>10.1f}" for z in ZOOMS))
        sizes = vector["geoservice PostGIS uncached"][clients[0]]
        for encoding in ("identity", "gzip"):
            print(
                f"{'mean tile KB, ' + encoding:<48}"
                + "".join(f"{sizes[z]['kb'][encoding]:>10.1f}" for z in ZOOMS)
            )
        floor = vector["ST_AsMVT floor"]["-"]
        for client in clients:
            print(f"\nratios, {client} clients{'':<29}{head}")

            def rps(name: str, z: int, client: str = client) -> float:
                return vector[name][client][z]["rps"]

            rows = [
                ("PostGIS uncached / tipg (>= 1.5)", "geoservice PostGIS uncached", "tipg"),
                ("PostGIS uncached / floor (>= 0.7)", "geoservice PostGIS uncached", None),
                ("GeoPackage uncached / tipg (>= 1.5)", "geoservice GeoPackage uncached", "tipg"),
                ("PostGIS cached / bare (>= 0.8)", "geoservice PostGIS cached", "bare"),
                ("GeoPackage cached / bare (>= 0.8)", "geoservice GeoPackage cached", "bare"),
            ]
            for label, ours, theirs in rows:
                ratios = [
                    rps(ours, z) / max(rps(theirs, z) if theirs else floor[z]["rps"], 1e-9)
                    for z in ZOOMS
                ]
                print(f"{label:<48}" + "".join(f"{r:>10.2f}" for r in ratios))
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
    parser.add_argument(
        "--clients", default="gzip,identity", help="Accept-Encoding of the clients: gzip, identity"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers of every HTTP server alike"
    )
    args = parser.parse_args()
    clients = [c.strip() for c in args.clients.split(",") if c.strip() in ("gzip", "identity")]
    url = bench_db_url()
    count, bbox = load_grid(url)
    print(f"farmland grid: {count} cells in PostGIS; bbox {tuple(round(v, 3) for v in bbox)}")
    grids = {z: tile_list(url, bbox, z) for z in ZOOMS}
    print("tiles per zoom: " + ", ".join(f"z{z} {len(t)}" for z, t in grids.items()))
    vector, raster = {}, None
    if args.part in ("vector", "all"):
        print(f"uvicorn workers per server: {args.workers}")
        vector = run_vector(url, grids, args.seconds, args.rounds, clients, args.workers)
    if args.part in ("raster", "all"):
        raster = run_raster(args.seconds, args.rounds, bbox, grids)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"vector": vector, "raster": raster, "cpus": os.cpu_count()}
    (out / f"tiles-{stamp}.json").write_text(json.dumps(payload, indent=1, default=str))
    report(vector, raster)


if __name__ == "__main__":
    main()
