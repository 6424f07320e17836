"""Benchmark: coverage share per cell and nearest facility, at realistic reaches.

Run from the repository root::

    .venv/bin/python bench/analysis.py                    # small and large scales
    .venv/bin/python bench/analysis.py --scales small --runs 5
    .venv/bin/python bench/analysis.py --cells 20000 --facilities 100   # modest sizes

Scales (each run in its own subprocess, so its peak RSS is its own; ``siting``
is the MCLP and p-median case described below):

* small: 100 000 square cells (141.4 m) over a 2 000 km² box around Dongsheng,
  500 random facility points, EPSG:4546;
* large: 1 000 000 cells × 5 000 facilities, geoservice only (the box grows so
  cell size and facility density stay those of the small scale).

Each scale is measured at reaches of 0.5, 1 and 3 km (about 18 %, 53 % and
99.9 % of cells covered at the small scale) and with one travel-time case (a
street grid every 400 m, 10 minutes on foot, homes at the cell centres).
Every approach runs ``--runs`` times (≥ 5 by default), interleaved (run 1 of
every approach, then run 2, ...), and the median is reported. Beside geoservice:

* coverage: (b) a plain shapely STRtree + clip (the baseline: cells inside one
  buffer short-circuit, others are clipped to each buffer and the pieces unioned)
  and (a) geopandas ``overlay`` + ``dissolve`` (one run: it is slow);
* nearest: a single-thread ``scipy.spatial.cKDTree`` query from cell centroids
  (the baseline; geoservice also measures polygon demand from its centroid),
  ``sjoin_nearest`` and ``STRtree.query_nearest``;
* travel time: coverage and allocation by minutes are timed alone (no peer
  implements the same reach model), with their share and agreement printed;
* siting (``--scales siting``): MCLP on 2 000 demand points × 300 candidates
  (10 sites, 2 km) and p-median on 500 × 60 (10 sites), beside spopt called
  directly on the same straight-line cost matrix (``from_cost_matrix`` then
  ``solve`` with CBC); the objectives must be equal. p-median is measured at
  500 × 60 because 2 000 × 300 (600 000 assignment variables) did not finish in
  5 minutes with spopt alone on the shared bench machine.

Cells and facilities come from a fixed seed; agreement between approaches is
checked and printed with the timings.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.siting import maximal_covering, p_median

SCALES = {"small": (100_000, 500), "large": (1_000_000, 5_000), "siting": (0, 0)}
#: (demand, candidates, new sites, service radius m or None for p-median)
SITING = {"mclp": (2_000, 300, 10, 2_000.0), "p-median": (500, 60, 10, None)}
CELL_M = float(np.sqrt(2_000e6 / 100_000))  # 141.42 m: 100 000 cells in 2 000 km²
REACHES_M = (500.0, 1_000.0, 3_000.0)
WALK_MINUTES = 10.0
STREET_SPACING_M = 400.0
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


def overlay_coverage(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, radius: float) -> np.ndarray:
    """Overlay every cell with every buffer, dissolve per cell, divide areas."""
    buffers = gpd.GeoDataFrame(geometry=fac.buffer(radius), crs=fac.crs)
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


def strtree_coverage(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, radius: float) -> np.ndarray:
    """Pairs from one STRtree; cells inside one buffer short-circuit; others are
    clipped to each buffer and the pieces unioned per cell."""
    geoms = np.asarray(cells.geometry.array)
    buffers = shapely.buffer(np.asarray(fac.geometry.array), radius, quad_segs=16)
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
    if len(keys):
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


def ckdtree_nearest(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    """Single-thread ``scipy.spatial.cKDTree`` query from cell centroids."""
    xy = shapely.get_coordinates(shapely.centroid(np.asarray(cells.geometry.array)))
    tree = cKDTree(shapely.get_coordinates(np.asarray(fac.geometry.array)))
    _, f = tree.query(xy, workers=1)
    return fac["fac_id"].to_numpy()[f]


# --- (c) geoservice -----------------------------------------------------------------


def geoservice_coverage(
    cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, radius: float
) -> np.ndarray:
    result = compute_coverage(fac, cells, distance_m=radius, population_col="population")
    return result.demand["covered_share"].to_numpy()


def geoservice_nearest(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> np.ndarray:
    result = assign_nearest(cells, fac)
    return fac["fac_id"].to_numpy()[result.demand["facility"].to_numpy(dtype=np.int64)]


# --- travel time -------------------------------------------------------------------


def street_grid(cells: gpd.GeoDataFrame):
    """Streets every 400 m over the cells' box, walked (the reach model's case)."""
    from geoservice.analysis.network import build_network

    xmin, ymin, xmax, ymax = cells.total_bounds
    xs = np.arange(xmin, xmax + 1, STREET_SPACING_M)
    ys = np.arange(ymin, ymax + 1, STREET_SPACING_M)
    lines = [shapely.LineString([(x, ymin), (x, ymax)]) for x in xs] + [
        shapely.LineString([(xmin, y), (xmax, y)]) for y in ys
    ]
    roads = gpd.GeoDataFrame(geometry=lines, crs=cells.crs)
    return build_network(roads, profile="walk", class_col=None, split_crossings=True)


def geoservice_minutes_coverage(homes, fac, network) -> np.ndarray:
    result = compute_coverage(fac, homes, minutes=WALK_MINUTES, network=network)
    return result.demand["covered_share"].to_numpy()


def geoservice_minutes_nearest(homes, fac, network) -> np.ndarray:
    result = assign_nearest(homes, fac, network=network, max_minutes=WALK_MINUTES)
    return result.demand["facility"].notna().to_numpy()


# --- siting -----------------------------------------------------------------------


def siting_data(n_dem: int, n_cand: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Random demand points with a population and random candidates in a 20 km box."""
    rng = np.random.default_rng(SEED)
    extent = 20_000.0

    def points(n: int) -> np.ndarray:
        return shapely.points(
            rng.uniform(ORIGIN[0], ORIGIN[0] + extent, n),
            rng.uniform(ORIGIN[1], ORIGIN[1] + extent, n),
        )

    demand = gpd.GeoDataFrame(
        {"population": rng.integers(1, 500, n_dem).astype(float)},
        geometry=points(n_dem),
        crs="EPSG:4546",
    )
    return demand, gpd.GeoDataFrame(geometry=points(n_cand), crs="EPSG:4546")


