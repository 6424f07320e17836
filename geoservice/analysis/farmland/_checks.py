"""Nesting checks and version comparison of grids, for :mod:`.farmland` (private).

Everything here works on frames already in one metric CRS and is vectorised:
spatial pairs come from STRtree queries, and exact intersections are computed
only for the few pairs that can matter (cells not covered by their parent,
cells whose interiors meet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c


@dataclass(frozen=True)
class GridFrames:
    """Cells and parents with their codes as arrays, cells linked to their parent."""

    geoms: np.ndarray
    ids: np.ndarray
    codes: np.ndarray  # object, None where missing
    parent_codes: np.ndarray
    parent_geoms: np.ndarray
    parent_keys: np.ndarray
    parent_pos: np.ndarray  # position of each cell's declared parent, -1 if unknown
    crs: Any

    @classmethod
    def build(cls, cells, parents, code_col, parent_col, parent_code_col, id_col) -> GridFrames:
        """Link each cell to the parent its parent code names (first if repeated)."""
        parent_keys = _codes(parents[parent_code_col])
        first = pd.Series(np.arange(len(parents))).groupby(parent_keys, dropna=True).first()
        parent_codes = _codes(cells[parent_col])
        pos = pd.Series(parent_codes).map(first)
        return cls(
            geoms=np.asarray(cells.geometry.array),
            ids=c.object_array(c.index_values(cells, id_col)),
            codes=_codes(cells[code_col]),
            parent_codes=parent_codes,
            parent_geoms=np.asarray(parents.geometry.array),
            parent_keys=parent_keys,
            parent_pos=pos.fillna(-1).to_numpy(dtype=np.int64),
            crs=cells.crs,
        )


def _codes(series: pd.Series) -> np.ndarray:
    """Codes as strings, None for missing or blank values."""
    text = series.astype("object").where(series.notna(), None)
    return np.array(
        [None if v is None or str(v).strip() == "" else str(v) for v in text], dtype=object
    )


def problem(kind, feature_id, other_id, parent_code, area_m2, message=None) -> dict:
    """One row of a nesting report."""
    return {
        "problem": kind,
        "feature_id": _plain(feature_id),
        "other_id": _plain(other_id),
        "parent_code": parent_code,
        "area_m2": None if area_m2 is None else float(area_m2),
        "message": message or _MESSAGES[kind],
    }


_MESSAGES = {
    "missing_code": "the cell has no code",
    "duplicate_code": "another cell has the same code",
    "duplicate_parent_code": "two parents share this code",
    "unknown_parent": "the parent code names no parent",
    "code_not_hierarchical": "the code does not start with its parent's code",
    "outside_parent": "part of the cell lies outside its parent",
    "several_parents": "part of the cell lies in another parent",
    "overlap": "two cells overlap",
    "gap": "part of the parent is covered by none of its cells",
}


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def code_problems(grid: GridFrames, code_rule: str) -> list[dict]:
    """Missing, duplicated, orphaned and non-hierarchical codes."""
    out = []
    codes, ids = grid.codes, grid.ids
    missing = np.array([v is None for v in codes], dtype=bool)
    out += [
        problem("missing_code", ids[i], None, grid.parent_codes[i], None)
        for i in np.flatnonzero(missing)
    ]
    dup = pd.Series(codes).duplicated(keep=False).to_numpy() & ~missing
    out += [
        problem(
            "duplicate_code", ids[i], None, grid.parent_codes[i], None, f"code {codes[i]!r} repeats"
        )
        for i in np.flatnonzero(dup)
    ]
    pdup = pd.Series(grid.parent_keys).duplicated(keep=False).to_numpy()
    out += [
        problem("duplicate_parent_code", None, None, k, None)
        for k in sorted(set(grid.parent_keys[pdup]) - {None})
    ]
    orphan = grid.parent_pos < 0
    out += [
        problem(
            "unknown_parent",
            ids[i],
            None,
            grid.parent_codes[i],
            None,
            f"parent code {grid.parent_codes[i]!r} names no parent",
        )
        for i in np.flatnonzero(orphan)
    ]
    if code_rule != "none":
        for i in np.flatnonzero(~orphan & ~missing):
            parent = grid.parent_codes[i]
            heads = {
                "separator": (parent + "-",),
                "prefix": (parent.rstrip("0"),),
                "auto": (parent + "-", parent.rstrip("0")),
            }[code_rule]
            head = " or ".join(repr(h) for h in heads)
            if not codes[i].startswith(heads) or codes[i] == parent:
                out.append(
                    problem(
                        "code_not_hierarchical",
                        ids[i],
                        None,
                        parent,
                        None,
                        f"code {codes[i]!r} does not start with {head}",
                    )
                )
    return out


def parent_problems(grid: GridFrames, tol: float) -> list[dict]:
    """Cells sticking out of their parent, or reaching into another parent."""
    known = np.flatnonzero(grid.parent_pos >= 0)
    shapely.prepare(grid.parent_geoms)
    own = grid.parent_geoms[grid.parent_pos[known]]
    loose = known[~shapely.covers(own, grid.geoms[known])]
    inside = shapely.area(
        shapely.intersection(grid.geoms[loose], grid.parent_geoms[grid.parent_pos[loose]])
    )
    outside = shapely.area(grid.geoms[loose]) - inside
    out = [
        problem("outside_parent", grid.ids[i], None, grid.parent_codes[i], a)
        for i, a in zip(loose, outside, strict=True)
        if a > tol
    ]
    cell_i, par_j = shapely.STRtree(grid.parent_geoms).query(
        grid.geoms[known], predicate="intersects"
    )
    cell_i = known[cell_i]
    other = par_j != grid.parent_pos[cell_i]
    cell_i, par_j = cell_i[other], par_j[other]
    shared = shapely.area(shapely.intersection(grid.geoms[cell_i], grid.parent_geoms[par_j]))
    out += [
        problem(
            "several_parents",
            grid.ids[i],
            grid.parent_keys[j],
            grid.parent_codes[i],
            a,
            f"{a:.1f} m² of the cell lies in parent {grid.parent_keys[j]!r}",
        )
        for i, j, a in zip(cell_i, par_j, shared, strict=True)
        if a > tol
    ]
    return out


def overlaps(grid: GridFrames, tol: float) -> gpd.GeoDataFrame:
    """Areas shared by two cells (each pair once)."""
    i, j = shapely.STRtree(grid.geoms).query(grid.geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inner = ~shapely.touches(grid.geoms[i], grid.geoms[j])
    i, j = i[inner], j[inner]
    shared = shapely.intersection(grid.geoms[i], grid.geoms[j])
    area = shapely.area(shared)
    big = area > tol
    return gpd.GeoDataFrame(
        {
            "feature_id": grid.ids[i[big]],
            "other_id": grid.ids[j[big]],
            "area_m2": area[big],
        },
        geometry=list(shared[big]),
        crs=grid.crs,
    )


def gaps(grid: GridFrames, tol: float, declared: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Parts of each parent that none of its cells covers (a parent without cells is all gap).

    ``declared`` areas (parts of parents deliberately without cells) are not gaps.
    """
    declared = np.zeros(0, dtype=object) if declared is None else declared
    by_parent = pd.Series(np.arange(len(grid.geoms)))[grid.parent_pos >= 0].groupby(
        grid.parent_pos[grid.parent_pos >= 0]
    )
    members = {int(k): v.to_numpy() for k, v in by_parent}
    rows = []
    for pos, parent in enumerate(grid.parent_geoms):
        cells = grid.geoms[members.get(pos, np.zeros(0, dtype=int))]
        cells = np.concatenate([cells, declared[shapely.intersects(parent, declared)]])
        hole = shapely.difference(parent, shapely.union_all(cells)) if len(cells) else parent
        for part in shapely.get_parts(hole):
            if shapely.get_type_id(part) in (3, 6) and part.area > tol:
                rows.append(
                    {"parent_code": grid.parent_keys[pos], "area_m2": part.area, "geometry": part}
                )
    if not rows:
        return gpd.GeoDataFrame({"parent_code": [], "area_m2": []}, geometry=[], crs=grid.crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs)


