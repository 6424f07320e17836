"""Two-step floating catchment (2SFCA) over GeoParquet partitions of the demand.

Step 1 needs, for each facility, every resident within reach, wherever the
demand was cut: each task sums the residents of its (Hilbert-ordered) part per
facility within reach of the part, and the driver adds the parts' sums into the
catchment of each facility and divides its capacity by it. Step 2 is then local
to each part: a task reads the ratios of the facilities within reach of its part
and writes its demand with ``access``. Only the per-facility sums and ratios pass
through the driver, never the demand. Euclidean catchments only: a travel-time
catchment needs the road network in every task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geoservice.analysis.accessibility import catchment_population, demand_access, supply_ratio
from geoservice.scale.parts import PartitionedFrame
from geoservice.scale.tasks import run_tasks

POPULATION = "_population"
"""Checked population of each demand row (float64), carried in the parts, not in results."""
RATIO = "_ratio"
"""Unscaled ratio of each facility, in the facilities file step 2 reads."""


def two_step_fca_on_cluster(
    client: Any,
    demand: PartitionedFrame,
    supply: gpd.GeoDataFrame,
    capacity: np.ndarray,
    *,
    distance_m: float,
    per_population: float,
    work_dir: Path,
    demand_point: str = "centroid",
    progress=None,
) -> tuple[PartitionedFrame, gpd.GeoDataFrame, dict[str, Any]]:
    """2SFCA of partitioned demand: the answer of ``two_step_fca`` with ``distance_m``.

    ``demand``'s parts carry :data:`POPULATION` (checked on the whole demand with
    ``analysis.accessibility.access_weights``); ``supply`` is in the parts' CRS with
    ``capacity`` per row. Returns the demand parts with ``access`` and
    ``facilities_in_reach``, the facilities with ``catchment_population`` and
    ``ratio`` (both scaled by ``per_population`` like the single-machine result)
    and its summary.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    supply_path = work_dir / "supply.parquet"
    supply[[supply.geometry.name]].to_parquet(supply_path)
    half = None if progress is None else (lambda f: progress(f / 2))
    step1 = [(str(p), str(supply_path), distance_m, demand_point) for p in demand.paths]
    sums = run_tasks(client, catchment_part, step1, progress=half, key="2sfca-catchment")
    catchment = np.zeros(len(supply))
    for positions, values in sums:  # in part order: the same sums on every run
        catchment[positions] += values
    ratio = supply_ratio(capacity, catchment)
    ratio_path = work_dir / "supply_ratio.parquet"
    supply[[supply.geometry.name]].assign(**{RATIO: ratio}).to_parquet(ratio_path)
    out_dir = work_dir / "access"
    out_dir.mkdir(exist_ok=True)
    step2 = [
        (str(p), str(ratio_path), distance_m, demand_point, per_population, str(out_dir / p.name))
        for p in demand.paths
    ]
    later = None if progress is None else (lambda f: progress(0.5 + f / 2))
    tallies = run_tasks(client, access_part, step2, progress=later, key="2sfca-access")
    supply_out = supply.assign(catchment_population=catchment, ratio=ratio * per_population)
    summary = _summary(tallies, capacity, catchment, distance_m, per_population, demand.crs)
    return PartitionedFrame([Path(a[-1]) for a in step2], demand.crs), supply_out, summary


def _near(supply: gpd.GeoDataFrame, part: gpd.GeoDataFrame, distance_m: float) -> np.ndarray:
    """Tell which facilities may lie within reach of the part (its box grown by the reach).

    A demand anchor (centroid or representative point) lies in the part's box, a
    facility's anchor in the facility, so none within reach is left out.
    """
    xmin, ymin, xmax, ymax = part.total_bounds
    b = supply.geometry.bounds
    return (
        (b["maxx"] >= xmin - distance_m).to_numpy()
        & (b["minx"] <= xmax + distance_m).to_numpy()
        & (b["maxy"] >= ymin - distance_m).to_numpy()
        & (b["miny"] <= ymax + distance_m).to_numpy()
    )


def catchment_part(demand_path, supply_path, distance_m, demand_point):
    """Step 1 of one part: (facility positions, residents of the part within their reach)."""
    part = gpd.read_parquet(demand_path)
    supply = gpd.read_parquet(supply_path)
    near = np.flatnonzero(_near(supply, part, distance_m))
    sums = catchment_population(
        part,
        supply.iloc[near],
        part[POPULATION].to_numpy(dtype="float64"),
        distance_m=distance_m,
        demand_point=demand_point,
    )
    touched = sums > 0
    return near[touched], sums[touched]


def access_part(demand_path, supply_path, distance_m, demand_point, per_population, out_path):
    """Step 2 of one part: write it with ``access`` and ``facilities_in_reach``; tally it."""
    part = gpd.read_parquet(demand_path)
    supply = gpd.read_parquet(supply_path)
    near = _near(supply, part, distance_m)  # a mask keeps the facilities' order
    access, in_reach = demand_access(
        part,
        supply[near],
        supply.loc[near, RATIO].to_numpy(dtype="float64"),
        distance_m=distance_m,
        demand_point=demand_point,
    )
    pop = part[POPULATION].to_numpy(dtype="float64")
    out = part.drop(columns=[POPULATION])
    out = out.assign(access=access * per_population, facilities_in_reach=in_reach)
    out.to_parquet(out_path)
    return {
        "population": float(pop.sum()),
        "weighted_access": float((access * pop).sum()),
        "population_without_access": float(pop[access <= 0].sum()),
    }


def _summary(tallies, capacity, catchment, distance_m, per_population, crs) -> dict[str, Any]:
    total = sum(t["population"] for t in tallies)
    weighted = sum(t["weighted_access"] for t in tallies)
    return {
        "per_population": per_population,
        "distance_m": distance_m,
        "profile": None,
        "mean_access": weighted / total * per_population if total else None,
        "population_without_access": sum(t["population_without_access"] for t in tallies),
        "supply_total": float(capacity.sum()),
        "supply_without_demand": int((catchment <= 0).sum()),
        "crs": str(crs),
        "partitions": len(tallies),
    }
