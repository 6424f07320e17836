"""Benchmark: coverage share per cell and nearest-facility assignment.

Run from the repository root::

    .venv/bin/python bench/analysis.py            # both scales
    .venv/bin/python bench/analysis.py --scales small

Scales (each run in its own subprocess, so its peak RSS is its own):

* small: 100 000 square cells (141.4 m) over a 2 000 km² box around Dongsheng,
  500 random facility points, 3 km buffers, EPSG:4546. Compared side by side:
  (a) geopandas ``overlay`` + ``dissolve`` (coverage) and ``sjoin_nearest``
  (nearest), (b) a hand-tuned shapely STRtree approach, (c) geoservice.
* large: 1 000 000 cells × 5 000 facilities, geoservice only. The box grows to
  20 000 km² so cell size and facility density stay those of the small scale
  (each cell meets about 7 buffers at both scales).

Cells and facilities come from a fixed seed. Agreement between approaches is
checked and printed with the timings.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage

SCALES = {"small": (100_000, 500), "large": (1_000_000, 5_000)}
CELL_M = float(np.sqrt(2_000e6 / 100_000))  # 141.42 m: 100 000 cells in 2 000 km²
RADIUS_M = 3_000.0
ORIGIN = (390_000.0, 4_390_000.0)  # EPSG:4546, just south-west of Dongsheng
SEED = 42


def make_data(n_cells: int, n_fac: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Square cells on a lattice and uniformly random facility points."""
    side = round(np.sqrt(n_cells))
    xs = ORIGIN[0] + np.arange(side) * CELL_M
    ys = ORIGIN[1] + np.arange(side) * CELL_M
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    rng = np.random.default_rng(SEED)
    cells = gpd.GeoDataFrame(
        {"cell_id": np.arange(gx.size), "population": rng.integers(0, 200, gx.size)},
        geometry=shapely.box(gx, gy, gx + CELL_M, gy + CELL_M),
        crs="EPSG:4546",
    )
    extent = side * CELL_M
    fac = gpd.GeoDataFrame(
        {"fac_id": np.arange(n_fac)},
        geometry=shapely.points(
            rng.uniform(ORIGIN[0], ORIGIN[0] + extent, n_fac),
            rng.uniform(ORIGIN[1], ORIGIN[1] + extent, n_fac),
        ),
        crs="EPSG:4546",
    )
    return cells, fac


# --- (a) straightforward geopandas -------------------------------------------------