def compare(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, code_col: str, tol: float):
    """Cells matched on code: added, removed, changed (geometry or attributes), unchanged."""
    o = old.set_index(code_col, drop=False)
    n = new.set_index(code_col, drop=False)
    codes = o.index.union(n.index, sort=False)
    in_old, in_new = codes.isin(o.index), codes.isin(n.index)
    both = codes[in_old & in_new]
    g_old = np.asarray(o.geometry.loc[both].array)
    g_new = np.asarray(n.geometry.loc[both].array)
    moved = shapely.area(shapely.symmetric_difference(g_old, g_new))
    attrs = [a for a in o.columns.intersection(n.columns) if a not in (o.geometry.name, code_col)]
    diff_attrs = _changed_attributes(o.loc[both, attrs], n.loc[both, attrs])
    change = np.where(in_old & in_new, "unchanged", np.where(in_new, "added", "removed")).astype(
        object
    )
    pos_both = np.flatnonzero(in_old & in_new)
    changed = (moved > tol) | (diff_attrs != "")
    change[pos_both[changed]] = "changed"
    area_old = pd.Series(shapely.area(np.asarray(o.geometry.array)), index=o.index)
    area_new = pd.Series(shapely.area(np.asarray(n.geometry.array)), index=n.index)
    geometry = [n.geometry.loc[k] if k in n.index else o.geometry.loc[k] for k in codes]
    out = gpd.GeoDataFrame(
        {
            "code": codes.astype(str),
            "change": change,
            "area_old_m2": area_old.reindex(codes).to_numpy(),
            "area_new_m2": area_new.reindex(codes).to_numpy(),
            "changed_area_m2": pd.Series(moved, index=both).reindex(codes).to_numpy(),
            "changed_attributes": pd.Series(diff_attrs, index=both)
            .reindex(codes)
            .fillna("")
            .to_numpy(),
        },
        geometry=geometry,
        crs=new.crs,
    )
    return out


def _changed_attributes(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Comma-separated names of the attributes that differ, per row ('' if none)."""
    names = np.full(len(a), "", dtype=object)
    for col in a.columns:
        x, y = a[col].astype("object"), b[col].astype("object")
        differ = ~((x == y) | (x.isna() & y.isna())).to_numpy()
        names[differ] = [f"{s},{col}" if s else col for s in names[differ]]
    return names
