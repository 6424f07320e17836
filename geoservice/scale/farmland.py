"""Farmland-protection grids cut on the workers, a group of parent units per task.

A farmland grid is cut unit by unit (its cells are split at unit borders and its
lattice is anchored at the CRS origin), so the parent units are a natural
partition: each task runs the single-machine
:func:`~geoservice.analysis.farmland.generate_farmland_grid` on its units in the
one metric CRS the driver chose, writes its cells as GeoParquet and returns their
per-parent statistics. Units are taken in code order and never split between
tasks, so the parts read in order are the single-machine grid, row for row, and
a duplicated code meets its twin in one task (where the single-machine check
refuses it).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoservice.analysis.farmland import generate_farmland_grid, grid_statistics
from geoservice.scale.parts import PartitionedFrame
from geoservice.scale.tasks import run_tasks


def estimated_cells(units: gpd.GeoDataFrame, cell_m: float) -> np.ndarray:
    """Return, per unit (metric CRS), the lattice cells over its bounding box: an upper
    bound of the cells it will get, used to size the tasks."""
    b = units.geometry.bounds
    cols = np.ceil(b["maxx"] / cell_m) - np.floor(b["minx"] / cell_m)
    rows = np.ceil(b["maxy"] / cell_m) - np.floor(b["miny"] / cell_m)
    return (cols * rows).to_numpy(dtype="float64")


def unit_groups(
    units: gpd.GeoDataFrame, cell_m: float, code_column: str, partition_cells: int
) -> list[gpd.GeoDataFrame]:
    """Cut the units, in code order, into groups of about ``partition_cells`` cells.

    A unit larger than that is a group of its own; units sharing a code are never
    separated.
    """
    ordered = units.sort_values(code_column, kind="stable")
    sizes = estimated_cells(ordered, cell_m)
    codes = ordered[code_column].to_numpy()
    groups, start, total = [], 0, 0.0
    for i, size in enumerate(sizes):
        if i > start and total + size > partition_cells and codes[i] != codes[i - 1]:
            groups.append(ordered.iloc[start:i])
            start, total = i, 0.0
        total += size
    groups.append(ordered.iloc[start:])
    return groups


def farmland_grid_on_cluster(
    client: Any,
    units: gpd.GeoDataFrame,
    *,
    cell_m: float,
    code_column: str,
    work_dir: Path,
    min_area_m2: float | None = None,
    partition_cells: int = 50_000,
    progress=None,
) -> tuple[PartitionedFrame, pd.DataFrame, dict[str, Any]]:
    """Cut the grid of ``units`` (in a metric CRS) group by group on the cluster.

    Returns the grid parts (in the single-machine order), the per-parent
    statistics table of ``grid_statistics`` and its summary, added up over the
    parts (``cells``, ``parents``, ``area_m2``; no protected share: a new grid
    has no protected attribute).
    """
    crs = units.crs.to_string()
    in_dir, out_dir = work_dir / "units", work_dir / "farmland_grid"
    in_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    arguments = []
    for i, group in enumerate(unit_groups(units, cell_m, code_column, partition_cells)):
        path = in_dir / f"part-{i:05d}.parquet"
        group.to_parquet(path)
        out_path = str(out_dir / path.name)
        arguments.append((str(path), cell_m, code_column, crs, min_area_m2, out_path))
    results = run_tasks(client, grid_part, arguments, progress=progress, key="farmland-grid")
    paths = [Path(a[-1]) for a, (cells, _) in zip(arguments, results, strict=True) if cells]
    tables = [table for cells, table in results if cells]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    summary = {
        "cells": int(sum(cells for cells, _ in results)),
        "parents": len(table),
        "area_m2": float(table["area_m2"].sum()) if len(table) else 0.0,
        "protected_column": None,
        "protected_share": None,
        "crs": crs,
        "partitions": len(paths),
    }
    return PartitionedFrame(paths, crs), table, summary


def grid_part(
    units_path, cell_m, code_column, crs, min_area_m2, out_path
) -> tuple[int, pd.DataFrame]:
    """One group of units: cut its grid, write it, return its cell count and statistics.

    Small pieces merge only within their own unit, and a unit is never split
    between tasks, so the merged cells are those of the single-machine grid.
    """
    grid = generate_farmland_grid(
        gpd.read_parquet(units_path),
        cell_m=cell_m,
        code_column=code_column,
        crs=crs,
        min_area_m2=min_area_m2,
    )
    if not len(grid):
        return 0, pd.DataFrame()
    grid.to_parquet(out_path, write_covering_bbox=True)
    return len(grid), grid_statistics(grid, crs=crs).table


def bounded_cells(units: gpd.GeoDataFrame, cell_m: float) -> int:
    """Return the estimated cells of all units (for ``engine=auto``)."""
    return int(math.fsum(estimated_cells(units, cell_m)))
