"""Tile benchmark: geoservice against tipg, TiTiler and their floors, in one run.

Vector: the ~100 000-cell Dongsheng farmland grid in PostGIS; the same z10/z12/z14
tile lists for geoservice (uncached and cached), tipg (pointed at the view the
PostGIS store keeps for the layer) and raw ``ST_AsMVT`` through psycopg (the
floor); plus a bare FastAPI endpoint returning 20 KB. Raster: one float32 COG,
PNG tiles from geoservice, TiTiler and rio-tiler called directly (the floor).
HTTP load: wrk, 16 connections, ``Accept-Encoding: gzip``; one uvicorn worker per
server. The floors run 16 threads in this process.

    .venv/bin/python bench/tiles.py [--seconds 10] [--part vector|raster|all]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
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


def measure(base: str, paths: list[str], seconds: int) -> dict:
    """Fetch each path once (mean size; fills caches), then load with wrk."""
    sizes = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            r = client.get(path, headers={"Accept-Encoding": "identity"})
            r.raise_for_status()
            sizes.append(len(r.content))
    result = wrk(base, paths, seconds=seconds)
    result["kb"] = sum(sizes) / max(1, len(sizes)) / 1024
    return result


def geoservice_env(url: str, data_dir: str, *, cache: bool) -> dict:
    """Environment of a geoservice server over the benchmark database."""
    return {
        "GEOSERVICE_DATABASE_URL": url,
        "GEOSERVICE_DATA_DIR": data_dir,
        "GEOSERVICE_TILES__CACHE": "true" if cache else "false",
        "GEOSERVICE_TILES__VERSION_TTL_S": "1",
    }


def run_geoservice(url: str, grids: dict, seconds: int, *, cache: bool) -> dict:
    """Load geoservice (uncached or cached) zoom by zoom."""
    out = {}
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        cmd = uvicorn(PY, "geoservice.app:create_app", port, factory=True)
        with server(cmd, port, geoservice_env(url, data_dir, cache=cache), "/healthz") as base:
            for z, tiles in grids.items():
                paths = [
                    f"/collections/farmland_grid/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}"
                    for t in tiles
                ]
                out[z] = measure(base, paths, seconds)
    return out


def run_tipg(url: str, grids: dict, seconds: int) -> dict:
    """Load tipg (defaults, one worker) on the layer's view ``geoservice.farmland_grid``."""
    port = free_port()
    env = {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["geoservice"]'}
    cmd = uvicorn(peer_bin() / "python", "tipg.main:app", port)
    props = ",".join(ATTRIBUTES)
    out = {}
    with server(cmd, port, env, "/collections") as base:
        for z, tiles in grids.items():
            paths = [
                f"/collections/geoservice.farmland_grid/tiles/WebMercatorQuad/"
                f"{t.z}/{t.x}/{t.y}?properties={props}"
                for t in tiles
            ]
            out[z] = measure(base, paths, seconds)
    return out


FLOOR_SQL = (
    "SELECT ST_AsMVT(t, 'farmland_grid', 4096, 'geom', 'fid') FROM (SELECT fid, "
    + ", ".join(f'"{a}"' for a in ATTRIBUTES)
    + ", ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), "
    "4096, 64, true) AS geom FROM geoservice.farmland_grid WHERE geom && "
    "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326)) t"
)


def run_floor(url: str, grids: dict, seconds: int) -> dict:
    """Raw ST_AsMVT through psycopg: 16 threads, one connection each."""
    import psycopg

    out = {}
    conns = [psycopg.connect(url, autocommit=True) for _ in range(16)]
    try:
        for z, tiles in grids.items():

            def one(i: int, tiles=tiles) -> None:
                t = tiles[i % len(tiles)]
                conn = conns[i % 16]
                conn.execute(FLOOR_SQL, {"z": t.z, "x": t.x, "y": t.y}, prepare=True).fetchone()

            out[z] = {"rps": threaded_rate(one, seconds=seconds)}
    finally:
        for conn in conns:
            conn.close()
    return out


def run_bare(seconds: int) -> float:
    """A bare FastAPI endpoint returning 20 KB (same uvicorn, same wrk)."""
    port = free_port()
    cmd = uvicorn(PY, "bare_app:app", port)
    env = {"PYTHONPATH": str(Path(__file__).parent)}
    with server(cmd, port, env, "/bare/0") as base:
        return wrk(base, [f"/bare/{i}" for i in range(64)], seconds=seconds)["rps"]


def run_raster(seconds: int, bbox, grids: dict) -> dict:
    """geoservice vs TiTiler vs rio-tiler on one COG, uncached PNG tiles."""
    cog = make_cog(WORK / "bench-cog.tif", bbox)
    tiles = [t for z in (10, 12, 14) for t in grids[z][:24]]
    with tempfile.TemporaryDirectory() as data_dir:
        rasters = Path(data_dir) / "rasters"
        rasters.mkdir()
        (rasters / "bench.tif").symlink_to(cog)
        style = {"raster": {"colormap": "viridis", "rescale": [0, 100]}}
        (rasters / "bench.json").write_text(json.dumps(style))
        port = free_port()
        cmd = uvicorn(PY, "geoservice.app:create_app", port, factory=True)
        env = geoservice_env("", data_dir, cache=False) | {"GEOSERVICE_DATABASE_URL": ""}
        env.pop("GEOSERVICE_DATABASE_URL")
        paths = [f"/rasters/bench/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}" for t in tiles]
        with server(cmd, port, env, "/healthz") as base:
            ours = measure(base, paths, seconds)
    port = free_port()
    cmd = uvicorn(peer_bin() / "python", "titiler.application.main:app", port)
    query = f"url={cog}&rescale=0,100&colormap_name=viridis"
    paths = [f"/cog/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}.png?{query}" for t in tiles]
    with server(cmd, port, {}, "/healthz") as base:
        titiler = measure(base, paths, seconds)
    return {
        "geoservice": ours,
        "titiler": titiler,
        "rio-tiler": rio_tiler_floor(cog, tiles, seconds),
    }


def rio_tiler_floor(cog: Path, tiles, seconds: int) -> dict:
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

    return {"rps": threaded_rate(one, seconds=seconds)}


def report(vector: dict, bare: float | None, raster: dict | None) -> None:
    """Print tiles/s and the ratios the issue sets targets for."""
    if vector:
        print(
            f"\nvector tiles/s (16 clients){'':<6}" + "".join(f"{'z' + str(z):>10}" for z in ZOOMS)
        )
        for name, rows in vector.items():
            print(f"{name:<32}" + "".join(f"{rows[z]['rps']:>10.1f}" for z in ZOOMS))
        for name, rows in vector.items():
            if "kb" in rows[ZOOMS[0]]:
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
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--part", choices=["vector", "raster", "all"], default="all")
    args = parser.parse_args()
    url = bench_db_url()
    count, bbox = load_grid(url)
    print(f"farmland grid: {count} cells in PostGIS; bbox {tuple(round(v, 3) for v in bbox)}")
    grids = {z: tile_list(url, bbox, z) for z in ZOOMS}
    print("tiles per zoom: " + ", ".join(f"z{z} {len(t)}" for z, t in grids.items()))
    vector, bare, raster = {}, None, None
    if args.part in ("vector", "all"):
        vector["geoservice uncached"] = run_geoservice(url, grids, args.seconds, cache=False)
        vector["geoservice cached"] = run_geoservice(url, grids, args.seconds, cache=True)
        vector["tipg"] = run_tipg(url, grids, args.seconds)
        vector["ST_AsMVT floor"] = run_floor(url, grids, args.seconds)
        bare = run_bare(args.seconds)
    if args.part in ("raster", "all"):
        raster = run_raster(args.seconds, bbox, grids)
    report(vector, bare, raster)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"vector": vector, "bare": bare, "raster": raster, "cpus": os.cpu_count()}
    (out / f"tiles-{stamp}.json").write_text(json.dumps(payload, indent=1, default=str))


if __name__ == "__main__":
    main()
