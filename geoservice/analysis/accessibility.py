"""Accessibility: two-step floating catchment area (2SFCA) supply/demand ratios.

Vectorised over the sparse set of demand–supply pairs within reach (Luo & Wang
2003). The tests check it against a hand computation and against PySAL ``access``,
which is not used at run time because it returns only the demand-side ratio and
not the per-facility one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from geoservice.analysis import _common as c
from geoservice.analysis._costs import anchors, cost_pairs
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.analysis.weights import check_capacity, check_population
from geoservice.errors import InvalidParameter

if TYPE_CHECKING:
    from geoservice.analysis.network import RoadNetwork


def check_weights(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame | None,
    *,
    population_col: str,
    supply_col: str | None = None,
    crs: Any = None,
) -> None:
    """Refuse, as :func:`access_weights` in a run would, a population or capacity column
    that cannot be one (:mod:`geoservice.analysis.weights`), without computing anything.

    ``supply`` may be None when ``supply_col`` is (each facility then counts 1).
    ``crs`` is the metric CRS the run measures in (else the inputs' GK zone).
    """
    frames = [f for f in (demand, supply) if f is not None]
    crs = analysis_crs(crs, None, *frames)
    sup_m = to_metric(supply, crs) if supply is not None else demand.iloc[:0]
    access_weights(
        to_metric(demand, crs), sup_m, population_col=population_col, supply_col=supply_col
    )


@dataclass(frozen=True)
class AccessibilityResult:
    """2SFCA ratios.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        Demand with ``access``: supply reachable per ``per_population`` residents
        (Σ of the ratios of the facilities in reach), ``facilities_in_reach`` and,
        over a network, ``snap_m`` and ``off_network``.
    supply : geopandas.GeoDataFrame
        Facilities with ``catchment_population`` (residents within reach) and
        ``ratio`` (supply per ``per_population`` of them; NaN with nobody in reach).
    summary : dict
        Population-weighted mean access, population with no access, parameters.
    """

    demand: gpd.GeoDataFrame
    supply: gpd.GeoDataFrame
    summary: dict[str, Any]


def two_step_fca(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    population_col: str,
    supply_col: str | None = None,
    distance_m: float | None = None,
    minutes: float | None = None,
    network: RoadNetwork | None = None,
    per_population: float = 1000.0,
    demand_point: str = "centroid",
    crs: Any = None,
) -> AccessibilityResult:
    """Two-step floating catchment: supply per resident within a distance or time.

    Step 1, per facility *j*: ``R_j = S_j / Σ P_i`` over demand *i* within reach.
    Step 2, per demand *i*: ``A_i = Σ R_j`` over facilities *j* within reach.
    Both are scaled by ``per_population`` (e.g. venues per 1 000 residents).

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Residents (points or polygons measured from their centroid).
    supply : geopandas.GeoDataFrame
        Facilities.
    population_col : str
        Demand population: numeric, non-negative and of a plausible size for the
        demand's area (:func:`geoservice.analysis.weights.check_population`).
    supply_col : str, optional
        Facility capacity (seats, beds, doctors); each facility counts 1 if not given.
    distance_m : float, optional
        Euclidean catchment size. Give this or ``minutes``.
    minutes : float, optional
        Travel-time catchment over ``network``.
    network : RoadNetwork, optional
    per_population : float, default 1000
    demand_point : {"centroid", "representative_point"}
    crs : optional
        Metric CRS (the network's; else the inputs' GK zone, ``analysis.crs.metric_crs_of``).

    Returns
    -------
    AccessibilityResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> d = gpd.GeoDataFrame({"pop": [1000, 3000]},
    ...                      geometry=[Point(0, 0), Point(50, 0)], crs=4546)
    >>> s = gpd.GeoDataFrame(geometry=[Point(10, 0)], crs=4546)
    >>> r = two_step_fca(d, s, population_col="pop", distance_m=100)
    >>> r.demand["access"].tolist()
    [0.25, 0.25]
    """
    c.check_frame(demand, "demand")
    c.check_frame(supply, "supply")
    ensure_same_crs(demand=demand, supply=supply)
    mode = c.one_of(distance_m=distance_m, minutes=minutes)
    if mode == "minutes" and network is None:
        raise InvalidParameter("minutes needs a network (see build_network)")
    reach = c.positive(distance_m if mode == "distance_m" else minutes, mode, allow_zero=True)
    scale = c.positive(per_population, "per_population")
    crs = analysis_crs(crs, network, demand, supply)
    dem_m, sup_m = to_metric(demand, crs), to_metric(supply, crs)
    pop, cap = access_weights(dem_m, sup_m, population_col=population_col, supply_col=supply_col)
    pairs = cost_pairs(
        dem_m,
        sup_m,
        max_cost=reach,
        network=network if mode == "minutes" else None,
        demand_point=demand_point,
    )
    catchment = _catchment(pairs, pop, len(sup_m))
    ratio = supply_ratio(cap, catchment)
    access, in_reach = _access(pairs, ratio, len(dem_m))
    dem_out = dem_m.copy()
    dem_out["access"] = access * scale
    dem_out["facilities_in_reach"] = in_reach
    off_count = {}
    if mode == "minutes":
        from geoservice.analysis.network import off_network

        dem_out["snap_m"], dem_out["off_network"] = off_network(network, dem_m)
        off_count = {"off_network_features": int(dem_out["off_network"].sum())}
    sup_out = sup_m.copy()
    sup_out["catchment_population"] = catchment
    sup_out["ratio"] = ratio * scale
    total_pop = float(pop.sum())
    return AccessibilityResult(
        demand=dem_out,
        supply=sup_out,
        summary={
            "per_population": scale,
            mode: reach,
            "profile": network.profile if mode == "minutes" else None,
            "mean_access": float((access * pop).sum() / total_pop * scale) if total_pop else None,
            "population_without_access": float(pop[access <= 0].sum()),
            "supply_total": float(cap.sum()),
            "supply_without_demand": int((catchment <= 0).sum()),
            **off_count,
            "crs": str(dem_m.crs),
        },
    )


def access_weights(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    population_col: str,
    supply_col: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the population of each demand feature and the capacity of each facility.

    Checked on the whole demand (a population is plausible or not for the area it
    covers), so a partitioned run checks once, before cutting the demand into parts.
    Each facility counts 1 without ``supply_col``. Both frames are in a metric CRS.
    """
    c.require_columns(demand, "demand", population_col)
    c.require_columns(supply, "supply", supply_col)
    pop = check_population(demand, population_col, input_name="population_column")
    cap = (
        check_capacity(supply, supply_col, input_name="supply_column")
        if supply_col is not None
        else np.ones(len(supply))
    )
    return pop, cap


def catchment_population(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    population: np.ndarray,
    *,
    distance_m: float,
    demand_point: str = "centroid",
) -> np.ndarray:
    """Step 1 over some of the demand: residents of ``demand`` within reach of each facility.

    Summed over parts of the demand that together hold every feature once, these
    are the ``catchment_population`` of :func:`two_step_fca` (Euclidean reach).

    Parameters
    ----------
    demand, supply : geopandas.GeoDataFrame
        In the same metric CRS.
    population : numpy.ndarray
        Residents of each ``demand`` row (from :func:`access_weights`).
    distance_m : float
        Euclidean catchment.
    demand_point : {"centroid", "representative_point"}

    Returns
    -------
    numpy.ndarray
        One sum per ``supply`` row (float64).
    """
    pairs = cost_pairs(demand, supply, max_cost=distance_m, demand_point=demand_point)
    return _catchment(pairs, population, len(supply))


def supply_ratio(capacity: np.ndarray, catchment: np.ndarray) -> np.ndarray:
    """Return ``R_j = S_j / Σ P_i`` (unscaled; NaN for a facility with nobody in reach)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(catchment > 0, capacity / catchment, np.nan)


def demand_access(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    ratio: np.ndarray,
    *,
    distance_m: float,
    demand_point: str = "centroid",
) -> tuple[np.ndarray, np.ndarray]:
    """Step 2 for any demand features: Σ ``ratio`` in reach (unscaled) and how many are.

    With the ratios of the whole demand (:func:`supply_ratio`) this gives each
    feature its ``access`` (before ``per_population``) and ``facilities_in_reach``,
    whichever part of the demand it is computed with.
    """
    pairs = cost_pairs(demand, supply, max_cost=distance_m, demand_point=demand_point)
    return _access(pairs, ratio, len(demand))


def _catchment(pairs, population: np.ndarray, n_supply: int) -> np.ndarray:
    return np.bincount(pairs.j, weights=population[pairs.i], minlength=n_supply)


def _access(pairs, ratio: np.ndarray, n_demand: int) -> tuple[np.ndarray, np.ndarray]:
    usable = np.nan_to_num(ratio)
    access = np.bincount(pairs.i, weights=usable[pairs.j], minlength=n_demand)
    return access, np.bincount(pairs.i, minlength=n_demand)


def access_at(supply: gpd.GeoDataFrame, xy: np.ndarray, *, distance_m: float) -> np.ndarray:
    """Step 2 of 2SFCA at any points: the ratios of the facilities within ``distance_m``.

    Draws an accessibility surface (e.g. at raster cell centres) from a result of
    :func:`two_step_fca` run with ``distance_m``.

    Parameters
    ----------
    supply : geopandas.GeoDataFrame
        :attr:`AccessibilityResult.supply` (metric CRS, with ``ratio``); a
        facility with nobody in reach (NaN ratio) adds nothing.
    xy : numpy.ndarray
        Point coordinates (n × 2) in the CRS of ``supply``.
    distance_m : float
        Euclidean reach, measured to each facility's representative point.

    Returns
    -------
    numpy.ndarray
        Access at each point (float64), scaled like the ``access`` column.
    """
    ratio = np.nan_to_num(supply["ratio"].to_numpy(dtype="float64"))
    tree = cKDTree(anchors(supply, "representative_point"))
    hits = tree.query_ball_point(xy, r=distance_m, workers=-1)
    return np.array([ratio[h].sum() for h in hits], dtype="float64")
