"""Siting new facilities: maximal covering (MCLP) and p-median, solved exactly.

The models are built by PySAL ``spopt`` and solved by CBC through PuLP (the CBC
binary ships inside the PuLP wheel, so it runs offline). MCLP is spopt's model
written from the demand–site pairs in reach only (:mod:`._mclp`): the same model,
without the zero terms that made spopt's builder most of the run time. Existing facilities can
be fixed in the solution; candidates can be given or generated on a grid.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c
from geoservice.analysis._costs import dense_costs
from geoservice.analysis._mclp import mclp_from_cost_matrix
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.errors import AnalysisError, InvalidParameter

#: p-median cost of a pair the network does not connect, as a multiple of the
#: largest finite cost: high enough that the solver serves reachable demand first,
#: finite so that CBC can take it. Such pairs are never reported as served.
UNREACHABLE_PENALTY = 10.0

if TYPE_CHECKING:
    from geoservice.analysis.network import RoadNetwork


@dataclass(frozen=True)
class SitingResult:
    """Chosen sites and the demand they serve.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Existing facilities then candidates, with ``existing``, ``selected``,
        ``demand_features`` and ``demand_weight`` (allocated to the site).
        Index labels of existing facilities are prefixed ``existing:``.
    demand : geopandas.GeoDataFrame
        Demand with ``site`` (label of the serving site; missing if uncovered),
        the cost to it (``distance_m`` or ``minutes``), ``reachable`` (some
        site, chosen or not, can be reached) and, for MCLP, ``covered``. Over a
        network also ``snap_m`` (distance to the nearest road node) and
        ``off_network`` (farther than the snap limit: not on the network).
    summary : dict
        Solver status, objective, covered weight and share, parameters.
    """

    sites: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    summary: dict[str, Any]


def candidate_grid(
    boundary: gpd.GeoDataFrame, *, spacing_m: float, crs: Any = None
) -> gpd.GeoDataFrame:
    """Candidate sites on a square grid inside a boundary.

    Parameters
    ----------
    boundary : geopandas.GeoDataFrame
        Polygons; points are kept where they fall inside their union.
    spacing_m : float
        Grid spacing; the first point is half a spacing in from the bounds.
    crs : optional
        Metric CRS; the boundary's metric CRS (``analysis.crs.metric_crs_of``) if None.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in ``crs`` with a 0..n-1 index.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 300, 200)], crs=4546)
    >>> len(candidate_grid(b, spacing_m=100))
    6
    """
    c.check_frame(boundary, "boundary")
    step = c.positive(spacing_m, "spacing_m")
    bnd = to_metric(boundary, crs)
    area = shapely.union_all(np.asarray(bnd.geometry.array))
    xmin, ymin, xmax, ymax = area.bounds
    xs = np.arange(xmin + step / 2, xmax, step)
    ys = np.arange(ymin + step / 2, ymax, step)
    if len(xs) * len(ys) > 1_000_000:
        raise InvalidParameter("spacing_m gives over a million candidates; widen it")
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(area)
    pts = pts[shapely.contains(area, pts)]
    return gpd.GeoDataFrame(geometry=pts, crs=bnd.crs)


def maximal_covering(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    n_new: int,
    distance_m: float | None = None,
    minutes: float | None = None,
    network: RoadNetwork | None = None,
    weight_col: str | None = None,
    existing: gpd.GeoDataFrame | None = None,
    demand_point: str = "centroid",
    crs: Any = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """Choose ``n_new`` sites that cover the most demand weight (MCLP).

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand features (measured from their centroid).
    candidates : geopandas.GeoDataFrame
        Possible new sites (see :func:`candidate_grid`).
    n_new : int
        Number of new sites.
    distance_m, minutes : float
        Service distance, or travel time over ``network``; give one.
    network : RoadNetwork, optional
    weight_col : str, optional
        Demand weight (population); 1 per feature if not given.
    existing : geopandas.GeoDataFrame, optional
        Facilities already there; always selected.
    demand_point : {"centroid", "representative_point"}
    crs : optional
        Metric CRS (the network's; else the inputs' GK zone, ``analysis.crs.metric_crs_of``).
    time_limit_s : float, default 60
        CBC time limit; a time-limited run reports its status in the summary.

    Returns
    -------
    SitingResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> d = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1, 0), Point(50, 0)],
    ...                      crs=4546)
    >>> cand = gpd.GeoDataFrame(geometry=[Point(0.5, 0), Point(50, 1)], crs=4546)
    >>> r = maximal_covering(d, cand, n_new=1, distance_m=2)
    >>> r.sites["selected"].tolist()
    [True, False]
    """
    mode = c.one_of(distance_m=distance_m, minutes=minutes)
    radius = c.positive(distance_m if mode == "distance_m" else minutes, mode, allow_zero=True)
    sites, dem_m, weights, fixed = _prepare(
        demand, candidates, existing, network, crs, weight_col, n_new, mode
    )
    cost = dense_costs(
        dem_m,
        sites,
        network=network if mode == "minutes" else None,
        demand_point=demand_point,
    )
    selected, status = _choose(
        mclp_from_cost_matrix,
        np.where(np.isfinite(cost), cost, radius * 10 + 1),
        weights,
        fixed,
        n_new,
        time_limit_s,
        service_radius=radius,
    )
    return _result(
        sites, dem_m, weights, cost, selected, status, mode, radius=radius, network=network
    )


def p_median(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    n_new: int,
    network: RoadNetwork | None = None,
    weight_col: str | None = None,
    existing: gpd.GeoDataFrame | None = None,
    demand_point: str = "centroid",
    crs: Any = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """Choose ``n_new`` sites minimising the total weighted distance (p-median).

    Each demand feature is served by its nearest selected site. Over a network,
    pairs the roads do not connect (different road pieces, or a point farther than
    the snap limit from any road) are never served: demand that reaches no site is
    left out of the objective and reported (``reachable`` false,
    ``summary["unreachable_features"]``); an unconnected pair costs
    :data:`UNREACHABLE_PENALTY` × the largest finite cost in the model, so the
    solver serves the demand it can reach first. Demand left without a chosen site
    is counted in ``summary["unreached_features"]``.

    Parameters
    ----------
    demand, candidates, n_new, weight_col, existing, demand_point, crs, time_limit_s
        As for :func:`maximal_covering`.
    network : RoadNetwork, optional
        Minimise travel minutes instead of metres.

    Returns
    -------
    SitingResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> d = gpd.GeoDataFrame({"w": [1, 1, 10]}, crs=4546,
    ...                      geometry=[Point(0, 0), Point(2, 0), Point(10, 0)])
    >>> cand = gpd.GeoDataFrame(geometry=[Point(1, 0), Point(9, 0)], crs=4546)
    >>> p_median(d, cand, n_new=1, weight_col="w").sites["selected"].tolist()
    [False, True]
    """
    sites, dem_m, weights, fixed = _prepare(
        demand, candidates, existing, network, crs, weight_col, n_new, "distance_m"
    )
    cost = dense_costs(dem_m, sites, network=network, demand_point=demand_point)
    reachable = np.isfinite(cost).any(axis=1)
    if not reachable.any():
        raise AnalysisError(
            "no demand feature reaches any candidate or existing site over the roads "
            f"({len(dem_m)} demand features, {len(sites)} sites): check that they lie "
            "near the same connected roads"
        )
    model_cost = cost[reachable]
    finite = np.isfinite(model_cost)
    penalty = UNREACHABLE_PENALTY * float(model_cost[finite].max(initial=0.0)) + 1.0
    import spopt.locate

    selected, status = _choose(
        spopt.locate.PMedian.from_cost_matrix,
        np.where(finite, model_cost, penalty),
        weights[reachable],
        fixed,
        n_new,
        time_limit_s,
    )
    unit = "minutes" if network is not None else "distance_m"
    return _result(
        sites, dem_m, weights, cost, selected, status, unit, radius=None, network=network
    )


def _prepare(demand, candidates, existing, network, crs, weight_col, n_new, mode):
    c.check_frame(demand, "demand")
    c.check_frame(candidates, "candidates")
    if existing is not None:
        c.check_frame(existing, "existing")
    if mode == "minutes" and network is None:
        raise InvalidParameter("minutes needs a network (see build_network)")
    ensure_same_crs(demand=demand, candidates=candidates, existing=existing)
    if not isinstance(n_new, int | np.integer) or n_new < 0:
        raise InvalidParameter(f"n_new must be a non-negative integer, not {n_new!r}")
    if n_new > len(candidates):
        raise InvalidParameter(f"n_new={n_new} exceeds the {len(candidates)} candidates")
    crs = analysis_crs(crs, network, demand, candidates)
    dem_m, cand_m = to_metric(demand, crs), to_metric(candidates, crs)
    weights = c.numeric_column(dem_m, "demand", weight_col) if weight_col else np.ones(len(dem_m))
    frames = []
    if existing is not None and len(existing):
        ex = to_metric(existing, crs)
        frames.append(
            gpd.GeoDataFrame(
                {"existing": True},
                index=pd.Index([f"existing:{i}" for i in ex.index]),
                geometry=np.asarray(ex.geometry.array),
                crs=ex.crs,
            )
        )
    frames.append(cand_m[[cand_m.geometry.name]].assign(existing=False))
    sites = pd.concat(frames) if len(frames) > 1 else frames[0]
    sites = gpd.GeoDataFrame(sites, geometry=cand_m.geometry.name, crs=cand_m.crs)
    fixed = sites["existing"].to_numpy(dtype=bool)
    return sites, dem_m, weights, fixed


def _quiet(fn, *args, **kwargs):
    """Call ``fn`` hiding the PuLP 3 deprecation warnings that spopt triggers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args, **kwargs)


