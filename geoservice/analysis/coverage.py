"""Service coverage: how much of the demand lies within reach of a facility.

Reach is a Euclidean distance (buffers around the facilities) or a travel time
over a road network, timed by the network's reach model
(:mod:`geoservice.analysis.network`): a point is covered when the walk from the
facility to its node, the road time and the walk from the road to the point fit in
the budget, exactly as ``travel_time_matrix`` and ``assign_nearest`` time it. The
reached area is drawn as disks around the reached nodes, each as wide as the time
left there lets one walk (capped at the snap limit), so the band width is an output
of the model, not a setting. Covered areas
come from a tiled index of the union of the reach polygons
(:mod:`geoservice.analysis._tiles`), never from an overlay of every demand feature
with every buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c
from geoservice.analysis._tiles import ReachIndex
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.errors import InvalidParameter

if TYPE_CHECKING:
    from geoservice.analysis.network import RoadNetwork


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of a demand layer by facilities.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        The demand features (metric CRS, input index and columns) with
        ``covered_share`` (0–1; area share for polygons, 0/1 for points),
        ``covered_area_m2`` (polygons), ``distance_m`` to the nearest facility
        (points, distance mode), ``minutes`` from the nearest facility, ``snap_m``
        and ``off_network`` (points, network mode) and ``covered_population``
        when a population column was given.
    uncovered : geopandas.GeoDataFrame
        Demand features with ``covered_share == 0``.
    units : pandas.DataFrame or None
        Per admin unit: ``area_m2``, ``covered_area_m2``, ``area_share``
        (exact, from the coverage geometry), ``features``, ``covered_features``,
        ``feature_share`` and, with population, ``population``,
        ``covered_population``, ``population_share``. Demand features belong to
        the unit holding their representative point (the first
        unit listed when the point is on a border).
    reach : geopandas.GeoDataFrame
        The reach polygons: one buffer per facility, or one isochrone for all
        (network mode: unioned on first use, as callers after shares only never
        need it).
    summary : dict
        Totals and shares for the whole demand layer, and the parameters.
    """

    demand: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    units: pd.DataFrame | None
    reach_table: pd.DataFrame = field(repr=False, compare=False)
    summary: dict[str, Any]
    index: ReachIndex = field(repr=False, compare=False)

    @cached_property
    def reach(self) -> gpd.GeoDataFrame:
        """The reach polygons (the network isochrone is unioned on first use)."""
        if isinstance(self.reach_table, gpd.GeoDataFrame):
            return self.reach_table
        return gpd.GeoDataFrame(
            self.reach_table, geometry=[self.index.union()], crs=self.demand.crs
        )

    @cached_property
    def coverage(self) -> gpd.GeoDataFrame:
        """The covered area as a one-row GeoDataFrame (computed on first use)."""
        return gpd.GeoDataFrame(
            {"area_m2": [0.0]}, geometry=[self.index.union()], crs=self.demand.crs
        ).assign(area_m2=lambda d: d.area)


