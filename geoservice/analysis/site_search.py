"""Site search: which idle sites meet an investor's constraints, and by how much.

The investment-promotion office asks questions like "idle sites of at least
5 ha within 10 km of the equipment-manufacturing base and 2 km of a logistics
park". :func:`site_search` measures every candidate site against every
constraint (area, use, status, straight-line distance or network travel time to
the features of any layer), says for each whether it is met and with what
margin, and ranks the sites: those meeting every constraint first, then by how
many they meet, then by their mean relative margin. A site failing a
constraint is kept and ranked, not dropped, so the office sees how near a
"no" is.

Distances are measured in a metric CRS between the site's geometry (a parcel's
edge, 0 inside it) and the nearest target feature. Travel times follow the
reach model of :mod:`geoservice.analysis.network` from the site's
representative point; a site or target off the network reaches nothing, and
the result says so rather than inventing a time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c
from geoservice.analysis.crs import to_metric
from geoservice.errors import InvalidParameter

CONSTRAINT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
"""Names of proximity constraints become column prefixes of the result."""
RESERVED_NAMES = frozenset({"area", "use", "status"})
M2_PER_HA = 10_000.0


@dataclass(frozen=True)
class Proximity:
    """A site must lie within a distance or a travel time of a layer's features.

    Parameters
    ----------
    name : str
        Short name (lower case, digits, ``_``), the prefix of the result columns.
    targets : geopandas.GeoDataFrame
        The features to be near (any geometry, with a CRS).
    max_distance_m : float, optional
        Straight-line limit in metres.
    max_minutes : float, optional
        Travel-time limit over the network (exactly one of the two limits).
    label : str, optional
        How the sheet and the summary call the targets (default: ``name``).
    name_column : str, optional
        Column of ``targets`` naming a feature (the nearest is reported).
    """

    name: str
    targets: gpd.GeoDataFrame
    max_distance_m: float | None = None
    max_minutes: float | None = None
    label: str | None = None
    name_column: str | None = "name_zh"

    def __post_init__(self) -> None:
        if not CONSTRAINT_NAME.match(self.name) or self.name in RESERVED_NAMES:
            raise InvalidParameter(
                f"constraint name {self.name!r} must be 1–31 lower-case letters, digits or "
                f"'_', starting with a letter, and not one of {sorted(RESERVED_NAMES)}"
            )
        if (self.max_distance_m is None) == (self.max_minutes is None):
            raise InvalidParameter(
                f"constraint {self.name!r}: give exactly one of max_distance_m and max_minutes"
            )
        limit = self.max_distance_m if self.max_minutes is None else self.max_minutes
        c.positive(limit, f"constraint {self.name!r} limit")
        c.check_frame(self.targets, f"constraint {self.name!r} targets")
        if self.targets.empty:
            raise InvalidParameter(f"constraint {self.name!r}: the target layer has no features")

    @property
    def by_time(self) -> bool:
        """Tell whether the limit is a travel time (else a distance)."""
        return self.max_minutes is not None

    @property
    def limit(self) -> float:
        """Return the limit (metres or minutes)."""
        return float(self.max_minutes if self.by_time else self.max_distance_m)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SiteSearchResult:
    """Ranked sites and a summary.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Every candidate in the metric CRS, best first: ``rank`` (1 = best),
        ``meets_all``, ``n_met``, ``n_constraints``, ``score`` (mean relative
        margin, clipped to [-1, 1]), ``area_ha`` and ``area_basis``; per
        proximity constraint ``<name>_value`` (m or min), ``<name>_limit``,
        ``<name>_met``, ``<name>_margin`` (limit − value: positive to spare)
        and ``<name>_nearest``; ``area_met``/``area_margin_ha``, ``use_met``,
        ``status_met`` when those constraints are given; ``constraints``, one
        line per constraint saying whether and by how much it is met.
    summary : dict
        Counts and the constraints as given.
    """

    sites: gpd.GeoDataFrame
    summary: dict[str, Any]


def site_search(
    sites: gpd.GeoDataFrame,
    *,
    min_area_ha: float | None = None,
    max_area_ha: float | None = None,
    uses: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    proximity: Sequence[Proximity] = (),
    network: Any = None,
    area_col: str = "area_ha",
    use_col: str = "use",
    status_col: str = "status",
    crs: Any = None,
    max_snap_m: float | None = 500.0,
) -> SiteSearchResult:
    """Measure candidate sites against constraints and rank them.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Candidate sites (polygons or points) with a CRS.
    min_area_ha, max_area_ha : float, optional
        Area bounds. The area is ``area_col`` where given, else the polygon's
        area in ``crs``; a point without a recorded area fails (area unknown).
    uses, statuses : sequence of str, optional
        Accepted values of ``use_col`` / ``status_col``.
    proximity : sequence of Proximity
        Distance or travel-time constraints to other layers.
    network : RoadNetwork, optional
        Needed by constraints with ``max_minutes``.
    crs : optional
        Metric CRS (the sites' Gauss-Krüger zone if None).
    max_snap_m : float or None, default 500
        Farther from a road node, a site or target is off the network.

    Returns
    -------
    SiteSearchResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> sites = gpd.GeoDataFrame(
    ...     {"code": ["a", "b"], "use": ["industrial", "industrial"], "status": ["available"] * 2},
    ...     geometry=[box(500000, 4400000, 500300, 4400200), box(509000, 4400000, 509100, 4400100)],
    ...     crs=4546,
    ... )
    >>> park = gpd.GeoDataFrame({"name_zh": ["P"]}, geometry=[Point(501000, 4400100)], crs=4546)
    >>> result = site_search(sites, min_area_ha=5, proximity=[Proximity("park", park, 2000)],
    ...                      area_col="none")
    >>> result.sites[["code", "rank", "meets_all", "area_ha", "park_value"]].values.tolist()
    [['a', 1, True, 6.0, 700.0], ['b', 2, False, 1.0, 8000.0]]
    """
    _validate(sites, min_area_ha, max_area_ha, uses, statuses, proximity, network,
              use_col, status_col)  # fmt: skip
    out = to_metric(sites, crs).copy()
    area, basis = _areas(out, area_col)
    out["area_ha"], out["area_basis"] = area, basis
    checks: list[tuple[np.ndarray, np.ndarray]] = []  # (met, relative margin)
    lines: list[list[str]] = [[] for _ in range(len(out))]
    if min_area_ha is not None or max_area_ha is not None:
        checks.append(_check_area(out, lines, min_area_ha, max_area_ha))
    for column, accepted, label in ((use_col, uses, "use"), (status_col, statuses, "status")):
        if accepted is not None:
            checks.append(_check_value(out, lines, column, accepted, label))
    for constraint in proximity:
        checks.append(_check_proximity(out, lines, constraint, network, max_snap_m, crs))
    ranked = _rank(out, checks, lines)
    summary = {
        "sites": len(ranked),
        "meeting_all": int(ranked["meets_all"].sum()),
        "constraints": _describe(min_area_ha, max_area_ha, uses, statuses, proximity),
        "crs": str(ranked.crs),
    }
    return SiteSearchResult(ranked, summary)


def _validate(sites, min_area_ha, max_area_ha, uses, statuses, proximity, network,
              use_col, status_col) -> None:  # fmt: skip
    c.check_frame(sites, "sites")
    if sites.empty:
        raise InvalidParameter("sites: the layer has no features to search")
    names = [p.name for p in proximity]
    if len(set(names)) != len(names):
        raise InvalidParameter(f"constraint names must differ: {names}")
    if any(p.by_time for p in proximity) and network is None:
        raise InvalidParameter("a travel-time constraint (max_minutes) needs a road network")
    for bound, label in ((min_area_ha, "min_area_ha"), (max_area_ha, "max_area_ha")):
        if bound is not None:
            c.positive(bound, label, allow_zero=True)
    if min_area_ha is not None and max_area_ha is not None and min_area_ha > max_area_ha:
        raise InvalidParameter(f"min_area_ha {min_area_ha} exceeds max_area_ha {max_area_ha}")
    if uses is not None:
        c.require_columns(sites, "sites", use_col)
    if statuses is not None:
        c.require_columns(sites, "sites", status_col)


Check = tuple[np.ndarray, np.ndarray]
"""(met, relative margin) of one constraint for every site."""


def _check_area(out, lines, min_ha, max_ha) -> Check:
    area = out["area_ha"].to_numpy(dtype=float)
    met, margin = _area_check(area, min_ha, max_ha)
    out["area_met"], out["area_margin_ha"] = met, margin
    for i, line in enumerate(_area_lines(area, margin, met, min_ha, max_ha)):
        lines[i].append(line)
    ref = min_ha if min_ha else (max_ha or 1.0)
    return met, np.where(np.isfinite(margin), margin / ref, -1.0)


def _check_value(out, lines, column, accepted, label) -> Check:
    values = out[column].astype("string").fillna("")
    met = values.isin(list(accepted)).to_numpy()
    out[f"{label}_met"] = met
    allowed = "/".join(accepted)
    for i, value in enumerate(values):
        lines[i].append(f"{label} {value or '—'} {'∈' if met[i] else '∉'} {{{allowed}}}")
    return met, np.where(met, 0.0, -1.0)


def _check_proximity(out, lines, constraint: Proximity, network, max_snap_m, crs) -> Check:
    value, nearest = _measure(out, constraint, network, max_snap_m, crs)
    met = np.isfinite(value) & (value <= constraint.limit)
    margin = constraint.limit - value
    p = constraint.name
    out[f"{p}_value"] = np.where(np.isfinite(value), np.round(value, 1), np.nan)
    out[f"{p}_limit"] = constraint.limit
    out[f"{p}_met"] = met
    out[f"{p}_margin"] = np.where(np.isfinite(margin), np.round(margin, 1), np.nan)
    out[f"{p}_nearest"] = nearest
    for i in range(len(out)):
        lines[i].append(_proximity_line(constraint, value[i], nearest[i]))
    return met, np.where(np.isfinite(margin), margin / constraint.limit, -1.0)


def _rank(out: gpd.GeoDataFrame, checks: list[Check], lines) -> gpd.GeoDataFrame:
    """Best first: meeting everything, then meeting the most, then the widest margins."""
    n = len(checks)
    met = np.column_stack([m for m, _ in checks]) if n else np.ones((len(out), 0), bool)
    rel = np.column_stack([r for _, r in checks]) if n else np.zeros((len(out), 0))
    out["n_constraints"] = n
    out["n_met"] = met.sum(axis=1).astype(int)
    out["meets_all"] = out["n_met"] == n
    out["score"] = np.round(np.clip(rel, -1.0, 1.0).mean(axis=1), 4) if n else 0.0
    out["constraints"] = ["; ".join(parts) for parts in lines]
    ranked = out.sort_values(
        ["meets_all", "n_met", "score"], ascending=[False, False, False], kind="stable"
    )
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    return ranked.reset_index(drop=True)


def _areas(sites: gpd.GeoDataFrame, area_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Recorded area where present, else the polygon area; NaN for a point without one."""
    measured = np.asarray(shapely.area(sites.geometry.values), dtype=float) / M2_PER_HA
    is_area = np.asarray(sites.geometry.geom_type.isin(["Polygon", "MultiPolygon"]))
    recorded = (
        pd.to_numeric(sites[area_col], errors="coerce").to_numpy(dtype=float)
        if area_col in sites.columns
        else np.full(len(sites), np.nan)
    )
    use_recorded = np.isfinite(recorded)
    area = np.where(use_recorded, recorded, np.where(is_area, measured, np.nan))
    basis = np.where(use_recorded, "recorded", np.where(is_area, "measured", "unknown"))
    return np.round(area, 4), basis


def _area_check(area, min_ha, max_ha) -> tuple[np.ndarray, np.ndarray]:
    known = np.isfinite(area)
    margins = []
    if min_ha is not None:
        margins.append(area - min_ha)
    if max_ha is not None:
        margins.append(max_ha - area)
    margin = np.minimum.reduce(margins) if len(margins) > 1 else margins[0]
    met = known & (margin >= 0)
    return met, np.where(known, np.round(margin, 4), np.nan)


def _area_lines(area, margin, met, min_ha, max_ha) -> list[str]:
    bounds = []
    if min_ha is not None:
        bounds.append(f"≥ {min_ha:g} ha")
    if max_ha is not None:
        bounds.append(f"≤ {max_ha:g} ha")
    rule = " and ".join(bounds)
    out = []
    for a, m, ok in zip(area, margin, met, strict=True):
        if not np.isfinite(a):
            out.append(f"area unknown (needs {rule}): not met")
        else:
            word = f"met, {m:.2f} ha to spare" if ok else f"not met, short by {-m:.2f} ha"
            out.append(f"area {a:.2f} ha {rule}: {word}")
    return out


def _measure(
    sites: gpd.GeoDataFrame, constraint: Proximity, network, max_snap_m, crs
) -> tuple[np.ndarray, list[str]]:
    """Distance (m) or minutes from each site to its nearest target, and that target's name."""
    targets = to_metric(constraint.targets, sites.crs if crs is None else crs)
    labels = _target_names(targets, constraint.name_column)
    if not constraint.by_time:
        tree = shapely.STRtree(targets.geometry.values)
        (site_pos, target_pos), dist = tree.query_nearest(
            sites.geometry.values, return_distance=True, all_matches=False
        )
        value = np.full(len(sites), np.inf)
        nearest = [""] * len(sites)
        value[site_pos] = dist
        for s, t in zip(site_pos, target_pos, strict=True):
            nearest[s] = labels[t]
        return value, nearest
    from geoservice.analysis.network import travel_time_matrix

    origins = sites.reset_index(drop=True)
    dests = targets.reset_index(drop=True)
    times = travel_time_matrix(network, origins, dests, max_snap_m=max_snap_m)
    value = np.full(len(sites), np.inf)
    nearest = [""] * len(sites)
    if len(times):
        best = times.sort_values("minutes").drop_duplicates("origin")
        for origin, dest, minutes in best[["origin", "destination", "minutes"]].itertuples(
            index=False
        ):
            value[int(origin)] = float(minutes)
            nearest[int(origin)] = labels[int(dest)]
    return value, nearest


def _target_names(targets: gpd.GeoDataFrame, column: str | None) -> list[str]:
    if column and column in targets.columns:
        return [str(v) if pd.notna(v) else "" for v in targets[column]]
    return [str(i) for i in targets.index]


def _proximity_line(constraint: Proximity, value: float, nearest: str) -> str:
    label = constraint.label or constraint.name
    if not np.isfinite(value):
        how = "by road" if constraint.by_time else ""
        return f"{label}: unreachable {how}(off the network or no route): not met".replace(
            "  ", " "
        )
    if constraint.by_time:
        measured, limit, unit = f"{value:.1f} min", f"{constraint.limit:g} min", "min"
        spare = constraint.limit - value
        amount = f"{abs(spare):.1f} {unit}"
    else:
        measured = f"{value / 1000:.2f} km"
        limit = f"{constraint.limit / 1000:g} km"
        spare = constraint.limit - value
        amount = f"{abs(spare) / 1000:.2f} km"
    word = f"met, {amount} to spare" if spare >= 0 else f"not met, {amount} too far"
    to = f" ({nearest})" if nearest else ""
    return f"{label}{to} {measured} ≤ {limit}: {word}"


def _describe(min_area_ha, max_area_ha, uses, statuses, proximity) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if min_area_ha is not None or max_area_ha is not None:
        out.append({"kind": "area", "min_ha": min_area_ha, "max_ha": max_area_ha})
    if uses is not None:
        out.append({"kind": "use", "accepted": list(uses)})
    if statuses is not None:
        out.append({"kind": "status", "accepted": list(statuses)})
    for p in proximity:
        unit = "minutes" if p.by_time else "distance_m"
        out.append({"kind": "proximity", "name": p.name, "label": p.label or p.name,
                    unit: p.limit, "targets": len(p.targets)})  # fmt: skip
    return out