def spopt_direct(demand, cand, p: int, radius: float | None) -> float:
    """spopt's own ``from_cost_matrix`` + ``solve`` on the straight-line matrix."""
    import warnings

    import pulp
    import spopt.locate
    from scipy.spatial.distance import cdist

    cost = cdist(
        shapely.get_coordinates(np.asarray(demand.geometry.array)),
        shapely.get_coordinates(np.asarray(cand.geometry.array)),
    )
    weights = demand["population"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if radius is None:
            model = spopt.locate.PMedian.from_cost_matrix(cost, weights, p_facilities=p)
        else:
            model = spopt.locate.MCLP.from_cost_matrix(
                cost, weights, service_radius=radius, p_facilities=p
            )
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(model.problem.objective))


def geoservice_siting(demand, cand, p: int, radius: float | None) -> float:
    if radius is None:
        result = p_median(demand, cand, n_new=p, weight_col="population")
    else:
        result = maximal_covering(demand, cand, n_new=p, distance_m=radius, weight_col="population")
    return float(result.summary["objective"])


def siting_worker(runs: int) -> dict:
    import spopt.locate  # noqa: F401  (imported before timing, as in a running server)

    rows, checks = [], {}
    for model, (n_dem, n_cand, p, radius) in SITING.items():
        demand, cand = siting_data(n_dem, n_cand)
        task = f"{model} {n_dem:,} × {n_cand} (p={p})"
        args = (demand, cand, p, radius)
        jobs = {
            f"geoservice {'maximal_covering' if radius else 'p_median'}": partial(
                geoservice_siting, *args
            ),
            "(b) spopt direct, same matrix (baseline)": partial(spopt_direct, *args),
        }
        med, out = interleaved(jobs, runs)
        rows += [(task, name, s, runs) for name, s in med.items()]
        geo, base = out.values()
        checks[f"{task}: objective geoservice - spopt (relative)"] = abs(geo - base) / abs(base)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "label": "siting",
        "rows": rows,
        "checks": checks,
        "covered_cells": {},
        "peak_rss_gib": peak_kib / 2**20,
    }


