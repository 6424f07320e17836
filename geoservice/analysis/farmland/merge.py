"""Merge grid cells smaller than a minimum area into a neighbour of the same parent.

Cutting a lattice (or village outlines) by unit borders leaves border cells of a
few square metres: nobody patrols a 2 m² grid, and the nesting check cannot tell
such a cell from a rounding sliver. A small cell is therefore given to the
neighbouring cell of the same parent with which it shares the longest border; a
small detached part of a larger cell goes the same way. Cells never cross into
another parent, so the nesting is unchanged. Frames are in one metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

MIN_AREA_SHARE = 0.1
"""Default minimum cell area as a share of a whole lattice cell (10 %: 2.5 ha at 500 m)."""


def merge_small_cells(cells: gpd.GeoDataFrame, *, min_area_m2: float) -> gpd.GeoDataFrame:
    """Give every cell (or detached part) under ``min_area_m2`` to a same-parent neighbour.

    The receiver is the cell of the same ``parent_code`` sharing the longest
    border with the small piece; it keeps its code, row and column, is marked
    ``is_clipped`` and lists the donor codes in ``merged_from``. A small piece
    with no neighbour in its parent (an islet of the parent) stays as it is.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Metric CRS, with ``code``, ``parent_code``, ``area_m2`` and ``is_clipped``.
    min_area_m2 : float
        Pieces smaller than this are merged; 0 merges nothing.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns plus ``merged_from`` (comma-separated codes, None when the
        cell received nothing), fewer rows when whole cells were merged.
    """
    out = cells.copy()
    out["merged_from"] = None
    if min_area_m2 <= 0 or out.empty:
        return out
    parts, owner = shapely.get_parts(np.asarray(out.geometry.values), return_index=True)
    state = _Pieces(parts, owner, out["parent_code"].to_numpy())
    state.move_small_parts(min_area_m2)
    state.move_small_cells(min_area_m2)
    return _rebuild(out, state)


class _Pieces:
    """Polygon parts and the cell each belongs to; ownership moves, parts never change."""

    def __init__(self, parts: np.ndarray, owner: np.ndarray, parent: np.ndarray) -> None:
        self.parts = parts
        self.owner = owner.copy()
        self.parent_of_cell = parent
        self.area = shapely.area(parts)
        self.tree = shapely.STRtree(parts)
        self.donors: dict[int, set[int]] = {}

    def cell_area(self) -> np.ndarray:
        return np.bincount(self.owner, weights=self.area, minlength=len(self.parent_of_cell))

    def best_neighbour(self, pieces: np.ndarray, cell: int) -> int | None:
        """The other cell of the same parent with the longest border shared with ``pieces``."""
        shared: dict[int, float] = {}
        for piece in pieces:
            near = self.tree.query(self.parts[piece], predicate="intersects")
            near = near[(self.owner[near] != cell)]
            near = near[self.parent_of_cell[self.owner[near]] == self.parent_of_cell[cell]]
            if not len(near):
                continue
            lengths = shapely.length(
                shapely.intersection(
                    shapely.boundary(self.parts[piece]), shapely.boundary(self.parts[near])
                )
            )
            for other, length in zip(self.owner[near], lengths, strict=True):
                shared[int(other)] = shared.get(int(other), 0.0) + float(length)
        shared = {k: v for k, v in shared.items() if v > 0}
        return max(shared, key=lambda k: (shared[k], -k)) if shared else None

    def give(self, pieces: np.ndarray, donor: int, receiver: int, *, whole: bool) -> None:
        self.owner[pieces] = receiver
        passed_on = self.donors.pop(donor, set()) if whole else set()
        self.donors.setdefault(receiver, set()).update({donor, *passed_on})

    def move_small_parts(self, min_area_m2: float) -> None:
        """Detached small parts of cells that also have a part at least that big."""
        biggest = pd.Series(self.area).groupby(self.owner).transform("max").to_numpy()
        for piece in np.flatnonzero((self.area < min_area_m2) & (biggest >= min_area_m2)):
            cell = int(self.owner[piece])
            receiver = self.best_neighbour(np.array([piece]), cell)
            if receiver is not None:
                self.give(np.array([piece]), cell, receiver, whole=False)

    def move_small_cells(self, min_area_m2: float) -> None:
        """Whole small cells, smallest first; a cell that grew past the minimum stays.

        One pass suffices: a cell is only ever given away or left stuck (no
        neighbour in its parent, so it can receive nothing later).
        """
        area = self.cell_area()
        alive = np.bincount(self.owner, minlength=len(area)) > 0
        small = np.flatnonzero((area < min_area_m2) & alive)
        for cell in small[np.argsort(area[small], kind="stable")]:
            if area[cell] >= min_area_m2:
                continue
            pieces = np.flatnonzero(self.owner == cell)
            receiver = self.best_neighbour(pieces, int(cell))
            if receiver is not None:
                self.give(pieces, int(cell), receiver, whole=True)
                area[receiver] += area[cell]
                area[cell] = 0.0


def _rebuild(cells: gpd.GeoDataFrame, state: _Pieces) -> gpd.GeoDataFrame:
    """Dissolve the parts of every cell whose parts changed; drop cells left empty."""
    codes = cells["code"].astype(str).to_numpy()
    n = len(cells)
    before = np.bincount(
        shapely.get_parts(np.asarray(cells.geometry.values), return_index=True)[1], minlength=n
    )
    after = np.bincount(state.owner, minlength=n)
    received = np.zeros(n, dtype=bool)
    received[list(state.donors)] = True
    redo = np.flatnonzero(received | ((after != before) & (after > 0)))
    geometry = np.asarray(cells.geometry.values).copy()
    merged_from = cells["merged_from"].to_numpy(dtype=object).copy()
    for cell in redo:
        geometry[cell] = shapely.union_all(state.parts[state.owner == cell])
    for cell, donors in state.donors.items():
        merged_from[cell] = ",".join(sorted(codes[d] for d in donors))
    out = cells.assign(merged_from=merged_from).set_geometry(geometry)
    out["is_clipped"] = out["is_clipped"].to_numpy(dtype=bool) | received
    out = out.iloc[np.flatnonzero(after > 0)].copy()
    out["area_m2"] = shapely.area(np.asarray(out.geometry.values))
    return out