def _choose(build, cost, weights, fixed, n_new, time_limit_s, **options):
    """Build a spopt model over a cost matrix (``build(cost, weights, ...)``) and solve it.

    The existing sites are always selected and count towards p, so exactly
    ``n_new`` new sites are chosen.
    """
    try:
        model = _quiet(
            build,
            cost,
            weights,
            p_facilities=int(fixed.sum()) + n_new,
            predefined_facilities_arr=fixed if fixed.any() else None,
            **options,
        )
    except Exception as exc:  # PuLP/spopt raise plain exceptions on bad models
        raise AnalysisError(f"the siting model could not be built: {exc}") from exc
    return _solve(model, time_limit_s)


def _solver(time_limit_s):
    """CBC: the binary bundled in PuLP < 4, else one installed on the PATH."""
    import pulp

    limit = c.positive(time_limit_s, "time_limit_s")
    for name in ("PULP_CBC_CMD", "COIN_CMD"):
        factory = getattr(pulp, name, None)
        if factory is not None:
            solver = _quiet(factory, msg=False, timeLimit=limit)
            if solver.available():
                return solver
    raise AnalysisError("no CBC solver found; install geoservice[analysis]")


def _solve(model, time_limit_s):
    import pulp

    try:
        # results=False: spopt's client/facility tables are not used (_result
        # allocates from the cost matrix), and building them reads every variable
        model = _quiet(model.solve, _solver(time_limit_s), results=False)
    except AnalysisError:
        raise
    except Exception as exc:  # spopt raises plain exceptions for infeasible models
        raise AnalysisError(f"the siting model could not be solved: {exc}") from exc
    status = pulp.LpStatus[model.problem.status]
    if status not in ("Optimal",):
        raise AnalysisError(f"the siting model ended with status {status!r}")
    selected = np.array([(v.value() or 0) > 0.5 for v in model.fac_vars])
    return selected, {
        "status": status,
        "solution": pulp.LpSolution.get(model.problem.sol_status, str(model.problem.sol_status)),
        "objective": float(pulp.value(model.problem.objective)),
    }