def compute_coverage(
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    distance_m: float | None = None,
    minutes: float | None = None,
    network: RoadNetwork | None = None,
    population_col: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    unit_key: str | None = None,
    crs: Any = None,
    quad_segs: int = 16,
    max_snap_m: float | None = 500.0,
    chunk_size: int = 50_000,
    progress: c.Progress = None,
) -> CoverageResult:
    """Share of each demand feature within reach of the facilities.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points, lines or polygons (polygons reach from their edge).
    demand : geopandas.GeoDataFrame
        Polygons (cells, units; area share) or points (villages; 0/1).
    distance_m : float, optional
        Euclidean reach in metres. Give this or ``minutes``.
    minutes : float, optional
        Travel-time reach over ``network``.
    network : RoadNetwork, optional
        Required with ``minutes``; its CRS is used for the analysis.
    population_col : str, optional
        Demand population; polygons are assumed evenly populated.
    units : geopandas.GeoDataFrame, optional
        Admin units to summarise by; needs ``unit_key``.
    unit_key : str, optional
        Column of ``units`` naming each unit.
    crs : optional
        Metric CRS for the analysis (the network's; else the inputs' GK zone,
        ``analysis.crs.metric_crs_of``).
    quad_segs : int, default 16
        Segments per quarter circle of the buffers (area error < 0.2 %).
    max_snap_m : float or None, default 500
        Network mode: features farther from every road node are not on the
        network (facilities reach nothing, demand is not covered) and are
        reported as such; the reached band is never wider.
    chunk_size : int, default 50000
        About this many demand features are measured at once, a spatially
        compact chunk against the tiles of its own window only (memory and
        cache bound, so time grows linearly with the demand; progress steps).
        Results do not depend on it.
    progress : callable, optional
        Called with the fraction done.

    Returns
    -------
    CoverageResult
        Frames in the analysis CRS.

    Raises
    ------
    CRSMismatchError
        If the input layers are in different CRSs.
    InvalidParameter
        For a bad option, a missing column or a wrong geometry kind.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
    ...                          crs=4546)
    >>> fac = gpd.GeoDataFrame(geometry=[box(-5, -5, 0, 15)], crs=4546)
    >>> r = compute_coverage(fac, cells, distance_m=5)
    >>> r.demand["covered_share"].round(3).tolist()
    [0.5, 0.0]
    """
    _check_inputs(
        facilities,
        demand,
        units,
        unit_key,
        population_col,
        distance_m,
        minutes,
        network,
    )
    crs = analysis_crs(crs, network, demand, facilities)
    fac_m, dem_m = to_metric(facilities, crs), to_metric(demand, crs)
    kind = c.require_kind(dem_m, "demand", {"point", "polygon"})
    reach, parts, times = _reach(fac_m, distance_m, minutes, network, quad_segs, max_snap_m)
    demand_geoms = np.asarray(dem_m.geometry.array)
    bounds = shapely.bounds(demand_geoms) if kind == "polygon" else None
    index = ReachIndex(parts, demand_bounds=bounds)
    c.report(progress, 0.05)
    out = dem_m.copy()
    if kind == "point" and network is not None and minutes is not None:
        _cover_points_by_time(out, network, times, minutes, max_snap_m)
    elif kind == "point":
        _cover_points(out, fac_m, index, distance_m)
    else:
        _cover_polygons(out, index, bounds, chunk_size, progress)
    if population_col is not None:
        out["covered_population"] = out[population_col].astype("float64") * out["covered_share"]
    unit_table = None
    if units is not None:
        unit_table = _unit_table(out, to_metric(units, crs), unit_key, index, population_col)
    c.report(progress, 1.0)
    return CoverageResult(
        demand=out,
        uncovered=out[out["covered_share"] <= 0],
        units=unit_table,
        reach_table=reach,
        summary=_summary(out, kind, population_col, distance_m, minutes, network, crs, max_snap_m),
        index=index,
    )


def _check_inputs(
    facilities, demand, units, unit_key, population_col, distance_m, minutes, network
):
    c.check_frame(facilities, "facilities")
    c.check_frame(demand, "demand")
    mode = c.one_of(distance_m=distance_m, minutes=minutes)
    if mode == "distance_m":
        c.positive(distance_m, "distance_m", allow_zero=True)
    elif network is None:
        raise InvalidParameter("minutes needs a network (see build_network)")
    else:
        c.positive(minutes, "minutes")
    if population_col is not None:
        c.numeric_column(demand, "demand", population_col)
    if units is not None:
        c.check_frame(units, "units")
        c.require_kind(units, "units", {"polygon"})
        if unit_key is None:
            raise InvalidParameter("units needs unit_key, the column naming each unit")
        c.require_columns(units, "units", unit_key)
    ensure_same_crs(facilities=facilities, demand=demand, units=units)


def _reach(fac_m, distance_m, minutes, network, quad_segs, max_snap_m):
    """Reach polygons per facility (distance) or all together (network), and the
    minutes to every node (network; None for distance)."""
    if distance_m is not None:
        geoms = shapely.buffer(np.asarray(fac_m.geometry.array), distance_m, quad_segs=quad_segs)
        if distance_m == 0:  # points and lines reach nothing, polygons themselves
            geoms = np.where(shapely.area(geoms) > 0, geoms, shapely.Polygon())
        reach = gpd.GeoDataFrame(
            {"distance_m": distance_m}, index=fac_m.index, geometry=geoms, crs=fac_m.crs
        )
        return reach, geoms, None
    node, leg, _ = network.snap_legs(fac_m, max_snap_m=max_snap_m)
    times, _ = network.source_minutes(node, leg, limit_minutes=minutes)
    reached = np.nonzero(times <= minutes)[0]
    band_m = network.leg_minutes(1.0) ** -1 * (minutes - times[reached])
    if max_snap_m is not None:
        band_m = np.minimum(band_m, max_snap_m)
    keep = band_m > 0
    parts = shapely.buffer(
        np.asarray(network.nodes.geometry.array)[reached[keep]], band_m[keep], quad_segs=4
    )
    reach = pd.DataFrame(
        {
            "minutes": [minutes],
            "facilities": [int((node >= 0).sum())],
            "max_band_m": [float(band_m.max()) if len(band_m) else 0.0],
        }
    )  # the union of the disks is drawn on first use (CoverageResult.reach)
    return reach, parts, times


def _cover_points_by_time(out, network, times, minutes, max_snap_m):
    """Points covered when node minutes plus their walk from the road fit the budget."""
    node, leg, dist = network.snap_legs(out, max_snap_m=max_snap_m)
    total = np.full(len(out), np.inf)
    on = node >= 0
    total[on] = times[node[on]] + leg[on]
    out["minutes"] = np.where(np.isfinite(total), total, np.nan)
    out["snap_m"] = dist
    out["off_network"] = ~on
    out["covered_share"] = (total <= minutes).astype("float64")


