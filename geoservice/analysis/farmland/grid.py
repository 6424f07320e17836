"""Farmland-protection grids: basic-grid cells nested in administrative units.

Dongsheng's scheme (东政办发〔2023〕61号) nests grids district → town/street →
village/community. When village/community outlines are given, they are the
basic grid, cut by the units. Village boundaries are not public, so otherwise
(and wherever the outlines leave part of a unit uncovered) a regular lattice of
square cells stands in, labelled ``basis = lattice_fallback``: each cell belongs
to exactly one unit, and cells crossing a unit border are split between the
units. Cells under a minimum area are merged into a neighbour of the same unit.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis.crs import analysis_crs
from geoservice.analysis.farmland._cut import polygonal_array
from geoservice.analysis.farmland.merge import MIN_AREA_SHARE, merge_small_cells
from geoservice.analysis.farmland.provenance import (
    PROVENANCE_COLUMNS,
    cell_provenance,
    merged_quality,
)
from geoservice.analysis.farmland.villages import cut_villages

CODE_DIGITS = 6
"""Zero-padded width of the row and column parts of a cell code."""

GRID_COLUMNS = (
    "code",
    "parent_code",
    "row",
    "col",
    "cell_m",
    "area_m2",
    "is_clipped",
    "basis",
    "village_code",
    "merged_from",
)
VILLAGE_BASIS = "village_boundary"
"""``basis`` of a cell cut from an uploaded village/community outline."""
LATTICE_BASIS = "lattice_fallback"
"""``basis`` of a lattice cell standing in for a village territory nobody has drawn."""


def generate_farmland_grid(
    units: gpd.GeoDataFrame,
    *,
    cell_m: float = 500.0,
    code_column: str = "code",
    crs: Any = None,
    min_area_m2: float | None = None,
    villages: gpd.GeoDataFrame | None = None,
    village_code_column: str = "code",
) -> gpd.GeoDataFrame:
    """Cut units into basic-grid cells: village outlines if given, else a square lattice.

    The lattice is anchored at the CRS origin, not at the data: cell (row,
    col) is the square ``[col·cell_m, (col+1)·cell_m) × [row·cell_m,
    (row+1)·cell_m)``. So a cell code names the same ground square in every
    build with the same ``cell_m`` and CRS, whichever units are passed, and
    rows count northwards, columns eastwards.

    Everything is vectorised: the lattice is built with ``shapely.box`` over
    arrays, paired with units through an STRtree queried with the prepared
    unit polygons, and only cells that cross a
    unit border are intersected (about 100 000 cells take a few seconds).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Polygons (any CRS, which must be set) with a unique, non-null
        ``code_column``. Units should not overlap; if they do, a cell is cut
        for each unit it falls in. Their ``geometry_quality`` and ``source``,
        where given, go into the cells'.
    cell_m : float
        Cell edge in metres of ``crs``.
    code_column : str
        Unit code column; cell codes are ``<unit code>-<row>-<col>``, with
        row and column zero-padded to six digits.
    crs : optional
        Projected CRS (metres) in which the lattice is laid out and areas are
        measured; the units' CGCS2000 Gauss-Krüger zone
        (``analysis.crs.metric_crs_of``) when None.
    min_area_m2 : float, optional
        Cells (and detached cell parts) smaller than this are merged into the
        neighbouring cell of the same unit with the longest shared border
        (:func:`~.merge.merge_small_cells`); default 10 % of a whole cell
        (``0.1 · cell_m²``, 2.5 ha at 500 m); 0 keeps every piece.
    villages : geopandas.GeoDataFrame, optional
        Village/community outlines (polygons, any CRS) with a unique
        ``village_code_column``. Each becomes a cell per unit it lies in, coded
        ``<unit code>-<village code>``; the lattice fills only what they leave
        uncovered. Their ``geometry_quality`` and ``source`` go into the cells
        cut from them.
    village_code_column : str
        Code column of ``villages``.

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``, sorted by ``parent_code, code``, with columns
        ``code, parent_code, row, col, cell_m, area_m2, is_clipped, basis,
        village_code, merged_from, source, geometry_quality`` and polygon
        geometry. ``is_clipped`` marks cells cut by a unit border or grown by a
        merge; ``basis`` is ``village_boundary`` or ``lattice_fallback``;
        ``row``/``col`` are null for village cells; ``merged_from`` lists the
        codes merged into a cell. ``geometry_quality`` is the least trustworthy
        of the unit's, the village's (lattice cells: ``approximate``) and the
        merged pieces', null when an input does not say; ``source`` names the
        unit and village with their quality and ``source``
        (:mod:`~.provenance`).

    Raises
    ------
    ValueError
        If ``cell_m`` is not positive, ``units`` has no CRS, ``crs`` is not
        projected, or the unit codes are missing or duplicated.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["A"]}, geometry=[shapely.box(0, 0, 1000, 500)], crs="EPSG:4546"
    ... )
    >>> generate_farmland_grid(units, cell_m=500)["code"].tolist()
    ['A-000000-000000', 'A-000000-000001']
    """
    metric = _check_units(units, cell_m=cell_m, code_column=code_column, crs=crs)
    min_area = MIN_AREA_SHARE * cell_m**2 if min_area_m2 is None else float(min_area_m2)
    if not min_area >= 0:
        raise ValueError(f"min_area_m2 must be >= 0, got {min_area_m2!r}")
    parts = []
    to_fill = metric[[code_column, "geometry"]]
    if villages is not None:
        if villages.crs is None:
            raise ValueError("villages has no CRS; set it before cutting")
        if village_code_column not in villages.columns:
            raise ValueError(f"villages have no {village_code_column!r} column")
        pieces, to_fill = cut_villages(
            metric,
            villages.to_crs(metric.crs),
            code_column=code_column,
            village_code_column=village_code_column,
        )
        parts.append(_village_frame(pieces, cell_m))
    if len(to_fill):
        parts.append(_lattice_cells(to_fill, cell_m, code_column))
    grid = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    # Merging looks at cells in code order, so a unit's cells merge alike whichever
    # other units are cut in the same call (the Dask path cuts groups of units).
    grid = gpd.GeoDataFrame(grid, crs=metric.crs).sort_values(
        ["parent_code", "code"], ignore_index=True
    )
    cut = cell_provenance(
        grid,
        metric,
        villages,
        code_column=code_column,
        village_code_column=village_code_column,
        cell_m=cell_m,
    )
    grid = merged_quality(merge_small_cells(cut, min_area_m2=min_area), cut)
    grid = grid.sort_values(["parent_code", "code"], ignore_index=True)
    return grid[[*GRID_COLUMNS, *PROVENANCE_COLUMNS, "geometry"]]


def _village_frame(pieces: gpd.GeoDataFrame, cell_m: float) -> gpd.GeoDataFrame:
    return pieces.assign(
        row=pd.array([None] * len(pieces), dtype="Int64"),
        col=pd.array([None] * len(pieces), dtype="Int64"),
        cell_m=float(cell_m),
        area_m2=shapely.area(np.asarray(pieces.geometry.values)),
        is_clipped=False,
        basis=VILLAGE_BASIS,
        merged_from=None,
    )


def _lattice_cells(metric: gpd.GeoDataFrame, cell_m: float, code_column: str) -> gpd.GeoDataFrame:
    """Cut ``metric`` (unit code and polygon) by the lattice anchored at the CRS origin."""
    boxes, rows, cols = _lattice(metric.total_bounds, cell_m)
    unit_geoms = np.asarray(metric.geometry.values)
    shapely.prepare(unit_geoms)
    # The tree holds the many boxes and is queried with the few units, so the
    # predicate runs on prepared unit polygons (much faster than the reverse).
    unit_idx, cell_idx = shapely.STRtree(boxes).query(unit_geoms, predicate="intersects")
    cells = boxes[cell_idx]
    inside = shapely.contains(unit_geoms[unit_idx], cells)
    cells[~inside] = polygonal_array(
        shapely.intersection(cells[~inside], unit_geoms[unit_idx[~inside]])
    )
    area = shapely.area(cells)
    keep = area > 0
    parent = metric[code_column].to_numpy()[unit_idx][keep]
    row, col = rows[cell_idx][keep], cols[cell_idx][keep]
    frame = pd.DataFrame(
        {
            "code": _cell_codes(parent, row, col),
            "parent_code": parent,
            "row": row,
            "col": col,
            "cell_m": float(cell_m),
            "area_m2": area[keep],
            "is_clipped": ~inside[keep],
            "basis": LATTICE_BASIS,
            "village_code": None,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=cells[keep], crs=metric.crs)


def _check_units(
    units: gpd.GeoDataFrame, *, cell_m: float, code_column: str, crs: Any
) -> gpd.GeoDataFrame:
    if not cell_m > 0:
        raise ValueError(f"cell_m must be positive, got {cell_m!r}")
    if units.crs is None:
        raise ValueError("units has no CRS; set it before cutting a metric grid")
    metric = units.to_crs(analysis_crs(crs, None, units))
    if not metric.crs.is_projected:
        raise ValueError(f"grid CRS {crs!r} is not projected; cells need metres")
    codes = metric[code_column]
    if codes.isna().any() or codes.duplicated().any():
        raise ValueError(f"{code_column!r} must be unique and non-null per unit")
    return metric


def _lattice(bounds: np.ndarray, cell_m: float) -> tuple[np.ndarray, ...]:
    """Return the boxes covering ``bounds`` with their row and column indices."""
    minx, miny, maxx, maxy = bounds
    col_range = np.arange(np.floor(minx / cell_m), np.ceil(maxx / cell_m), dtype=np.int64)
    row_range = np.arange(np.floor(miny / cell_m), np.ceil(maxy / cell_m), dtype=np.int64)
    cols, rows = (a.ravel() for a in np.meshgrid(col_range, row_range))
    boxes = shapely.box(cols * cell_m, rows * cell_m, (cols + 1) * cell_m, (rows + 1) * cell_m)
    return boxes, rows, cols


def _cell_codes(parent: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    rows = pd.Series(row).astype(str).str.zfill(CODE_DIGITS)
    cols = pd.Series(col).astype(str).str.zfill(CODE_DIGITS)
    return (pd.Series(parent).astype(str) + "-" + rows + "-" + cols).to_numpy()
