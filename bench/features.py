"""OGC API Features: geoservice against pygeoapi, tipg and a raw PostGIS floor.

Run: ``make bench`` or ``.venv/bin/python bench/features.py [--seconds 5] [--rounds 3]``.

All servers serve the same ~100 000-cell farmland grid: geoservice on its
GeoPackage and PostGIS stores, pygeoapi on the same GeoPackage table, tipg on the
same PostGIS table. Two workloads:

1. ``items?bbox=...&limit=100`` with bboxes each covering ~1 % of the grid, 16
   concurrent clients (wrk), requests per second; the floor is the same GeoJSON
   page built by PostgreSQL and fetched through psycopg by 16 threads, no HTTP.
2. a full-layer GeoJSON export, seconds; the floor is PostGIS ``json_agg``.

Every server runs one uvicorn worker; all run at once, and each figure is the
median of ``--rounds`` short runs interleaved with the others' (as in
``bench/tiles.py``), so load from other work on this shared machine falls on
every contender alike. Peers live in venvs under bench/.work/.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    ROOT,
    WORK,
    bench_db_url,
    farmland_grid,
    free_port,
    peer_venv,
    server,
    table,
    threaded_rate,
    timed,
    uvicorn_cmd,
    wrk,
)

LAYER = "farmland_grid"
FLOOR_ITEMS = "floor: PostGIS page via psycopg (no HTTP)"
FLOOR_EXPORT = "floor: PostGIS json_agg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="length of one short run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()

    grid, cell_m = farmland_grid(args.cells)
    print(f"grid: {len(grid)} cells of {cell_m:.0f} m")
    gpkg, pg_url, table_name = load_stores(grid)
    boxes = bboxes(grid.total_bounds, count=64)

    with ExitStack() as stack:
        contenders = start_geoservice(stack, gpkg, pg_url, boxes)
        if not args.skip_peers:
            contenders.append(start_pygeoapi(stack, gpkg, table_name, boxes))
            contenders.append(start_tipg(stack, pg_url, table_name, boxes))
        items: dict[str, list[float]] = defaultdict(list)
        exports: dict[str, list[float]] = defaultdict(list)
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds}", flush=True)
            for c in contenders:
                items[c.name].append(measure(c.url, c.paths, args.seconds))
            items[FLOOR_ITEMS].append(floor_items(pg_url, table_name, boxes, args.seconds))
            for c in contenders:
                exports[c.name].append(timed(lambda c=c: download(c.url + c.export), repeat=1))
            exports[FLOOR_EXPORT].append(timed(lambda: json_agg(pg_url, table_name), repeat=1))
    report(
        {k: statistics.median(v) for k, v in items.items()},
        {k: statistics.median(v) for k, v in exports.items()},
    )


@dataclass(frozen=True)
class Contender:
    """A running server, the item pages to load it with and its whole-layer export."""

    name: str
    url: str
    paths: list[str]
    export: str


def load_stores(grid):
    """Write the grid into a fresh GeoPackage store and the PostGIS bench database."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage.geopackage import GeoPackageStore
    from geoservice.storage.postgis import PostGISStore

    layer = load_catalog(ROOT / "layers", ROOT / "styles").get(LAYER)
    WORK.mkdir(exist_ok=True)
    gpkg = WORK / "features.gpkg"
    for leftover in WORK.glob("features.gpkg*"):
        leftover.unlink()
    store = GeoPackageStore(gpkg)
    info = store.write(layer, grid)
    store.close()
    pg_url = bench_db_url()
    pg = PostGISStore(pg_url, pool_size=2)
    if pg.has_layer(LAYER):
        pg.delete_layer(LAYER)
    pg_info = pg.write(layer, grid)
    pg.close()
    assert info.table == pg_info.table
    return gpkg, pg_url, info.table


def bboxes(bounds, count: int) -> list[str]:
    """Random boxes each covering about 1 % of the grid's extent (fixed seed)."""
    minx, miny, maxx, maxy = bounds
    w, h = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    rng = np.random.default_rng(42)
    out = []
    for _ in range(count):
        x, y = rng.uniform(minx, maxx - w), rng.uniform(miny, maxy - h)
        out.append(f"{x:.5f},{y:.5f},{x + w:.5f},{y + h:.5f}")
    return out


def start_geoservice(stack: ExitStack, gpkg, pg_url, boxes) -> list[Contender]:
    python = Path(sys.executable)
    paths = [f"/collections/{LAYER}/items?bbox={b}&limit=100" for b in boxes]
    envs = {
        "geoservice (GeoPackage)": {
            "GEOSERVICE_GPKG_PATH": str(gpkg),
            "GEOSERVICE_DATABASE_URL": None,
        },
        "geoservice (PostGIS)": {"GEOSERVICE_DATABASE_URL": pg_url},
    }
    out = []
    for name, env in envs.items():
        port = free_port()
        cmd = uvicorn_cmd(python, "geoservice.app:create_app", port, factory=True)
        url = stack.enter_context(server(cmd, port, env=env))
        out.append(Contender(name, url, paths, f"/collections/{LAYER}/download"))
    return out