# --- running ------------------------------------------------------------------------


def interleaved(jobs: dict[str, Callable[[], object]], runs: int) -> tuple[dict, dict]:
    """Run every job ``runs`` times, interleaved; return median seconds and outputs."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    outputs: dict[str, object] = {}
    for _ in range(runs):
        for name, job in jobs.items():
            start = time.perf_counter()
            outputs[name] = job()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, outputs


def worker(n_cells: int, n_fac: int, runs: int, baselines: bool, overlay: bool) -> dict:
    t0 = time.perf_counter()
    cells, fac = make_data(n_cells, n_fac)
    gen_s = time.perf_counter() - t0
    rows, checks, shares = [], {}, {}
    for radius in REACHES_M:
        task = f"coverage {radius / 1000:g} km"
        jobs = {"geoservice compute_coverage": lambda r=radius: geoservice_coverage(cells, fac, r)}
        if baselines:
            jobs["(b) STRtree + clip (baseline)"] = lambda r=radius: strtree_coverage(cells, fac, r)
        med, out = interleaved(jobs, runs)
        rows += [(task, name, s, runs) for name, s in med.items()]
        geo = out["geoservice compute_coverage"]
        shares[task] = float(np.mean(geo > 0))
        if baselines:
            checks[f"{task}: max |geoservice - STRtree|"] = float(
                np.abs(geo - out["(b) STRtree + clip (baseline)"]).max()
            )
        if overlay:
            s0 = time.perf_counter()
            ov = overlay_coverage(cells, fac, radius)
            rows.append((task, "(a) geopandas overlay + dissolve", time.perf_counter() - s0, 1))
            checks[f"{task}: max |geoservice - overlay|"] = float(np.abs(geo - ov).max())
    jobs = {"geoservice assign_nearest": lambda: geoservice_nearest(cells, fac)}
    if baselines:
        jobs["(b) cKDTree query, 1 thread (baseline)"] = lambda: ckdtree_nearest(cells, fac)
        jobs["(a) geopandas sjoin_nearest (centroids)"] = lambda: sjoin_nearest_centroids(
            cells, fac
        )
        jobs["(a) shapely STRtree query_nearest"] = lambda: strtree_nearest(cells, fac)
    med, out = interleaved(jobs, runs)
    rows += [("nearest", name, s, runs) for name, s in med.items()]
    if baselines:
        geo = out["geoservice assign_nearest"]
        checks["nearest: same facility as cKDTree"] = float(
            (out["(b) cKDTree query, 1 thread (baseline)"] == geo).mean()
        )
        checks["nearest: same facility as sjoin_nearest"] = float(
            (out["(a) geopandas sjoin_nearest (centroids)"] == geo).mean()
        )
    s0 = time.perf_counter()
    network = street_grid(cells)
    net_s = time.perf_counter() - s0
    homes = cells[["cell_id"]].set_geometry(cells.centroid)
    task = f"travel time {WALK_MINUTES:g} min"
    jobs = {
        "geoservice compute_coverage (minutes)": lambda: geoservice_minutes_coverage(
            homes, fac, network
        ),
        "geoservice assign_nearest (minutes)": lambda: geoservice_minutes_nearest(
            homes, fac, network
        ),
    }
    med, out = interleaved(jobs, runs)
    rows += [(task, name, s, runs) for name, s in med.items()]
    cov = out["geoservice compute_coverage (minutes)"] > 0
    shares[task] = float(cov.mean())
    checks[f"{task}: coverage and allocation agree"] = float(
        (cov == out["geoservice assign_nearest (minutes)"]).mean()
    )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "cells": len(cells),
        "facilities": len(fac),
        "box_km2": round(float(cells.area.sum()) / 1e6),
        "generate_s": gen_s,
        "network_s": net_s,
        "network_nodes": int(network.summary["nodes"]),
        "rows": rows,
        "checks": checks,
        "covered_cells": shares,
        "peak_rss_gib": peak_kib / 2**20,
    }


def report(results: dict[str, dict]) -> None:
    table = []
    for res in results.values():
        base = {task: s for task, name, s, _ in res["rows"] if name.startswith("geoservice")}
        for task, name, s, runs in res["rows"]:
            table.append(
                {
                    "scale": res.get("label") or f"{res['cells']:,} × {res['facilities']:,}",
                    "task": task,
                    "approach": name,
                    "runs": runs,
                    "median s": round(s, 3),
                    "÷ geoservice": round(s / base[task], 2),
                }
            )
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(pd.DataFrame(table).to_string(index=False))
    print()
    for scale, res in results.items():
        if "network_nodes" not in res:
            print(f"{scale}: peak RSS {res['peak_rss_gib']:.2f} GiB")
        else:
            print(
                f"{scale}: {res['cells']:,} cells over {res['box_km2']:,} km², "
                f"peak RSS {res['peak_rss_gib']:.2f} GiB; street grid "
                f"{res['network_nodes']:,} nodes built in {res['network_s']:.1f} s"
            )
        for task, share in res["covered_cells"].items():
            print(f"  {task}: {share:.1%} of cells covered")
        for name, value in res["checks"].items():
            print(f"  check {name}: {value:.3g}")
    _targets(results)


def _ratio(res: dict, task: str, baseline: str) -> float | None:
    t = {name: s for k, name, s, _ in res["rows"] if k == task}
    geo = next((s for name, s in t.items() if name.startswith("geoservice")), None)
    return t[baseline] / geo if baseline in t and geo else None


def _targets(results: dict[str, dict]) -> None:
    print("\ntargets (baseline time ÷ geoservice time):")
    for scale, res in results.items():
        for radius in REACHES_M:
            task = f"coverage {radius / 1000:g} km"
            r = _ratio(res, task, "(b) STRtree + clip (baseline)")
            if r is not None:
                print(f"  {scale} {task} vs STRtree + clip: {r:.2f}× (target ≥ 1.5×)")
            r = _ratio(res, task, "(a) geopandas overlay + dissolve")
            if r is not None:
                print(f"  {scale} {task} vs overlay: {r:.1f}×")
        r = _ratio(res, "nearest", "(b) cKDTree query, 1 thread (baseline)")
        if r is not None:
            print(f"  {scale} nearest vs cKDTree: {r:.2f}× (target ≥ 1×)")
        for task in {k for k, *_ in res["rows"] if k.startswith(("mclp", "p-median"))}:
            r = _ratio(res, task, "(b) spopt direct, same matrix (baseline)")
            print(f"  {task} vs spopt direct: {r:.2f}× (target ≥ 0.91×, i.e. ≤ 1.1× its time)")
    small, large = results.get("small"), results.get("large")
    if small and large:
        for task in [f"coverage {r / 1000:g} km" for r in REACHES_M] + ["nearest"]:
            s = next(x for k, n, x, _ in small["rows"] if k == task and n.startswith("geo"))
            lg = next(x for k, n, x, _ in large["rows"] if k == task and n.startswith("geo"))
            print(f"  {task} 1M×5k / 100k×500 time: {lg / s:.1f}× (target ≤ 12×)")
    if large:
        print(f"  1M×5k peak RSS: {large['peak_rss_gib']:.2f} GiB (target ≤ 8 GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", nargs="+", default=["small", "large", "siting"], choices=list(SCALES)
    )
    parser.add_argument("--cells", type=int, help="custom scale: number of cells")
    parser.add_argument("--facilities", type=int, help="custom scale: number of facilities")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs (median)")
    parser.add_argument("--skip-overlay", action="store_true", help="leave out (a) overlay")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        n_cells, n_fac, baselines = json.loads(args.worker)
        if n_cells == 0:
            print(json.dumps(siting_worker(args.runs)))
            return
        print(json.dumps(worker(n_cells, n_fac, args.runs, baselines, not args.skip_overlay)))
        return
    if args.cells:
        scales = {"custom": (args.cells, args.facilities or max(1, args.cells // 200), True)}
    else:
        scales = {s: (*SCALES[s], s == "small") for s in args.scales}
    results = {}
    for scale, spec in scales.items():
        cmd = [sys.executable, __file__, "--worker", json.dumps(spec), "--runs", str(args.runs)]
        if args.skip_overlay or not spec[2]:
            cmd.append("--skip-overlay")
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[scale] = json.loads(done.stdout.strip().splitlines()[-1])
    report(results)


if __name__ == "__main__":
    main()
