"""Tiled index of a union of reach polygons, for fast covered areas (private).

Why tiles: the covered share of a demand cell is ``area(cell ∩ ⋃ reach)``.
Overlaying every cell with every buffer and dissolving is slow (geopandas
``overlay``), and so is testing each (cell, buffer) pair. Instead the plane is cut
into a grid of tiles; each tile is classified once as empty, full (inside one reach
polygon or inside their union) or partial, and partial tiles keep the union of the
reach polygons clipped to the tile, a small polygon. A demand cell then needs one
integer lookup when its tile is empty or full; only cells in partial tiles are
tested, against the small tile piece. When the demand is a regular grid the tiles
are aligned to it, so no cell straddles two tiles. A demand cell that is an
axis-aligned rectangle (every grid cell) is measured by clipping the piece to its
rectangle (GEOS rectangle clipping, about 6× faster than a general intersection).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import shapely

from geoservice.analysis._grid import (
    TileGrid,
    choose_grid,
    clamp_window,
    expand_ranges,
    row_cuts,
)

EMPTY, PARTIAL, FULL = np.int8(0), np.int8(1), np.int8(2)


def clip_to_boxes(geoms: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each geometry clipped to its rectangle ``bounds[i]`` (xmin, ymin, xmax, ymax)."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return np.empty(0, dtype=object)
    # shapely.clip_by_rect refuses array bounds, but its core is a numpy ufunc that
    # broadcasts them: one C loop instead of a Python call per item (4-5x faster)
    b = np.asarray(bounds, dtype=np.float64)
    return shapely.lib.clip_by_rect(geoms, b[:, 0], b[:, 1], b[:, 2], b[:, 3])


def intersection_area(polys: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """``area(polys[i] ∩ geoms[i])``, clipping by rectangle where ``polys[i]`` is one."""
    polys = np.asarray(polys, dtype=object)
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(polys))
    if not len(polys):
        return out
    b = shapely.bounds(polys)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    rect = np.abs(shapely.area(polys) - box_area) <= 1e-9 * box_area
    idx = np.nonzero(rect)[0]
    out[idx] = shapely.area(clip_to_boxes(geoms[idx], b[idx]))
    # a general intersection is dear: test first (a clip by rectangle is not)
    rest = np.nonzero(~rect)[0]
    rest = rest[shapely.intersects(polys[rest], geoms[rest])]
    out[rest] = shapely.area(shapely.intersection(polys[rest], geoms[rest]))
    return out


def grouped_union(groups: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """Union ``geoms`` per value of ``groups``; returns (unique groups, unions)."""
    order = np.argsort(groups, kind="stable")
    groups, geoms = groups[order], geoms[order]
    keys, start, counts = np.unique(groups, return_index=True, return_counts=True)
    out = np.empty(len(keys), dtype=object)
    # bucket by group size so the padded 2-D array stays small
    for low, high in ((1, 1), (2, 8), (9, 64), (65, None)):
        sel = np.nonzero((counts >= low) & ((counts <= high) if high else True))[0]
        if not len(sel):
            continue
        if low == 1:
            out[sel] = geoms[start[sel]]
            continue
        width = int(counts[sel].max())
        pad = np.full((len(sel), width), None, dtype=object)
        rows = np.repeat(np.arange(len(sel)), counts[sel])
        cols = np.arange(rows.size) - np.repeat(np.cumsum(counts[sel]) - counts[sel], counts[sel])
        pad[rows, cols] = geoms[np.repeat(start[sel], counts[sel]) + cols]
        out[sel] = shapely.union_all(pad, axis=1)
    return keys, out


class WindowTiles:
    """Empty, full and partial tiles of one window of a grid, with partial pieces.

    Parameters
    ----------
    grid : TileGrid
        The grid shared by every window of one :class:`ReachIndex`.
    parts : numpy.ndarray of shapely geometries
        All reach polygons (prepared); only those reaching the window are used.
    part_ranges : tuple of numpy.ndarray
        ``grid.ranges`` of the parts' bounds.
    window : tuple of int, optional
        Tile columns ``ix0..ix1`` and rows ``iy0..iy1``; default: the whole grid.
    """

    def __init__(
        self,
        grid: TileGrid,
        parts: np.ndarray,
        part_ranges: tuple[np.ndarray, ...],
        window: tuple[int, int, int, int] | None = None,
    ):
        self.grid = grid
        wx0, wx1, wy0, wy1 = (0, grid.nx - 1, 0, grid.ny - 1) if window is None else window
        self.x0, self.y0, self.nx, self.ny = wx0, wy0, wx1 - wx0 + 1, wy1 - wy0 + 1
        px0, px1, py0, py1 = part_ranges
        px0, px1 = np.maximum(px0, wx0), np.minimum(px1, wx1)
        py0, py1 = np.maximum(py0, wy0), np.minimum(py1, wy1)
        # boolean selection keeps the parts' order, so each tile unions the same
        # parts in the same order in every window
        sel = np.nonzero((px0 <= px1) & (py0 <= py1))[0]
        self._build(parts[sel], px0[sel], px1[sel], py0[sel], py1[sel])

    def _build(self, parts, ix0, ix1, iy0, iy1) -> None:
        grid = self.grid
        part_i, ix, iy = expand_ranges(ix0, ix1, iy0, iy1)
        tile_id = self._local(ix, iy)
        x, y = grid.x0 + ix * grid.w, grid.y0 + iy * grid.h
        # clip every (part, tile) pair by rectangle: cheaper than building the tile
        # boxes to test intersects/covers first
        clipped = clip_to_boxes(parts[part_i], np.column_stack([x, y, x + grid.w, y + grid.h]))
        tile_area = grid.w * grid.h
        area = shapely.area(clipped)
        status = np.zeros(self.nx * self.ny, dtype=np.int8)
        status[tile_id[area > 0]] = PARTIAL
        status[tile_id[area >= tile_area * (1 - 1e-12)]] = FULL
        todo = (area > 0) & (status[tile_id] == PARTIAL)
        keys, pieces = grouped_union(tile_id[todo], clipped[todo])
        filled = shapely.area(pieces) >= tile_area * (1 - 1e-12)
        status[keys[filled]] = FULL
        self.status = status
        self.piece = dict(zip(keys[~filled].tolist(), pieces[~filled], strict=True))
        shapely.prepare(pieces[~filled])

    def _local(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        return (iy - self.y0) * self.nx + (ix - self.x0)

    def _status_at(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        jx, jy = ix - self.x0, iy - self.y0
        inside = (jx >= 0) & (jx < self.nx) & (jy >= 0) & (jy < self.ny)
        out = np.zeros(ix.shape, dtype=np.int8)
        out[inside] = self.status[jy[inside] * self.nx + jx[inside]]
        return out

    def _pieces(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        return np.array([self.piece[t] for t in self._local(ix, iy).tolist()], dtype=object)

    def covered_area(
        self,
        polys: np.ndarray,
        *,
        bounds: np.ndarray | None = None,
        area: np.ndarray | None = None,
    ) -> np.ndarray:
        """Area (m²) of each polygon inside the union of the reach polygons.

        ``bounds`` and ``area`` of ``polys``, when the caller has them, save
        measuring them again.
        """
        polys = np.asarray(polys, dtype=object)
        area = shapely.area(polys) if area is None else area
        covered = np.zeros(len(polys))
        if not len(polys):
            return covered
        bounds = shapely.bounds(polys) if bounds is None else bounds
        ix0, ix1, iy0, iy1 = self.grid.ranges(bounds)
        single = (ix0 == ix1) & (iy0 == iy1)
        one = np.nonzero(single)[0]
        st = self._status_at(ix0[one], iy0[one])
        covered[one[st == FULL]] = area[one[st == FULL]]
        self._partial_tile(polys, area, covered, one[st == PARTIAL], ix0, iy0)
        many = np.nonzero(~single)[0]
        small = (ix1[many] - ix0[many] <= 1) & (iy1[many] - iy0[many] <= 1)
        s = many[small]
        corners = np.stack(
            [
                self._status_at(ix0[s], iy0[s]),
                self._status_at(ix1[s], iy0[s]),
                self._status_at(ix0[s], iy1[s]),
                self._status_at(ix1[s], iy1[s]),
            ],
            axis=1,
        )
        all_full = corners.min(axis=1) == FULL
        covered[s[all_full]] = area[s[all_full]]
        mixed = np.concatenate([s[~all_full & (corners.max(axis=1) > EMPTY)], many[~small]])
        self._straddling(polys, covered, mixed, ix0, ix1, iy0, iy1)
        return covered

    def _partial_tile(self, polys, area, covered, idx, ix0, iy0) -> None:
        pieces = self._pieces(ix0[idx], iy0[idx])
        inside = shapely.covers(pieces, polys[idx])
        covered[idx[inside]] = area[idx[inside]]
        rest = idx[~inside]
        covered[rest] = intersection_area(polys[rest], pieces[~inside])

    def _straddling(self, polys, covered, idx, ix0, ix1, iy0, iy1) -> None:
        item, ix, iy = expand_ranges(ix0[idx], ix1[idx], iy0[idx], iy1[idx])
        item = idx[item]
        st = self._status_at(ix, iy)
        keep = st > EMPTY
        item, ix, iy, st = item[keep], ix[keep], iy[keep], st[keep]
        geoms = self.grid.boxes(ix, iy)
        part = st == PARTIAL
        geoms[part] = self._pieces(ix[part], iy[part])
        np.add.at(covered, item, intersection_area(polys[item], geoms))

    def covers_points(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the union of the reach polygons."""
        points = np.asarray(points, dtype=object)
        out = np.zeros(len(points), dtype=bool)
        if not len(points):
            return out
        xy = shapely.get_coordinates(points)
        ix0 = np.floor((xy[:, 0] - self.grid.x0) / self.grid.w).astype(np.int64)
        iy0 = np.floor((xy[:, 1] - self.grid.y0) / self.grid.h).astype(np.int64)
        st = self._status_at(ix0, iy0)
        out[st == FULL] = True
        idx = np.nonzero(st == PARTIAL)[0]
        pieces = self._pieces(ix0[idx], iy0[idx])
        out[idx] = shapely.intersects(pieces, points[idx])
        return out


