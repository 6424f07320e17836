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

from dataclasses import dataclass

import numpy as np
import shapely

EMPTY, PARTIAL, FULL = np.int8(0), np.int8(1), np.int8(2)
#: Slack (metres) when deciding which tile a bounding box lies in.
_EPS_M = 1e-6
_MAX_TILES = 4_000_000


@dataclass(frozen=True)
class TileGrid:
    """A regular grid of ``nx`` × ``ny`` tiles of ``w`` × ``h`` from ``(x0, y0)``."""

    x0: float
    y0: float
    w: float
    h: float
    nx: int
    ny: int

    def ranges(self, bounds: np.ndarray) -> tuple[np.ndarray, ...]:
        """Tile column/row ranges ``ix0, ix1, iy0, iy1`` covering each bbox."""
        ix0 = np.floor((bounds[:, 0] + _EPS_M - self.x0) / self.w).astype(np.int64)
        ix1 = np.floor((bounds[:, 2] - _EPS_M - self.x0) / self.w).astype(np.int64)
        iy0 = np.floor((bounds[:, 1] + _EPS_M - self.y0) / self.h).astype(np.int64)
        iy1 = np.floor((bounds[:, 3] - _EPS_M - self.y0) / self.h).astype(np.int64)
        return ix0, np.maximum(ix0, ix1), iy0, np.maximum(iy0, iy1)

    def boxes(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        """Tile polygons for columns ``ix`` and rows ``iy``."""
        x = self.x0 + ix * self.w
        y = self.y0 + iy * self.h
        return shapely.box(x, y, x + self.w, y + self.h)


def choose_grid(reach_bounds: np.ndarray, demand_bounds: np.ndarray | None) -> TileGrid:
    """Pick tiles about a quarter of a reach polygon wide, aligned to a demand grid.

    If the demand cells all have the same width and height and sit on one lattice,
    the tile size is a whole number of cells and the origin is a cell corner.
    """
    reach_w = np.median(reach_bounds[:, 2] - reach_bounds[:, 0])
    reach_h = np.median(reach_bounds[:, 3] - reach_bounds[:, 1])
    target = max(float(max(reach_w, reach_h)) / 4.0, 1.0)
    x0, y0 = reach_bounds[:, 0].min(), reach_bounds[:, 1].min()
    w = h = target
    if demand_bounds is not None and len(demand_bounds):
        cw = demand_bounds[:, 2] - demand_bounds[:, 0]
        ch = demand_bounds[:, 3] - demand_bounds[:, 1]
        cw0, ch0 = float(np.median(cw)), float(np.median(ch))
        on_lattice = cw0 > 0 and ch0 > 0 and _is_lattice(demand_bounds, cw0, ch0)
        if on_lattice:
            k = max(1, round(target / max(cw0, ch0)))
            w, h = k * cw0, k * ch0
            gx, gy = demand_bounds[:, 0].min(), demand_bounds[:, 1].min()
            x0 = gx - np.ceil((gx - x0) / w) * w
            y0 = gy - np.ceil((gy - y0) / h) * h
        else:
            w = h = max(target, 2.0 * max(cw0, ch0))
    xmax, ymax = reach_bounds[:, 2].max(), reach_bounds[:, 3].max()
    nx = max(1, int(np.ceil((xmax - x0) / w)))
    ny = max(1, int(np.ceil((ymax - y0) / h)))
    while nx * ny > _MAX_TILES:
        w, h = 2 * w, 2 * h
        nx, ny = (
            max(1, int(np.ceil((xmax - x0) / w))),
            max(1, int(np.ceil((ymax - y0) / h))),
        )
    return TileGrid(float(x0), float(y0), float(w), float(h), nx, ny)


def _is_lattice(bounds: np.ndarray, w: float, h: float) -> bool:
    tol = 1e-6 * max(w, h) + _EPS_M
    same_size = (np.abs(bounds[:, 2] - bounds[:, 0] - w) < tol).all() and (
        np.abs(bounds[:, 3] - bounds[:, 1] - h) < tol
    ).all()
    if not same_size:
        return False
    fx = (bounds[:, 0] - bounds[:, 0].min()) / w
    fy = (bounds[:, 1] - bounds[:, 1].min()) / h
    return bool(
        (np.abs(fx - np.round(fx)) * w < tol).all() and (np.abs(fy - np.round(fy)) * h < tol).all()
    )


def _expand_ranges(
    ix0: np.ndarray, ix1: np.ndarray, iy0: np.ndarray, iy1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (item, ix, iy) triples for the tile ranges of each item."""
    nxs, nys = ix1 - ix0 + 1, iy1 - iy0 + 1
    counts = nxs * nys
    item = np.repeat(np.arange(len(ix0)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ix = ix0[item] + local % nxs[item]
    iy = iy0[item] + local // nxs[item]
    return item, ix, iy


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


class ReachIndex:
    """Union of reach polygons, cut into tiles, answering covered areas and points.

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
        self._built = False
        self._union: shapely.Geometry | None = None

    @property
    def grid(self) -> TileGrid | None:
        """The tile grid (None without reach); tiles are built on first use."""
        if not self._built:
            self._built = True
            if len(self.parts):
                shapely.prepare(self.parts)
                self._grid = choose_grid(shapely.bounds(self.parts), self._demand_bounds)
                self._build(self.parts)
        return self._grid

    def _build(self, parts: np.ndarray) -> None:
        grid = self._grid
        assert grid is not None
        part_i, ix, iy = _expand_ranges(*grid.ranges(shapely.bounds(parts)))
        tile_id = iy * grid.nx + ix
        x, y = grid.x0 + ix * grid.w, grid.y0 + iy * grid.h
        # clip every (part, tile) pair by rectangle: cheaper than building the tile
        # boxes to test intersects/covers first
        clipped = clip_to_boxes(parts[part_i], np.column_stack([x, y, x + grid.w, y + grid.h]))
        tile_area = grid.w * grid.h
        area = shapely.area(clipped)
        status = np.zeros(grid.nx * grid.ny, dtype=np.int8)
        status[tile_id[area > 0]] = PARTIAL
        status[tile_id[area >= tile_area * (1 - 1e-12)]] = FULL
        todo = (area > 0) & (status[tile_id] == PARTIAL)
        clipped = clipped[todo]
        keys, pieces = grouped_union(tile_id[todo], clipped)
        filled = shapely.area(pieces) >= tile_area * (1 - 1e-12)
        status[keys[filled]] = FULL
        self.status = status
        self.piece = dict(zip(keys[~filled].tolist(), pieces[~filled], strict=True))
        shapely.prepare(pieces[~filled])

    def _status_at(self, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
        grid = self.grid
        assert grid is not None
        inside = (ix >= 0) & (ix < grid.nx) & (iy >= 0) & (iy < grid.ny)
        out = np.zeros(ix.shape, dtype=np.int8)
        out[inside] = self.status[iy[inside] * grid.nx + ix[inside]]
        return out

    def _pieces(self, tile_ids: np.ndarray) -> np.ndarray:
        return np.array([self.piece[t] for t in tile_ids.tolist()], dtype=object)

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
        if self.grid is None or not len(polys):
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
        grid = self.grid
        assert grid is not None
        pieces = self._pieces(iy0[idx] * grid.nx + ix0[idx])
        inside = shapely.covers(pieces, polys[idx])
        covered[idx[inside]] = area[idx[inside]]
        rest = idx[~inside]
        covered[rest] = intersection_area(polys[rest], pieces[~inside])

    def _straddling(self, polys, covered, idx, ix0, ix1, iy0, iy1) -> None:
        grid = self.grid
        assert grid is not None
        item, ix, iy = _expand_ranges(ix0[idx], ix1[idx], iy0[idx], iy1[idx])
        item = idx[item]
        st = self._status_at(ix, iy)
        keep = st > EMPTY
        item, ix, iy, st = item[keep], ix[keep], iy[keep], st[keep]
        geoms = grid.boxes(ix, iy)
        part = st == PARTIAL
        geoms[part] = self._pieces(iy[part] * grid.nx + ix[part])
        np.add.at(covered, item, intersection_area(polys[item], geoms))

    def covers_points(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies in the union of the reach polygons."""
        points = np.asarray(points, dtype=object)
        out = np.zeros(len(points), dtype=bool)
        if self.grid is None or not len(points):
            return out
        xy = shapely.get_coordinates(points)
        ix0 = np.floor((xy[:, 0] - self.grid.x0) / self.grid.w).astype(np.int64)
        iy0 = np.floor((xy[:, 1] - self.grid.y0) / self.grid.h).astype(np.int64)
        st = self._status_at(ix0, iy0)
        out[st == FULL] = True
        idx = np.nonzero(st == PARTIAL)[0]
        pieces = self._pieces(iy0[idx] * self.grid.nx + ix0[idx])
        out[idx] = shapely.intersects(pieces, points[idx])
        return out

    def union(self) -> shapely.Geometry:
        """The covered area as one (multi)polygon (computed once)."""
        if self._union is None:
            self._union = shapely.union_all(self.parts) if len(self.parts) else shapely.Polygon()
        return self._union
