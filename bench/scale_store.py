"""Storing a partitioned result: GeoParquet parts into a store, one part at a time.

What a Dask job's last step costs in the app process: its result parts (here a
synthetic square of 1 km cells in EPSG:4547, built tile by tile, with a
``covered_share`` column; not a real place) are read one at a time, made
storable (lon/lat, plain columns) and streamed into one new version of a
collection, as ``processes.outputs.write_layer`` does. Prints wall time and this
process's peak resident set (``ru_maxrss``, which includes building the parts).

    PYTHONPATH=. python bench/scale_store.py --cells 1000000 --store gpkg postgis
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4547"
CELL_M = 1000.0
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _parts(cells: int, work: Path, partition: int):
    from geoservice.scale.grid import build_grid
    from geoservice.scale.parts import PartitionedFrame

    side = math.isqrt(cells) * CELL_M
    boundary = gpd.GeoDataFrame(
        geometry=[shapely.box(400_000, 4_000_000, 400_000 + side, 4_000_000 + side)], crs=CRS
    )
    spec, paths, _ = build_grid(
        None, boundary, cell_m=CELL_M, crs=CRS, work_dir=work, partition_cells=partition
    )
    rng = np.random.default_rng(1)
    for path in paths:  # a result column, as coverage writes
        part = gpd.read_parquet(path)
        part.assign(covered_share=rng.random(len(part))).to_parquet(path)
    return PartitionedFrame(paths, spec.crs)


def _store(kind: str, work: Path):
    if kind == "gpkg":
        from geoservice.storage.geopackage import GeoPackageStore

        return GeoPackageStore(work / "bench.gpkg")
    from geoservice.storage.postgis import PostGISStore

    return PostGISStore(PG_URL, pool_size=2, schema=f"bench_{uuid.uuid4().hex[:8]}")


def _drop(kind: str, store) -> None:
    if kind == "postgis":
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE')
    store.close()


def store_parts(kind: str, parts, work: Path) -> dict:
    """Time ``write_batches`` over the parts, one part in memory at a time."""
    from geoservice.catalog.infer import infer_layer
    from geoservice.processes.outputs import storable

    store = _store(kind, work)
    try:
        layer = infer_layer("bench_cells", storable(next(parts.batches())))
        t0 = time.perf_counter()
        info = store.write_batches(layer, (storable(p) for p in parts.batches()))
        seconds = time.perf_counter() - t0
    finally:
        _drop(kind, store)
    return {"features": info.feature_count, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10**6)
    parser.add_argument("--partition", type=int, default=250_000)
    parser.add_argument("--store", nargs="+", default=["gpkg"], choices=["gpkg", "postgis"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gs-store-"))
    try:
        parts = _parts(args.cells, work, args.partition)
        print(f"{'store':8} {'features':>10} {'parts':>6} {'store s':>8} {'peak MiB':>9}")
        for kind in args.store:
            r = store_parts(kind, parts, work)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{kind:8} {r['features']:>10} {len(parts.paths):>6} "
                f"{r['seconds']:>8.1f} {peak:>9.0f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
