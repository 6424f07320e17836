"""Refuse weight columns that cannot be what they claim to be (residents, capacities).

A 2SFCA run once took the village division codes (``150602001001``, text of
digits) as "population" and reported 301 billion people without access. A
weight column must therefore be numeric (a text column is never converted,
whatever its digits), without gaps or negative values, and a population must be
of a plausible size for the area it lives on:

    Σ population ≤ :data:`MAX_RESIDENTS_PER_KM2` × the demand's area in km²

where the area is that of the demand's convex hull grown by
:data:`AREA_MARGIN_M` (so that a few points, or one, still have an area). The
density bound is well above any city district on record (the densest hold some
tens of thousands per km²), so a real population never trips it, while a code,
an id or a population in the wrong unit does by orders of magnitude.

A refusal names the column and lists the demand's columns that would pass.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoservice.errors import InvalidParameter

MAX_RESIDENTS_PER_KM2 = 100_000.0
"""Density no real population reaches over a whole area (residents per km²)."""
AREA_MARGIN_M = 1_000.0
"""Margin around the demand's convex hull when its area bounds its population."""


def area_km2(frame: gpd.GeoDataFrame) -> float:
    """Return the area bounding ``frame``'s population: its hull grown by the margin (km²).

    ``frame`` is in a metric CRS.
    """
    hull = frame.geometry.union_all().convex_hull.buffer(AREA_MARGIN_M)
    return float(hull.area) / 1e6


def population_bound(frame: gpd.GeoDataFrame) -> float:
    """Return the largest total population :func:`check_population` accepts for ``frame``."""
    return MAX_RESIDENTS_PER_KM2 * area_km2(frame)


def check_population(frame: gpd.GeoDataFrame, column: str, *, input_name: str) -> np.ndarray:
    """Return a population column as float64, or a 400 naming it and what to pick instead.

    ``frame`` is in a metric CRS; ``input_name`` is the process input that named
    the column (``population_column``).
    """
    problem = _weight_problem(frame, column)
    bound = population_bound(frame)
    if problem is None:
        total = float(pd.to_numeric(frame[column]).sum())
        if total > bound:
            problem = (
                f"sums to {total:,.0f} residents, more than {bound:,.0f} "
                f"({MAX_RESIDENTS_PER_KM2:,.0f} per km² over the {area_km2(frame):,.0f} km² "
                "the demand covers): not a population"
            )
    if problem is not None:
        raise _refusal(frame, column, input_name, problem, bound)
    return np.asarray(frame[column], dtype="float64")


def check_capacity(frame: gpd.GeoDataFrame, column: str, *, input_name: str) -> np.ndarray:
    """Return a capacity column (seats, beds) as float64, or a 400 naming it."""
    problem = _weight_problem(frame, column)
    if problem is not None:
        raise _refusal(frame, column, input_name, problem, None)
    return np.asarray(frame[column], dtype="float64")


def _weight_problem(frame: pd.DataFrame, column: str) -> str | None:
    if column not in frame.columns or column == frame.geometry.name:
        return "is not a column of the layer"
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        kind = "true/false" if pd.api.types.is_bool_dtype(values) else "text (a code or a name?)"
        return f"is {kind}, not a number"
    numbers = values.astype("float64")
    if numbers.isna().any():
        return f"has {int(numbers.isna().sum())} missing value(s)"
    if not np.isfinite(numbers).all():
        return "has infinite values"
    if (numbers < 0).any():
        return f"has {int((numbers < 0).sum())} negative value(s)"
    return None


def plausible_columns(frame: gpd.GeoDataFrame, bound: float | None) -> list[str]:
    """Return the columns of ``frame`` that would pass as weights (under ``bound`` in total)."""
    found = []
    for name in frame.columns:
        if name == frame.geometry.name or _weight_problem(frame, name) is not None:
            continue
        if bound is None or float(frame[name].astype("float64").sum()) <= bound:
            found.append(str(name))
    return found


def _refusal(frame, column: str, input_name: str, problem: str, bound) -> InvalidParameter:
    choices = plausible_columns(frame, bound)
    hint = (
        f"numeric columns that would do: {choices}"
        if choices
        else "the layer has no numeric column of plausible counts: add one (e.g. population)"
    )
    return InvalidParameter(
        f"input '{input_name}': column {column!r} {problem}; {hint}",
        details={"input": input_name, "column": column, "numeric_columns": choices},
    )