def overlay_coverage(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """Overlay every cell with every buffer, dissolve per cell, divide areas."""
    buffers = gpd.GeoDataFrame(geometry=fac.buffer(RADIUS_M), crs=fac.crs)
    pieces = gpd.overlay(cells[["cell_id", "geometry"]], buffers, how="intersection")
    covered = pieces.dissolve(by="cell_id").area
    return (covered.reindex(cells["cell_id"], fill_value=0.0) / cells.area.to_numpy()).to_numpy()


def sjoin_nearest_centroids(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """geopandas ``sjoin_nearest`` from cell centroids."""
    pts = cells[["cell_id"]].set_geometry(cells.centroid)
    joined = gpd.sjoin_nearest(pts, fac, distance_col="d")
    joined = joined[~joined.index.duplicated()]
    return joined["fac_id"].to_numpy()


def sjoin_nearest_polygons(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """geopandas ``sjoin_nearest`` from the cell polygons (distance 0 inside)."""
    joined = gpd.sjoin_nearest(cells[["cell_id", "geometry"]], fac, distance_col="d")
    joined = joined[~joined.index.duplicated()]
    return joined["fac_id"].to_numpy()


# --- (b) hand-tuned shapely STRtree ------------------------------------------------


def strtree_coverage(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """Pairs from one STRtree; cells inside one buffer short-circuit; others are
    clipped to each buffer and the pieces unioned per cell."""
    geoms = np.asarray(cells.geometry.array)
    buffers = shapely.buffer(np.asarray(fac.geometry.array), RADIUS_M, quad_segs=16)
    shapely.prepare(buffers)
    tree = shapely.STRtree(geoms)
    b_hit, c_hit = tree.query(buffers, predicate="intersects")
    _, c_in = tree.query(buffers, predicate="contains_properly")
    area = shapely.area(geoms)
    covered = np.zeros(len(geoms))
    covered[c_in] = area[c_in]
    partial = np.ones(len(geoms), dtype=bool)
    partial[c_in] = False
    keep = partial[c_hit]
    b_hit, c_hit = b_hit[keep], c_hit[keep]
    pieces = shapely.intersection(geoms[c_hit], buffers[b_hit])
    order = np.argsort(c_hit, kind="stable")
    c_hit, pieces = c_hit[order], pieces[order]
    keys, start, counts = np.unique(c_hit, return_index=True, return_counts=True)
    pad = np.full((len(keys), counts.max() if len(keys) else 1), None, dtype=object)
    pad[
        np.repeat(np.arange(len(keys)), counts),
        np.arange(len(c_hit)) - np.repeat(start, counts),
    ] = pieces
    covered[keys] = shapely.area(shapely.union_all(pad, axis=1))
    return covered / area


def strtree_nearest(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """``STRtree.query_nearest`` from cell centroids."""
    tree = shapely.STRtree(np.asarray(fac.geometry.array))
    (_, f), _ = tree.query_nearest(
        shapely.centroid(np.asarray(cells.geometry.array)),
        return_distance=True,
        all_matches=False,
    )
    return fac["fac_id"].to_numpy()[f]


# --- (c) geoservice -----------------------------------------------------------------


def geoservice_coverage(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    result = compute_coverage(fac, cells, distance_m=RADIUS_M, population_col="population")
    return result.demand["covered_share"].to_numpy()


def geoservice_nearest(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    result = assign_nearest(cells, fac)
    return fac["fac_id"].to_numpy()[result.demand["facility"].to_numpy(dtype=np.int64)]


# --- running ------------------------------------------------------------------------


def timed(func: Callable, *args, repeat: int = 1) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, out


def worker(scale: str, repeat: int, skip_overlay: bool) -> dict:
    n_cells, n_fac = SCALES[scale]
    t0 = time.perf_counter()
    cells, fac = make_data(n_cells, n_fac)
    rows, checks = [], {}
    gen_s = time.perf_counter() - t0
    s_geo, share_geo = timed(geoservice_coverage, cells, fac, repeat=repeat)
    rows.append(("coverage", "geoservice compute_coverage", s_geo))
    n_geo_s, near_geo = timed(geoservice_nearest, cells, fac, repeat=repeat)
    rows.append(("nearest", "geoservice assign_nearest", n_geo_s))
    if scale == "small":
        s, share_tree = timed(strtree_coverage, cells, fac, repeat=repeat)
        rows.append(("coverage", "(b) shapely STRtree hand-tuned", s))
        checks["coverage max |geoservice - STRtree|"] = float(np.abs(share_geo - share_tree).max())
        if not skip_overlay:
            s, share_ov = timed(overlay_coverage, cells, fac)
            rows.append(("coverage", "(a) geopandas overlay + dissolve", s))
            checks["coverage max |geoservice - overlay|"] = float(
                np.abs(share_geo - share_ov).max()
            )
        s, near_a = timed(sjoin_nearest_centroids, cells, fac, repeat=repeat)
        rows.append(("nearest", "(a) geopandas sjoin_nearest (centroids)", s))
        s, _ = timed(sjoin_nearest_polygons, cells, fac, repeat=repeat)
        rows.append(("nearest", "(a') geopandas sjoin_nearest (polygons)", s))
        s, near_b = timed(strtree_nearest, cells, fac, repeat=repeat)
        rows.append(("nearest", "(b) shapely STRtree query_nearest (centroids)", s))
        checks["nearest same facility as sjoin_nearest"] = float((near_a == near_geo).mean())
        checks["nearest same facility as STRtree"] = float((near_b == near_geo).mean())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "scale": scale,
        "cells": len(cells),
        "facilities": len(fac),
        "box_km2": round(float(cells.area.sum()) / 1e6),
        "generate_s": gen_s,
        "rows": rows,
        "checks": checks,
        "mean_covered_share": float(share_geo.mean()),
        "peak_rss_gib": peak_kib / 2**20,
    }


def report(results: dict[str, dict]) -> None:
    table = []
    for res in results.values():
        base = {task: s for task, name, s in res["rows"] if name.startswith("geoservice")}
        for task, name, s in res["rows"]:
            ratio = s / base[task]
            table.append(
                {
                    "scale": f"{res['cells']:,} × {res['facilities']:,}",
                    "task": task,
                    "approach": name,
                    "seconds": round(s, 3),
                    "× geoservice time": round(ratio, 1),
                }
            )
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(pd.DataFrame(table).to_string(index=False))
    print()
    for res in results.values():
        print(
            f"{res['scale']}: {res['cells']:,} cells over {res['box_km2']:,} km², "
            f"peak RSS {res['peak_rss_gib']:.2f} GiB, mean covered share "
            f"{res['mean_covered_share']:.4f}"
        )
        for name, value in res["checks"].items():
            print(f"  check {name}: {value:.3g}")
    _targets(results)


def _targets(results: dict[str, dict]) -> None:
    small, large = results.get("small"), results.get("large")
    print("\ntargets:")
    if small:
        t = {name: s for task, name, s in small["rows"] if task == "coverage"}
        geo = t["geoservice compute_coverage"]
        if "(a) geopandas overlay + dissolve" in t:
            speed = t["(a) geopandas overlay + dissolve"] / geo
            print(f"  coverage vs overlay: {speed:.1f}× faster (target ≥ 30×)")
        speed = t["(b) shapely STRtree hand-tuned"] / geo
        print(f"  coverage vs STRtree: {speed:.2f}× (target ≥ 1×)")
        n = {name: s for task, name, s in small["rows"] if task == "nearest"}
        speed = n["(b) shapely STRtree query_nearest (centroids)"] / n["geoservice assign_nearest"]
        print(f"  nearest vs STRtree: {speed:.2f}× (target ≥ 1×)")
    if small and large:
        for task in ("coverage", "nearest"):
            s = next(x for k, name, x in small["rows"] if k == task and name.startswith("geo"))
            lg = next(x for k, name, x in large["rows"] if k == task and name.startswith("geo"))
            print(f"  {task} 1M×5k / 100k×500 time: {lg / s:.1f}× (target ≤ 12×)")
    if large:
        print(f"  1M×5k peak RSS: {large['peak_rss_gib']:.2f} GiB (target ≤ 8 GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "large"], choices=list(SCALES))
    parser.add_argument("--repeat", type=int, default=3, help="best of N for fast approaches")
    parser.add_argument("--skip-overlay", action="store_true", help="leave out (a) overlay")
    parser.add_argument("--worker", choices=list(SCALES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat, args.skip_overlay)))
        return
    results = {}
    for scale in args.scales:
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            scale,
            "--repeat",
            str(args.repeat),
        ]
        if args.skip_overlay:
            cmd.append("--skip-overlay")
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[scale] = json.loads(done.stdout.strip().splitlines()[-1])
    report(results)


if __name__ == "__main__":
    main()
