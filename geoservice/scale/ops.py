"""Coverage and nearest facility over GeoParquet partitions, one task per partition.

The demand is ordered along a Hilbert curve (``GeoSeries.hilbert_distance``) and
cut into partitions of ``partition_features``, so each partition is a compact
area; each task reads its partition and the facilities, keeps (for coverage) only
the facilities within reach of its extent, runs the single-machine function and
writes its result as GeoParquet. Each row keeps ``_pos``, its position in the
input, so the parts read back in order are the single-machine answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.scale.parts import PartitionedFrame
from geoservice.scale.tasks import run_tasks


def coverage_on_cluster(
    client: Any,
    facilities: gpd.GeoDataFrame,
    demand: PartitionedFrame,
    *,
    distance_m: float,
    work_dir: Path,
    unit_key: str | None = None,
    progress=None,
) -> tuple[PartitionedFrame, dict[str, Any]]:
    """Covered share of every demand feature within ``distance_m`` (Euclidean).

    ``facilities`` must be in the demand's CRS. Returns the result parts and a
    summary: features, covered features (share > 0), mean share, and per unit
    (with ``unit_key``, a demand column) the mean share of its features.
    """
    fac_path = _write_facilities(facilities, demand.crs, work_dir)
    out_dir = work_dir / "coverage"
    out_dir.mkdir(parents=True, exist_ok=True)
    arguments = [
        (str(path), str(fac_path), distance_m, unit_key, str(out_dir / path.name))
        for path in demand.paths
    ]
    stats = run_tasks(client, coverage_part, arguments, progress=progress, key="coverage")
    parts = PartitionedFrame([Path(a[-1]) for a in arguments], demand.crs)
    return parts, _coverage_summary(stats, distance_m, unit_key)


def coverage_part(demand_path, facilities_path, distance_m, unit_key, out_path) -> dict:
    """One partition of :func:`coverage_on_cluster`: compute, write, return its tallies."""
    part = gpd.read_parquet(demand_path)
    facilities = gpd.read_parquet(facilities_path)
    points = part.geom_type.isin(["Point", "MultiPoint"]).all()
    if not points:  # points get the distance to the nearest facility: keep them all
        xmin, ymin, xmax, ymax = part.total_bounds
        reach = shapely.box(
            xmin - distance_m, ymin - distance_m, xmax + distance_m, ymax + distance_m
        )
        facilities = facilities[facilities.intersects(reach)]
    if len(facilities):
        out = compute_coverage(facilities, part, distance_m=distance_m, crs=part.crs).demand
    else:  # no facility reaches this part's polygons
        out = part.assign(covered_area_m2=0.0, covered_share=0.0)
    out.to_parquet(out_path)
    share = out["covered_share"].astype(float)
    tally = {"features": len(out), "covered": int((share > 0).sum()), "share_sum": share.sum()}
    if unit_key is not None:
        grouped = out.groupby(unit_key, dropna=False)["covered_share"].agg(["sum", "count"])
        tally["units"] = {str(k): (float(v["sum"]), int(v["count"])) for k, v in grouped.iterrows()}
    return tally


def _coverage_summary(stats: list[dict], distance_m: float, unit_key: str | None) -> dict:
    features = sum(s["features"] for s in stats)
    summary: dict[str, Any] = {
        "distance_m": distance_m,
        "features": features,
        "covered_features": sum(s["covered"] for s in stats),
        "mean_covered_share": sum(s["share_sum"] for s in stats) / features if features else None,
        "partitions": len(stats),
    }
    if unit_key is not None:
        units: dict[str, list[float]] = {}
        for s in stats:
            for code, (total, count) in s.get("units", {}).items():
                acc = units.setdefault(code, [0.0, 0])
                acc[0] += total
                acc[1] += count
        summary["units"] = {
            code: {"features": n, "mean_covered_share": total / n}
            for code, (total, n) in sorted(units.items())
        }
    return summary


def nearest_on_cluster(
    client: Any,
    facilities: gpd.GeoDataFrame,
    demand: PartitionedFrame,
    *,
    work_dir: Path,
    max_distance_m: float | None = None,
    progress=None,
) -> tuple[PartitionedFrame, dict[str, Any]]:
    """Nearest facility (straight line) of every demand feature; every task sees every
    facility, so the answer is exact. Facility ids are ``facilities``' index."""
    fac_path = _write_facilities(facilities, demand.crs, work_dir)
    out_dir = work_dir / "nearest"
    out_dir.mkdir(parents=True, exist_ok=True)
    arguments = [
        (str(path), str(fac_path), max_distance_m, str(out_dir / path.name))
        for path in demand.paths
    ]
    stats = run_tasks(client, nearest_part, arguments, progress=progress, key="nearest")
    features = sum(s["features"] for s in stats)
    allocated = sum(s["allocated"] for s in stats)
    summary = {
        "features": features,
        "allocated": allocated,
        "mean_distance_m": sum(s["distance_sum"] for s in stats) / allocated if allocated else None,
        "max_distance_m": max(
            (s["distance_max"] for s in stats if s["distance_max"] is not None), default=None
        ),
        "partitions": len(stats),
    }
    return PartitionedFrame([Path(a[-1]) for a in arguments], demand.crs), summary


def nearest_part(demand_path, facilities_path, max_distance_m, out_path) -> dict:
    """One partition of :func:`nearest_on_cluster`."""
    part = gpd.read_parquet(demand_path)
    facilities = gpd.read_parquet(facilities_path)
    out = assign_nearest(part, facilities, max_distance_m=max_distance_m, crs=part.crs).demand
    out.to_parquet(out_path)
    distance = out["distance_m"].dropna()
    return {
        "features": len(out),
        "allocated": int(out["facility"].notna().sum()),
        "distance_sum": float(distance.sum()),
        "distance_max": float(distance.max()) if len(distance) else None,
    }


def _write_facilities(facilities: gpd.GeoDataFrame, crs: str, work_dir: Path) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "facilities.parquet"
    facilities.to_crs(crs).to_parquet(path)
    return path