def _cover_points(out, fac_m, index, distance_m):
    points = np.asarray(out.geometry.array)
    if distance_m is not None and len(fac_m) and len(points):
        tree = shapely.STRtree(np.asarray(fac_m.geometry.array))
        (_, _), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
        out["distance_m"] = dist
        covered = dist <= distance_m
    else:
        covered = index.covers_points(points)
    out["covered_share"] = covered.astype("float64")


def _cover_polygons(out, index, bounds, chunk_size, progress):
    """Covered areas, chunk by spatially compact chunk (see ``ReachIndex.chunks``)."""
    geoms = np.asarray(out.geometry.array)
    area = shapely.area(geoms)
    covered = np.zeros(len(geoms))
    done = 0
    for pos, tiles in index.chunks(bounds, max(1, int(chunk_size))):
        if tiles is not None:
            covered[pos] = tiles.covered_area(geoms[pos], bounds=bounds[pos], area=area[pos])
        done += len(pos)
        c.report(progress, 0.05 + 0.9 * done / len(geoms))
    out["covered_area_m2"] = np.minimum(covered, area)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["covered_share"] = np.where(area > 0, out["covered_area_m2"] / area, 0.0)


def _unit_table(out, units_m, unit_key, index, population_col):
    unit_geoms = np.asarray(units_m.geometry.array)
    anchors = c.anchor_points(out, "representative_point")
    # "intersects" so a point on a shared border still lands in a unit (the first)
    pt, unit_pos = shapely.STRtree(unit_geoms).query(anchors, predicate="intersects")
    order = np.lexsort((unit_pos, pt))
    pt, unit_pos = pt[order], unit_pos[order]
    first = np.unique(pt, return_index=True)[1]
    unit_of = np.full(len(out), -1)
    unit_of[pt[first]] = unit_pos[first]
    area = shapely.area(unit_geoms)
    table = pd.DataFrame(
        {
            "unit": units_m[unit_key].to_numpy(),
            "area_m2": area,
            "covered_area_m2": np.minimum(index.covered_area(unit_geoms), area),
        }
    )
    table["area_share"] = table["covered_area_m2"] / table["area_m2"]
    inside = unit_of >= 0
    groups = pd.DataFrame(
        {"pos": unit_of[inside], "share": out["covered_share"].to_numpy()[inside]}
    )
    if population_col is not None:
        groups["population"] = out[population_col].to_numpy(dtype="float64")[inside]
        groups["covered_population"] = out["covered_population"].to_numpy()[inside]
    agg = groups.groupby("pos").agg(
        features=("share", "size"),
        covered_features=("share", lambda s: int((s > 0).sum())),
        feature_share=("share", "mean"),
        **(
            {
                "population": ("population", "sum"),
                "covered_population": ("covered_population", "sum"),
            }
            if population_col is not None
            else {}
        ),
    )
    table = table.join(agg, how="left")
    table[["features", "covered_features"]] = (
        table[["features", "covered_features"]].fillna(0).astype(int)
    )
    if population_col is not None:
        table[["population", "covered_population"]] = table[
            ["population", "covered_population"]
        ].fillna(0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["population_share"] = table["covered_population"] / table["population"]
    return table.rename(columns={"unit": unit_key})


def _summary(out, kind, population_col, distance_m, minutes, network, crs, max_snap_m):
    share = out["covered_share"].to_numpy()
    summary: dict[str, Any] = {
        "demand_kind": kind,
        "features": len(out),
        "covered_features": int((share > 0).sum()),
        "fully_covered_features": int((share >= 1 - 1e-9).sum()),
        "uncovered_features": int((share <= 0).sum()),
        "feature_share": float(share.mean()) if len(share) else None,
        "distance_m": distance_m,
        "minutes": minutes,
        "profile": network.profile if network is not None else None,
        "crs": str(crs),
    }
    if network is not None and minutes is not None:
        summary["reach_model"] = {
            "access_speed_kmh": network.access_speed_kmh,
            "max_snap_m": max_snap_m,
            "max_band_m": (
                min(minutes * 1000 * network.access_speed_kmh / 60, max_snap_m)
                if max_snap_m is not None
                else minutes * 1000 * network.access_speed_kmh / 60
            ),
        }
        if "off_network" in out.columns:
            summary["off_network_features"] = int(out["off_network"].sum())
    if kind == "polygon":
        area = float(out.area.sum())
        covered = float(out["covered_area_m2"].sum())
        summary.update(
            area_m2=area,
            covered_area_m2=covered,
            area_share=covered / area if area else None,
        )
    if population_col is not None:
        pop = float(out[population_col].astype("float64").sum())
        cov = float(out["covered_population"].sum())
        summary.update(
            population=pop,
            covered_population=cov,
            population_share=cov / pop if pop else None,
        )
    return summary