def _result(sites, dem_m, weights, cost, selected, status, unit, *, radius, network=None):
    """Serve each demand by its cheapest selected site (MCLP, with a radius: within it).

    ``unit`` names the cost column: ``distance_m`` or ``minutes``.
    """
    mclp = radius is not None
    sel = np.nonzero(selected)[0]
    sub = cost[:, sel] if len(sel) else np.full((len(dem_m), 1), np.inf)
    best = np.argmin(sub, axis=1)
    best_cost = sub[np.arange(len(dem_m)), best]
    served = np.isfinite(best_cost)
    if mclp:
        served &= best_cost <= radius
    site_pos = np.where(served, sel[best] if len(sel) else -1, -1)
    dem_out = dem_m.copy()
    labels = sites.index.tolist()
    dem_out["site"] = pd.array([labels[p] if p >= 0 else None for p in site_pos], dtype="object")
    dem_out[unit] = np.where(np.isfinite(best_cost), best_cost, np.nan)
    reachable = np.isfinite(cost).any(axis=1)
    dem_out["reachable"] = reachable
    if mclp:
        dem_out["covered"] = served
    off = np.zeros(len(dem_m), dtype=bool)
    if network is not None:
        from geoservice.analysis.network import off_network

        snap_m, off = off_network(network, dem_m)
        dem_out["snap_m"] = snap_m
        dem_out["off_network"] = off
    sites_out = sites.copy()
    sites_out["selected"] = selected
    sites_out["demand_features"] = np.bincount(site_pos[served], minlength=len(sites))
    sites_out["demand_weight"] = np.bincount(
        site_pos[served], weights=weights[served], minlength=len(sites)
    )
    total = float(weights.sum())
    summary = {
        **status,
        "model": "mclp" if mclp else "p-median",
        "selected_new": int((selected & ~sites["existing"].to_numpy(dtype=bool)).sum()),
        "existing": int(sites["existing"].sum()),
        "demand_weight": total,
        "served_weight": float(weights[served].sum()),
        "served_share": float(weights[served].sum() / total) if total else None,
        "service_radius": radius,
        "cost": unit,
        "weighted_cost": float((weights[served] * best_cost[served]).sum()),
        "unreachable_features": int((~reachable).sum()),
        "unreachable_weight": float(weights[~reachable].sum()),
        "unreached_features": int((~served).sum()),
        "unreached_weight": float(weights[~served].sum()),
        "crs": str(dem_m.crs),
    }
    if network is not None:
        summary["off_network_features"] = int(off.sum())
    return SitingResult(sites=sites_out, demand=dem_out, summary=summary)
