"""Check that a grid nests in its parent units (the scheme's rules, as a report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoservice.analysis import _common as c
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.analysis.farmland import _checks as checks
from geoservice.errors import InvalidParameter

PROBLEM_COLUMNS = ("problem", "feature_id", "other_id", "parent_code", "area_m2", "message")
"""Columns of :attr:`NestingReport.problems`."""
FINDING_COLUMNS = ("finding", "codes", "names", "area_m2", "message")
"""Columns of :attr:`NestingReport.findings`."""
NOT_IN_SCHEME = "not_in_scheme"
"""Finding: parts of the parents the scheme gives no cells, named, to be confirmed."""


@dataclass(frozen=True)
class NestingReport:
    """What is wrong with how a grid nests in its parent units.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem: ``problem`` (``missing_code``, ``duplicate_code``,
        ``duplicate_parent_code``, ``unknown_parent``, ``code_not_hierarchical``,
        ``outside_parent``, ``several_parents``, ``overlap`` or ``gap``),
        ``feature_id`` (the cell; None for a gap), ``other_id`` (the other cell
        of an overlap, or the other parent), ``parent_code``, ``area_m2`` (of
        the offending piece) and a ``message``.
    gaps : geopandas.GeoDataFrame
        Parts of parents covered by none of their cells (``parent_code``, ``area_m2``).
    overlaps : geopandas.GeoDataFrame
        Areas shared by two cells (``feature_id``, ``other_id``, ``area_m2``).
    summary : dict
        ``ok``, numbers of cells and parents, problems by kind, the findings'
        messages, the parameters.
    findings : pandas.DataFrame
        Named findings that are not geometric errors but need a person to
        confirm them: ``not_in_scheme`` rows (``codes``, ``names``,
        ``area_m2``, ``message``), one per ``scheme_note`` of the
        ``outside_scheme`` areas. They do not make ``ok`` false.
    """

    problems: pd.DataFrame
    gaps: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    summary: dict[str, Any]
    findings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FINDING_COLUMNS))
    )


def check_grid_nesting(
    cells: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    parent_column: str = "parent_code",
    parent_code_column: str = "code",
    id_column: str | None = None,
    code_rule: Literal["separator", "prefix", "auto", "none"] = "separator",
    tolerance_m2: float = 1.0,
    crs: Any = None,
    outside_scheme: gpd.GeoDataFrame | None = None,
) -> NestingReport:
    """Check that a grid nests in its parents: one parent each, no gaps, no overlaps.

    Checks that every cell has a code and codes are unique; that its parent
    code names a parent; that codes are hierarchical (``separator``: the cell
    code is ``<parent code>-...``, as :func:`generate_farmland_grid` writes
    them; ``prefix``: it starts with the parent code stripped of trailing
    zeros, as division codes do; ``auto``: either; ``none``: not checked); that each cell lies in
    its parent and in no other; that no two cells overlap; and that the cells of
    each parent cover it (a parent without cells is one gap). Pieces smaller
    than ``tolerance_m2`` are rounding, not problems.

    Parameters
    ----------
    cells, parents : geopandas.GeoDataFrame
        Polygons, in one CRS.
    code_column, parent_column : str
        Code and parent-code columns of ``cells``.
    parent_code_column : str
        Code column of ``parents``.
    id_column : str, optional
        Column of ``cells`` reported as ``feature_id`` (the index if unset).
    code_rule : {"separator", "prefix", "auto", "none"}
    tolerance_m2 : float, default 1.0
    crs : optional
        Metric CRS in which areas are measured; the parents'
        (``analysis.crs.metric_crs_of``) if None.
    outside_scheme : geopandas.GeoDataFrame, optional
        Parts of the parents that deliberately have no cells (streets a scheme
        does not list), with ``code`` and optionally ``name_zh`` and
        ``scheme_note`` (e.g. ``"urban streets not in 附件2"``). They are not
        gaps; each note becomes one ``not_in_scheme`` finding worded
        ``"<n> <note>, <area> km², no farmland expected: confirm"``.

    Returns
    -------
    NestingReport

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> parent = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 1000, 500)],
    ...                           crs="EPSG:4546")
    >>> from geoservice.analysis.farmland import generate_farmland_grid
    >>> cells = generate_farmland_grid(parent, cell_m=500)
    >>> check_grid_nesting(cells.iloc[:1], parent).summary["problems"]
    {'gap': 1}
    """
    for frame, name in ((cells, "cells"), (parents, "parents")):
        c.check_frame(frame, name)
        c.require_kind(frame, name, {"polygon"})
    c.require_columns(cells, "cells", code_column, parent_column, id_column)
    c.require_columns(parents, "parents", parent_code_column)
    if code_rule not in ("separator", "prefix", "auto", "none"):
        raise InvalidParameter(
            f"code_rule must be separator, prefix, auto or none, not {code_rule!r}"
        )
    tol = c.positive(tolerance_m2, "tolerance_m2", allow_zero=True)
    ensure_same_crs(cells=cells, parents=parents)
    crs = analysis_crs(crs, None, parents, cells)
    grid = checks.GridFrames.build(
        to_metric(cells, crs),
        to_metric(parents, crs),
        code_column,
        parent_column,
        parent_code_column,
        id_column,
    )
    declared = None if outside_scheme is None else to_metric(outside_scheme, crs)
    overlaps = checks.overlaps(grid, tol)
    gaps = checks.gaps(
        grid, tol, None if declared is None else np.asarray(declared.geometry.values)
    )
    findings = _scheme_findings(declared)
    found = [
        *checks.code_problems(grid, code_rule),
        *checks.parent_problems(grid, tol),
        *(
            checks.problem("overlap", r.feature_id, r.other_id, None, r.area_m2)
            for r in overlaps.itertuples()
        ),
        *(checks.problem("gap", None, None, r.parent_code, r.area_m2) for r in gaps.itertuples()),
    ]
    problems = pd.DataFrame(found, columns=list(PROBLEM_COLUMNS))
    counts = problems["problem"].value_counts(sort=False).to_dict()
    summary = {
        "ok": problems.empty,
        "cells": len(cells),
        "parents": len(parents),
        "problems": {str(k): int(v) for k, v in counts.items()},
        "gap_area_m2": float(gaps["area_m2"].sum()),
        "overlap_area_m2": float(overlaps["area_m2"].sum()),
        "findings": findings["message"].tolist(),
        "code_rule": code_rule,
        "tolerance_m2": tol,
        "crs": crs,
    }
    return NestingReport(
        problems=problems, gaps=gaps, overlaps=overlaps, summary=summary, findings=findings
    )


def _scheme_findings(declared: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """One ``not_in_scheme`` finding per scheme note, with its units and area."""
    if declared is None or declared.empty:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    frame = pd.DataFrame(
        {
            "code": declared["code"].astype(str) if "code" in declared else declared.index,
            "name": _short_names(declared),
            "note": declared.get("scheme_note", pd.Series(None, index=declared.index))
            .fillna("units not in the scheme")
            .astype(str),
            "area_m2": declared.geometry.area,
        }
    )
    rows = []
    for note, group in frame.groupby("note", sort=True):
        km2 = group["area_m2"].sum() / 1e6
        names = ", ".join(group["name"])
        rows.append(
            {
                "finding": NOT_IN_SCHEME,
                "codes": ",".join(group["code"]),
                "names": names,
                "area_m2": float(group["area_m2"].sum()),
                "message": f"{len(group)} {note}, {km2:.1f} km², no farmland expected: "
                f"confirm ({names})",
            }
        )
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def _short_names(frame: gpd.GeoDataFrame) -> pd.Series:
    """Names without their parenthesised remarks (``交通街道（…）`` → ``交通街道``)."""
    if "name_zh" not in frame:
        return frame["code"].astype(str) if "code" in frame else pd.Series(frame.index.astype(str))
    names = frame["name_zh"].astype(str).str.split("（", regex=False).str[0]
    return names.str.split(" (", regex=False).str[0]


def parents_at_cell_level(
    cells: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    parent_column: str = "parent_code",
    parent_code_column: str = "code",
    level_column: str = "level",
) -> tuple[gpd.GeoDataFrame, Any]:
    """The parents of the level the cells name as their parents.

    A units layer often holds several nested levels (district, towns, ...); checking
    cells against all of them reports every cell as overlapping the district. When
    ``parents`` has a ``level_column`` and the parent codes of the cells all fall in
    one level, every parent of that level is kept (those without cells too, so
    their gaps are found) and the level is returned; otherwise the parents are
    returned unchanged with level None.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"code": ["D", "T"], "level": [1, 2]},
    ...                          geometry=[box(0, 0, 2, 2), box(0, 0, 1, 1)], crs=4546)
    >>> cells = gpd.GeoDataFrame({"parent_code": ["T"]}, geometry=[box(0, 0, 1, 1)],
    ...                          crs=4546)
    >>> chosen, level = parents_at_cell_level(cells, units)
    >>> chosen["code"].tolist(), int(level)
    (['T'], 2)
    """
    needed = {level_column, parent_code_column}
    if not needed <= set(parents.columns) or parent_column not in cells.columns:
        return parents, None
    levels = parents[level_column]
    if levels.nunique(dropna=True) < 2:
        return parents, None
    named = parents[parents[parent_code_column].isin(cells[parent_column].dropna().unique())]
    found = named[level_column].dropna().unique()
    if len(found) != 1:
        return parents, None
    return parents[levels == found[0]], found[0]