def start_pygeoapi(stack: ExitStack, gpkg, table_name, boxes) -> Contender:
    bin_dir = peer_venv("pygeoapi", ["pygeoapi", "starlette", "uvicorn"])
    port = free_port()
    config = pygeoapi_config(gpkg, table_name, port)
    openapi = WORK / "pygeoapi-openapi.yml"
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    import subprocess

    subprocess.run(
        [
            str(bin_dir / "pygeoapi"),
            "openapi",
            "generate",
            str(config),
            "--output-file",
            str(openapi),
        ],
        check=True,
        env={**env, "PATH": str(bin_dir)},
        capture_output=True,
    )
    paths = [f"/collections/{LAYER}/items?bbox={b}&limit=100&f=json" for b in boxes]
    cmd = uvicorn_cmd(bin_dir / "python", "pygeoapi.starlette_app:APP", port)
    url = stack.enter_context(server(cmd, port, env=env))
    return Contender(
        "pygeoapi (GeoPackage)", url, paths, f"/collections/{LAYER}/items?limit=200000&f=json"
    )


def pygeoapi_config(gpkg: Path, table_name: str, port: int) -> Path:
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 200000},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "",
                "url": "",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": "https://example.org"},
            "contact": {"name": "bench"},
        },
        "resources": {
            LAYER: {
                "type": "collection",
                "title": LAYER,
                "description": "farmland grid",
                "keywords": ["grid"],
                "extents": {
                    "spatial": {
                        "bbox": [109, 39, 111, 40],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "feature",
                        "name": "SQLiteGPKG",
                        "data": str(gpkg),
                        "id_field": "fid",
                        "table": table_name,
                    }
                ],
            }
        },
    }
    path = WORK / "pygeoapi-config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def start_tipg(stack: ExitStack, pg_url, table_name, boxes) -> Contender:
    bin_dir = peer_venv("tipg", ["tipg", "uvicorn"])
    port = free_port()
    env = {
        "DATABASE_URL": pg_url,
        "TIPG_DB_SCHEMAS": '["geoservice"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "200000",
        "TIPG_DEFAULT_FEATURES_LIMIT": "10",
    }
    collection = f"geoservice.{table_name}"
    paths = [f"/collections/{collection}/items?bbox={b}&limit=100" for b in boxes]
    cmd = uvicorn_cmd(bin_dir / "python", "tipg.main:app", port)
    url = stack.enter_context(server(cmd, port, env=env, ready="/collections"))
    return Contender("tipg (PostGIS)", url, paths, f"/collections/{collection}/items?limit=200000")


def measure(url: str, paths: list[str], seconds: int) -> float:
    probe = httpx.get(url + paths[0], timeout=60)
    probe.raise_for_status()
    assert probe.json()["features"], f"no features from {url + paths[0]}"
    result = wrk(url, paths, seconds=seconds)
    if result["non2xx"] or result["errors"]:
        print(f"warning: {url}: {result}")
    return result["rps"]


def download(url: str) -> int:
    """Fetch a whole response; return its size (checks it holds every feature)."""
    total = 0
    with httpx.stream("GET", url, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            total += len(chunk)
    return total


def page_sql(table_name: str) -> str:
    return (
        "SELECT json_build_object('type','FeatureCollection','features', "
        "coalesce(json_agg(ST_AsGeoJSON(t.*)::json), '[]'))::text FROM ("
        f'SELECT * FROM geoservice."{table_name}" WHERE ST_Intersects(geom, '
        "ST_MakeEnvelope(%s, %s, %s, %s, 4326)) ORDER BY fid LIMIT 100) t"
    )


def floor_items(pg_url: str, table_name: str, boxes: list[str], seconds: int) -> float:
    from psycopg_pool import ConnectionPool

    sql = page_sql(table_name)
    params = [tuple(float(v) for v in b.split(",")) for b in boxes]
    with ConnectionPool(pg_url, min_size=16, max_size=16, kwargs={"autocommit": True}) as pool:
        pool.wait()

        def one(i: int) -> None:
            with pool.connection() as conn:
                conn.execute(sql, params[i % len(params)]).fetchone()

        return threaded_rate(one, seconds=seconds)


def json_agg(pg_url: str, table_name: str) -> int:
    import psycopg

    with psycopg.connect(pg_url) as conn:
        (text,) = conn.execute(
            "SELECT json_build_object('type','FeatureCollection','features', "
            f'json_agg(ST_AsGeoJSON(t.*)::json))::text FROM geoservice."{table_name}" t'
        ).fetchone()
    return len(text)


def report(items: dict[str, float], exports: dict[str, float]) -> None:
    ref = {k: v for k, v in items.items() if not k.startswith("geoservice")}
    print("\nitems?bbox=...&limit=100, 16 concurrent clients")
    rows = [(name, f"{rps:.0f}") for name, rps in items.items()]
    print(table(rows, ["server", "req/s"]))
    for name, rps in items.items():
        if name.startswith("geoservice"):
            ratios = ", ".join(f"{rps / v:.2f}x {k.split(' ')[0]}" for k, v in ref.items() if v)
            print(f"  {name}: {ratios}")
    print("\nfull-layer GeoJSON export")
    floor = exports.get(FLOOR_EXPORT)
    rows = [(n, f"{s:.2f}", f"{s / floor:.2f}x" if floor else "") for n, s in exports.items()]
    print(table(rows, ["server", "seconds", "vs json_agg"]))


if __name__ == "__main__":
    main()
