"""A regular grid over a study area, built tile by tile on the workers.

The grid's origin snaps to a multiple of the cell size in the area's metric CRS;
cell ``cell_id = row * ncols + col`` is the same whichever tile built it. A cell
belongs to the area when its centre lies in the boundary, and carries the code
of the admin unit containing its centre. Each tile is one task that writes one
GeoParquet file; the grid as a whole never exists in one process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geoservice.errors import InvalidParameter
from geoservice.scale.tasks import run_tasks


@dataclass(frozen=True)
class GridSpec:
    """Where the grid lies: origin (lower left), cell size and shape, in ``crs``."""

    x0: float
    y0: float
    cell_m: float
    ncols: int
    nrows: int
    crs: str

    @classmethod
    def over(cls, bounds, cell_m: float, crs: Any) -> GridSpec:
        """Return the grid covering ``bounds`` (xmin, ymin, xmax, ymax) at ``cell_m``."""
        if not cell_m > 0:
            raise InvalidParameter("input 'cell_m': must be > 0")
        xmin, ymin, xmax, ymax = bounds
        x0, y0 = math.floor(xmin / cell_m) * cell_m, math.floor(ymin / cell_m) * cell_m
        ncols = max(1, math.ceil((xmax - x0) / cell_m))
        nrows = max(1, math.ceil((ymax - y0) / cell_m))
        return cls(x0, y0, float(cell_m), ncols, nrows, gpd.GeoSeries(crs=crs).crs.to_string())

    @property
    def cells(self) -> int:
        """Return the number of cells of the bounding grid (inside and outside the area)."""
        return self.ncols * self.nrows

    def tiles(self, side: int) -> list[tuple[int, int, int, int]]:
        """Return (col0, row0, ncols, nrows) blocks of at most ``side`` × ``side`` cells."""
        return [
            (c, r, min(side, self.ncols - c), min(side, self.nrows - r))
            for r in range(0, self.nrows, side)
            for c in range(0, self.ncols, side)
        ]


def build_grid(
    client: Any,
    boundary: gpd.GeoDataFrame,
    *,
    cell_m: float,
    crs: Any,
    work_dir: Path,
    units: gpd.GeoDataFrame | None = None,
    unit_key: str | None = None,
    partition_cells: int = 50_000,
    max_cells: int = 200_000_000,
    progress=None,
) -> tuple[GridSpec, list[Path], dict[str, Any]]:
    """Build the grid over ``boundary`` in partitions; return its spec, files and summary.

    ``boundary`` and ``units`` are written once to ``work_dir`` as GeoParquet and
    read by every tile task; tiles whose square misses the boundary are skipped.
    """
    if units is not None and (not unit_key or unit_key not in units.columns):
        raise InvalidParameter(f"input 'unit_key': units have no column {unit_key!r}")
    boundary_m = boundary.to_crs(crs)[[boundary.geometry.name]]
    spec = GridSpec.over(boundary_m.total_bounds, cell_m, crs)
    if spec.cells > max_cells:
        raise InvalidParameter(
            f"input 'cell_m': {spec.cells} cells over the area's extent exceed {max_cells}; "
            "choose a larger cell"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    boundary_path = work_dir / "boundary.parquet"
    boundary_m.to_parquet(boundary_path)
    units_path = None
    if units is not None:
        units_path = work_dir / "units.parquet"
        units.to_crs(crs)[[unit_key, units.geometry.name]].to_parquet(
            units_path, write_covering_bbox=True
        )
    area = shapely.union_all(boundary_m.geometry.values)
    shapely.prepare(area)
    side = max(1, math.isqrt(partition_cells))
    tiles = [t for t in spec.tiles(side) if area.intersects(_tile_box(spec, t))]
    out_dir = work_dir / "grid"
    out_dir.mkdir(exist_ok=True)
    arguments = [
        (
            spec,
            tile,
            str(boundary_path),
            str(units_path) if units_path else None,
            unit_key,
            str(out_dir / f"part-{i:05d}.parquet"),
        )
        for i, tile in enumerate(tiles)
    ]
    counts = run_tasks(client, grid_tile, arguments, progress=progress, key="grid")
    paths = [Path(a[-1]) for a, n in zip(arguments, counts, strict=True) if n]
    summary = {
        "cell_m": spec.cell_m,
        "crs": spec.crs,
        "cells": int(sum(counts)),
        "partitions": len(paths),
    }
    return spec, paths, summary


def _tile_box(spec: GridSpec, tile) -> shapely.Polygon:
    col0, row0, nc, nr = tile
    x, y = spec.x0 + col0 * spec.cell_m, spec.y0 + row0 * spec.cell_m
    return shapely.box(x, y, x + nc * spec.cell_m, y + nr * spec.cell_m)


def grid_tile(spec: GridSpec, tile, boundary_path: str, units_path, unit_key, out_path) -> int:
    """Build one tile of the grid (cells whose centre is in the area) and write it."""
    frame = grid_cells(spec, tile, gpd.read_parquet(boundary_path), units_path, unit_key)
    if len(frame):
        frame.to_parquet(out_path, write_covering_bbox=True)
    return len(frame)


def grid_cells(spec: GridSpec, tile, boundary: gpd.GeoDataFrame, units_path, unit_key):
    """Return the cells of ``tile`` whose centre lies in ``boundary`` (metric CRS)."""
    col0, row0, nc, nr = tile
    cols, rows = np.meshgrid(np.arange(col0, col0 + nc), np.arange(row0, row0 + nr))
    cols, rows = cols.ravel(), rows.ravel()
    cx = spec.x0 + (cols + 0.5) * spec.cell_m
    cy = spec.y0 + (rows + 0.5) * spec.cell_m
    window = _tile_box(spec, tile)
    area = shapely.union_all(boundary.geometry.values[boundary.intersects(window)])
    inside = shapely.contains_xy(area, cx, cy)
    cols, rows, cx, cy = cols[inside], rows[inside], cx[inside], cy[inside]
    half = spec.cell_m / 2
    frame = gpd.GeoDataFrame(
        {"cell_id": rows.astype("int64") * spec.ncols + cols},
        geometry=shapely.box(cx - half, cy - half, cx + half, cy + half),
        crs=spec.crs,
    )
    if unit_key is not None:
        frame[unit_key] = _unit_codes(units_path, unit_key, window, cx, cy, spec.crs)
    return frame


def _unit_codes(units_path, unit_key, window, cx, cy, crs):
    units = gpd.read_parquet(units_path, bbox=window.bounds)
    codes = np.full(len(cx), None, dtype=object)
    if not len(units) or not len(cx):
        return codes
    centres = gpd.GeoSeries(shapely.points(cx, cy), crs=crs)
    where, which = units.sindex.query(centres, predicate="within")
    codes[where] = units[unit_key].to_numpy()[which]
    return codes
