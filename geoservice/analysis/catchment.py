"""Catchments: nearest-facility allocation, Voronoi areas and the Huff model.

Distances are measured from each demand feature's anchor point (the point itself,
or the centroid of a polygon) to the facility, in a metric CRS; travel times come
from a :class:`~geoservice.analysis.network.RoadNetwork`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geoservice.analysis import _common as c
from geoservice.analysis._costs import anchors, cost_pairs
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.errors import InvalidParameter

if TYPE_CHECKING:
    from geoservice.analysis.network import RoadNetwork


@dataclass(frozen=True)
class AllocationResult:
    """Each demand feature allocated to its nearest facility.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        Demand (metric CRS) with ``facility`` (index label of the nearest facility,
        missing when none is within reach) and ``distance_m`` or ``minutes``.
    facilities : geopandas.GeoDataFrame
        Facilities with ``demand_features`` and, with population, ``population``.
    summary : dict
    """

    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    summary: dict[str, Any]


def assign_nearest(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    network: RoadNetwork | None = None,
    max_distance_m: float | None = None,
    max_minutes: float | None = None,
    population_col: str | None = None,
    demand_point: str = "centroid",
    crs: Any = None,
    max_snap_m: float | None = 500.0,
    progress: c.Progress = None,
) -> AllocationResult:
    """Allocate each demand feature to its nearest facility.

    Parameters
    ----------
    demand, facilities : geopandas.GeoDataFrame
        Any geometries, in one CRS.
    network : RoadNetwork, optional
        Allocate by network travel time (reach model: access and egress legs
        walked and counted) instead of straight-line distance; the demand then
        gets ``snap_m`` and ``off_network`` (farther than ``max_snap_m`` from the
        roads: not on the network, not allocated).
    max_distance_m, max_minutes : float, optional
        Leave demand unallocated beyond this distance (or time on a network).
    population_col : str, optional
        Demand column summed per facility.
    demand_point : {"centroid", "representative_point"}
        Where a polygon's distance is measured from.
    crs : optional
        Metric CRS (the network's; else the inputs' GK zone, ``analysis.crs.metric_crs_of``).
    max_snap_m : float or None, default 500
        Network mode: the snap limit of the reach model.
    progress : callable, optional

    Returns
    -------
    AllocationResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> d = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(9, 0)], crs=4546)
    >>> f = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[Point(1, 0), Point(10, 0)],
    ...                      crs=4546)
    >>> assign_nearest(d, f).demand["facility"].tolist()
    [0, 1]
    """
    dem_m, fac_m = _prepare(demand, facilities, network, crs, population_col)
    if network is None:
        pos, cost = _nearest_euclidean(dem_m, fac_m, max_distance_m, demand_point)
        cost_col = "distance_m"
    else:
        pos, cost, snap_m, off = _nearest_network(dem_m, fac_m, network, max_minutes, max_snap_m)
        cost_col = "minutes"
    c.report(progress, 0.8)
    out = dem_m.copy()
    out["facility"] = c.take_labels(fac_m.index, pos)
    out[cost_col] = np.where(pos >= 0, cost, np.nan)
    if network is not None:
        out["snap_m"] = snap_m
        out["off_network"] = off
    fac_out = fac_m.copy()
    counts = np.bincount(pos[pos >= 0], minlength=len(fac_m))
    fac_out["demand_features"] = counts
    if population_col is not None:
        pop = out[population_col].to_numpy(dtype="float64")
        fac_out["population"] = np.bincount(
            pos[pos >= 0], weights=pop[pos >= 0], minlength=len(fac_m)
        )
    c.report(progress, 1.0)
    return AllocationResult(
        demand=out,
        facilities=fac_out,
        summary={
            "features": len(out),
            "allocated": int((pos >= 0).sum()),
            "unallocated": int((pos < 0).sum()),
            "cost": cost_col,
            f"mean_{cost_col}": float(np.nanmean(out[cost_col])) if (pos >= 0).any() else None,
            f"max_{cost_col}": float(np.nanmax(out[cost_col])) if (pos >= 0).any() else None,
            **({"off_network": int(out["off_network"].sum())} if network is not None else {}),
            "crs": str(out.crs),
        },
    )


def _prepare(demand, facilities, network, crs, population_col):
    c.check_frame(demand, "demand")
    c.check_frame(facilities, "facilities")
    ensure_same_crs(demand=demand, facilities=facilities)
    if population_col is not None:
        c.numeric_column(demand, "demand", population_col)
    crs = analysis_crs(crs, network, demand, facilities)
    return to_metric(demand, crs), to_metric(facilities, crs)


def _nearest_euclidean(dem_m, fac_m, max_distance_m, demand_point):
    n = len(dem_m)
    if not len(fac_m) or not n:
        return np.full(n, -1), np.full(n, np.nan)
    limit = (
        np.inf
        if max_distance_m is None
        else c.positive(max_distance_m, "max_distance_m", allow_zero=True)
    )
    xy = c.anchor_xy(dem_m, demand_point)
    fac_geoms = np.asarray(fac_m.geometry.array)
    if (shapely.get_type_id(fac_geoms) == 0).all():
        tree = cKDTree(shapely.get_coordinates(fac_geoms))
        # workers=-1: SciPy queries in threads on every core
        dist, pos = tree.query(xy, distance_upper_bound=limit, workers=-1)
        pos = np.where(np.isfinite(dist), pos, -1)
        return pos.astype(np.int64), dist
    max_d = None if max_distance_m is None else limit
    (d_i, f_i), dist = shapely.STRtree(fac_geoms).query_nearest(
        shapely.points(xy), max_distance=max_d, return_distance=True, all_matches=False
    )
    pos, cost = np.full(n, -1), np.full(n, np.nan)
    pos[d_i], cost[d_i] = f_i, dist
    return pos, cost


def _nearest_network(dem_m, fac_m, network, max_minutes, max_snap_m):
    """Nearest facility by the reach model: walk to the road, drive or walk, walk off."""
    limit = np.inf if max_minutes is None else c.positive(max_minutes, "max_minutes")
    fac_node, fac_leg, _ = network.snap_legs(fac_m, max_snap_m=max_snap_m)
    dem_node, dem_leg, dem_snap = network.snap_legs(dem_m, max_snap_m=max_snap_m)
    times, src = network.source_minutes(fac_node, fac_leg, limit_minutes=limit)
    pos = np.full(len(dem_m), -1)
    cost = np.full(len(dem_m), np.nan)
    on = dem_node >= 0
    total = np.full(len(dem_m), np.inf)
    total[on] = times[dem_node[on]] + dem_leg[on]
    ok = total <= limit
    pos[ok] = src[dem_node[ok]]
    cost[ok] = total[ok]
    return pos, cost, dem_snap, ~on


@dataclass(frozen=True)
class VoronoiResult:
    """Voronoi catchments clipped to a boundary.

    Attributes
    ----------
    catchments : geopandas.GeoDataFrame
        One polygon per facility (same index), with ``area_m2``.
    summary : dict
    """

    catchments: gpd.GeoDataFrame
    summary: dict[str, Any]


def voronoi_catchments(
    facilities: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame,
    crs: Any = None,
) -> VoronoiResult:
    """Split a boundary into the areas closest to each facility (Thiessen polygons).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facilities; polygons use their representative point. Locations must be
        distinct.
    boundary : geopandas.GeoDataFrame
        Polygons whose union is the study area.
    crs : optional
        Metric CRS; the boundary's metric CRS (``analysis.crs.metric_crs_of``) if None.

    Returns
    -------
    VoronoiResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> f = gpd.GeoDataFrame(geometry=[Point(1, 1), Point(3, 1)], crs=4546)
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 4, 2)], crs=4546)
    >>> voronoi_catchments(f, boundary=b).catchments["area_m2"].tolist()
    [4.0, 4.0]
    """
    c.check_frame(facilities, "facilities")
    c.check_frame(boundary, "boundary")
    c.require_kind(boundary, "boundary", {"polygon"})
    ensure_same_crs(facilities=facilities, boundary=boundary)
    crs = analysis_crs(crs, None, boundary, facilities)
    fac_m, bnd_m = to_metric(facilities, crs), to_metric(boundary, crs)
    xy = anchors(fac_m, "representative_point")
    if len(np.unique(np.round(xy, 6), axis=0)) != len(xy):
        raise InvalidParameter("facilities share locations; Voronoi cells need distinct points")
    area = shapely.union_all(np.asarray(bnd_m.geometry.array))
    if len(xy) == 1:
        cells = np.array([area], dtype=object)
    else:
        diagram = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=area, ordered=True)
        cells = shapely.intersection(shapely.get_parts(diagram), area)
    out = gpd.GeoDataFrame(fac_m.drop(columns=fac_m.geometry.name), geometry=cells, crs=fac_m.crs)
    out["area_m2"] = out.area
    return VoronoiResult(
        catchments=out,
        summary={
            "facilities": len(out),
            "boundary_area_m2": float(area.area),
            "crs": str(out.crs),
        },
    )


@dataclass(frozen=True)
class HuffResult:
    """Huff-model patronage probabilities.

    Attributes
    ----------
    probabilities : pandas.DataFrame
        Long format: ``demand`` and ``facility`` (index labels), ``distance_m`` or
        ``minutes``, ``probability``. Pairs beyond the maximum are absent.
    demand : geopandas.GeoDataFrame
        Demand with ``most_likely_facility`` and ``max_probability``.
    facilities : geopandas.GeoDataFrame
        Facilities with ``expected_visitors`` (needs population) and
        ``market_share`` (of the demand's population, or of features).
    summary : dict
    """

    probabilities: pd.DataFrame
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    summary: dict[str, Any]


def huff_model(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    attractiveness_col: str,
    decay_exponent: float = 2.0,
    attractiveness_exponent: float = 1.0,
    population_col: str | None = None,
    network: RoadNetwork | None = None,
    max_distance_m: float | None = None,
    max_minutes: float | None = None,
    min_cost: float = 1.0,
    demand_point: str = "centroid",
    crs: Any = None,
) -> HuffResult:
    """Huff gravity model: probability that demand *i* patronises facility *j*.

    ``P_ij = A_j^α · d_ij^-λ / Σ_k A_k^α · d_ik^-λ`` over the facilities within
    reach, where ``A`` is the attractiveness (e.g. floor area), ``d`` the distance
    in metres (or minutes on a network), ``λ`` the distance-decay exponent and
    ``α`` the attractiveness exponent. Expected visitors of *j* are
    ``Σ_i P_ij · population_i``.

    Parameters
    ----------
    demand, facilities : geopandas.GeoDataFrame
    attractiveness_col : str
        Non-negative facility column.
    decay_exponent : float, default 2.0
        λ.
    attractiveness_exponent : float, default 1.0
        α.
    population_col : str, optional
        Demand population, for expected visitors.
    network : RoadNetwork, optional
        Use travel minutes instead of metres.
    max_distance_m, max_minutes : float, optional
        Facilities farther than this are not considered.
    min_cost : float, default 1.0
        Distances (or minutes) below this are raised to it, so a facility on top
        of a demand point does not get an infinite weight.
    demand_point : {"centroid", "representative_point"}
    crs : optional

    Returns
    -------
    HuffResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> d = gpd.GeoDataFrame({"pop": [100]}, geometry=[Point(0, 0)], crs=4546)
    >>> f = gpd.GeoDataFrame({"area": [1.0, 1.0]},
    ...                      geometry=[Point(100, 0), Point(-200, 0)], crs=4546)
    >>> r = huff_model(d, f, attractiveness_col="area", population_col="pop")
    >>> r.facilities["expected_visitors"].round(6).tolist()
    [80.0, 20.0]
    """
    dem_m, fac_m = _prepare(demand, facilities, network, crs, population_col)
    attract = c.numeric_column(fac_m, "facilities", attractiveness_col)
    lam = c.positive(decay_exponent, "decay_exponent", allow_zero=True)
    alpha = c.positive(attractiveness_exponent, "attractiveness_exponent", allow_zero=True)
    floor = c.positive(min_cost, "min_cost")
    max_cost = max_minutes if network is not None else max_distance_m
    pairs = cost_pairs(dem_m, fac_m, max_cost=max_cost, network=network, demand_point=demand_point)
    utility = attract[pairs.j] ** alpha * np.maximum(pairs.cost, floor) ** -lam
    total = np.bincount(pairs.i, weights=utility, minlength=len(dem_m))
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(total[pairs.i] > 0, utility / total[pairs.i], 0.0)
    cost_col = "minutes" if network is not None else "distance_m"
    table = pd.DataFrame(
        {
            "demand": dem_m.index.to_numpy()[pairs.i],
            "facility": fac_m.index.to_numpy()[pairs.j],
            cost_col: pairs.cost,
            "probability": prob,
        }
    )
    return HuffResult(
        probabilities=table,
        demand=_huff_demand(dem_m, fac_m, pairs, prob),
        facilities=_huff_facilities(dem_m, fac_m, pairs, prob, population_col),
        summary={
            "decay_exponent": lam,
            "attractiveness_exponent": alpha,
            "pairs": len(table),
            "demand_without_facility": int((total <= 0).sum()),
            "cost": cost_col,
            "crs": str(dem_m.crs),
        },
    )


def _huff_demand(dem_m, fac_m, pairs, prob):
    out = dem_m.copy()
    best = pd.DataFrame({"i": pairs.i, "j": pairs.j, "p": prob})
    best = best[best["p"] > 0].sort_values(["i", "p"], ascending=[True, False])
    best = best.drop_duplicates("i")
    labels = np.full(len(out), None, dtype=object)
    fac_labels = c.object_array(fac_m.index.tolist())
    labels[best["i"].to_numpy()] = fac_labels[best["j"].to_numpy()]
    out["most_likely_facility"] = labels
    maxp = np.zeros(len(out))
    maxp[best["i"].to_numpy()] = best["p"].to_numpy()
    out["max_probability"] = maxp
    return out


def _huff_facilities(dem_m, fac_m, pairs, prob, population_col):
    out = fac_m.copy()
    if population_col is not None:
        pop = dem_m[population_col].to_numpy(dtype="float64")
        visitors = np.bincount(pairs.j, weights=prob * pop[pairs.i], minlength=len(fac_m))
        out["expected_visitors"] = visitors
        total = pop.sum()
    else:
        visitors = np.bincount(pairs.j, weights=prob, minlength=len(fac_m))
        total = float(len(dem_m))
    out["market_share"] = visitors / total if total > 0 else 0.0
    return out