class ReachIndex:
    """Union of reach polygons, cut into tiles, answering covered areas and points.

    Tiles are built per window of the grid, for the features being measured:
    :meth:`chunks` orders the demand by tile row and column and cuts it into runs
    of about ``size`` features, each measured against the tiles of its own window
    only. Memory and cache use then stay those of one chunk however large the
    demand, so time grows linearly with it (measured over a whole 10^6-cell grid,
    every step took 12–17× its 10^5-cell time). A tile's piece is the union of
    the same parts in the same order whichever window builds it, so answers do
    not depend on the chunking.

    Parameters
    ----------
    reach : numpy.ndarray of shapely geometries
        Polygons (in metres) whose union is the covered area; overlaps are fine.
    demand_bounds : numpy.ndarray, optional
        ``shapely.bounds`` of the demand, used to align tiles to a demand grid.
    """

    def __init__(self, reach: np.ndarray, demand_bounds: np.ndarray | None = None):
        parts = shapely.get_parts(np.asarray(reach, dtype=object))
        parts = parts[~shapely.is_empty(parts) & (shapely.area(parts) > 0)]
        self.parts = parts
        self._demand_bounds = demand_bounds
        self._grid: TileGrid | None = None
        self._chosen = False
        self._part_ranges: tuple[np.ndarray, ...] = ()
        self._whole: WindowTiles | None = None
        self._union: shapely.Geometry | None = None

    @property
    def grid(self) -> TileGrid | None:
        """The tile grid (None without reach); tiles are built per window on use."""
        if not self._chosen:
            self._chosen = True
            if len(self.parts):
                shapely.prepare(self.parts)
                bounds = shapely.bounds(self.parts)
                self._grid = choose_grid(bounds, self._demand_bounds)
                self._part_ranges = self._grid.ranges(bounds)
        return self._grid

    def tiles(self, window: tuple[int, int, int, int] | None = None) -> WindowTiles:
        """Tiles of the columns ``ix0..ix1`` and rows ``iy0..iy1`` (default: all)."""
        grid = self.grid
        assert grid is not None
        if window is None:
            if self._whole is None:
                self._whole = WindowTiles(grid, self.parts, self._part_ranges)
            return self._whole
        return WindowTiles(grid, self.parts, self._part_ranges, window)

    def chunks(
        self, bounds: np.ndarray, size: int
    ) -> Iterator[tuple[np.ndarray, WindowTiles | None]]:
        """Positions of features with ``bounds``, in compact runs, and their tiles.

        Yields ``(positions, tiles)``; ``tiles`` is None for a run lying wholly
        outside the grid (nothing there is covered). Every feature is in one run.
        """
        n = len(bounds)
        if self.grid is None or not n:
            if n:
                yield np.arange(n), None
            return
        if n <= size:
            yield np.arange(n), self.tiles()
            return
        ix0, ix1, iy0, iy1 = self.grid.ranges(bounds)
        order = np.lexsort((ix0, iy0))  # tile row, tile column, input order
        for run in np.split(order, row_cuts(iy0[order], size)):
            window = clamp_window(
                (ix0[run].min(), ix1[run].max(), iy0[run].min(), iy1[run].max()), self.grid
            )
            yield run, None if window is None else self.tiles(window)

    def covered_area(
        self,
        polys: np.ndarray,
        *,
        bounds: np.ndarray | None = None,
        area: np.ndarray | None = None,
    ) -> np.ndarray:
        """Area (m²) of each polygon inside the union of the reach polygons."""
        polys = np.asarray(polys, dtype=object)
        area = shapely.area(polys) if area is None else area
        if self.grid is None or not len(polys):
            return np.zeros(len(polys))
        return self.tiles().covered_area(polys, bounds=bounds, area=area)

    def covers_points(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the union of the reach polygons."""
        points = np.asarray(points, dtype=object)
        if self.grid is None or not len(points):
            return np.zeros(len(points), dtype=bool)
        return self.tiles().covers_points(points)

    def union(self) -> shapely.Geometry:
        """The covered area as one (multi)polygon (computed once)."""
        if self._union is None:
            self._union = shapely.union_all(self.parts) if len(self.parts) else shapely.Polygon()
        return self._union
