"""Coverage and nearest facility at 10^5-10^7 cells: single process beside Dask.

Synthetic input, not a real place: a square of ``cells`` square cells of 1 km in
EPSG:4547 (CGCS2000 / GK CM 114E) and uniformly random facilities (seeded). The
grid is built by ``scale.grid`` on the cluster (tile by tile), so the Dask path
never holds it whole; the single-process path reads it whole and is skipped
beyond ``--local-max`` cells. Peak memory is the maximum resident set of this
process plus each worker process's (``ru_maxrss``), summed.

    PYTHONPATH=. python bench/scale.py --cells 100000 1000000 --workers 2 --memory 6GiB
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4547"
CELL_M = 1000.0
FACILITIES = {10**5: 500, 10**6: 5_000, 10**7: 50_000}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _inputs(cells: int, seed: int = 1):
    side = math.isqrt(cells) * CELL_M
    x0, y0 = 400_000.0, 4_000_000.0
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x0 + side, y0 + side)], crs=CRS)
    rng = np.random.default_rng(seed)
    n = FACILITIES.get(cells, max(1, cells // 200))
    xy = rng.uniform([x0, y0], [x0 + side, y0 + side], size=(n, 2))
    facilities = gpd.GeoDataFrame(
        index=[f"f{i}" for i in range(n)], geometry=shapely.points(xy), crs=CRS
    )
    return boundary, facilities


def run_dask(client, cells: int, work: Path, distance_m: float, partition: int) -> dict:
    from geoservice.scale.grid import build_grid
    from geoservice.scale.ops import coverage_on_cluster, nearest_on_cluster
    from geoservice.scale.parts import PartitionedFrame

    boundary, facilities = _inputs(cells)
    t0 = time.perf_counter()
    spec, paths, summary = build_grid(
        client, boundary, cell_m=CELL_M, crs=CRS, work_dir=work, partition_cells=partition
    )
    grid = PartitionedFrame(paths, spec.crs)
    t1 = time.perf_counter()
    coverage_on_cluster(client, facilities, grid, distance_m=distance_m, work_dir=work)
    t2 = time.perf_counter()
    nearest_on_cluster(client, facilities, grid, work_dir=work)
    t3 = time.perf_counter()
    workers = client.run(_peak_mib)
    return {
        "cells": summary["cells"],
        "grid_s": t1 - t0,
        "coverage_s": t2 - t1,
        "nearest_s": t3 - t2,
        "peak_mib": _peak_mib() + sum(workers.values()),
    }


def run_local(cells: int, distance_m: float) -> dict:
    from geoservice.analysis.catchment import assign_nearest
    from geoservice.analysis.coverage import compute_coverage
    from geoservice.scale.grid import GridSpec, grid_cells

    boundary, facilities = _inputs(cells)
    spec = GridSpec.over(boundary.total_bounds, CELL_M, CRS)
    t0 = time.perf_counter()
    grid = grid_cells(spec, (0, 0, spec.ncols, spec.nrows), boundary, None, None)
    t1 = time.perf_counter()
    compute_coverage(facilities, grid, distance_m=distance_m, crs=CRS)
    t2 = time.perf_counter()
    assign_nearest(grid, facilities, crs=CRS)
    t3 = time.perf_counter()
    return {
        "cells": len(grid),
        "grid_s": t1 - t0,
        "coverage_s": t2 - t1,
        "nearest_s": t3 - t2,
        "peak_mib": _peak_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[10**5])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="6GiB", help="memory limit per worker")
    parser.add_argument("--distance-m", type=float, default=5000.0)
    parser.add_argument("--partition", type=int, default=250_000)
    parser.add_argument("--local-max", type=int, default=10**6)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    rows = []
    for cells in args.cells:
        if cells <= args.local_max:
            rows.append(("local", run_local(cells, args.distance_m)))
        work = Path(tempfile.mkdtemp(prefix="gs-scale-"))
        try:
            with (
                LocalCluster(
                    n_workers=args.workers,
                    threads_per_worker=1,
                    memory_limit=args.memory,
                    dashboard_address=":0",
                ) as cluster,
                Client(cluster) as client,
            ):
                rows.append(
                    ("dask", run_dask(client, cells, work, args.distance_m, args.partition))
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'engine':6} {'cells':>10} {'grid s':>8} {'cover s':>8} {'near s':>8} {'peak MiB':>9}")
    for engine, r in rows:
        print(
            f"{engine:6} {r['cells']:>10} {r['grid_s']:>8.1f} {r['coverage_s']:>8.1f} "
            f"{r['nearest_s']:>8.1f} {r['peak_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
