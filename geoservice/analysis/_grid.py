"""The tile grid of the reach index (private): its choice, tile ranges, windows.

Demand is measured window by window (``_tiles.ReachIndex.chunks``): sorted by
tile row and cut into runs of whole tile rows, each run's window of tiles is
built and measured on its own, so the working set stays that of one run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely

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


def expand_ranges(
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


def row_cuts(rows: np.ndarray, size: int) -> np.ndarray:
    """Where to cut features sorted by tile row into runs of about ``size``.

    Cuts fall where a tile row starts, so runs share no tile row, unless one row
    alone holds more than twice ``size`` features (then it is cut every ``size``).
    """
    size = max(1, int(size))
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    wanted = np.arange(size, len(rows), size)
    at_rows = np.unique(starts[np.clip(np.searchsorted(starts, wanted), 0, len(starts) - 1)])
    edges = np.r_[0, at_rows[at_rows > 0], len(rows)]
    cuts = [
        np.arange(a + size, b - size // 2, size) if b - a > 2 * size else np.empty(0, int)
        for a, b in itertools.pairwise(edges)
    ]
    return np.sort(np.r_[edges[1:-1], np.concatenate(cuts)]).astype(np.int64)


def clamp_window(window: tuple, grid: TileGrid) -> tuple[int, int, int, int] | None:
    """``window`` (ix0, ix1, iy0, iy1) cut to the grid; None if outside it."""
    ix0, ix1 = max(int(window[0]), 0), min(int(window[1]), grid.nx - 1)
    iy0, iy1 = max(int(window[2]), 0), min(int(window[3]), grid.ny - 1)
    return (ix0, ix1, iy0, iy1) if ix0 <= ix1 and iy0 <= iy1 else None
