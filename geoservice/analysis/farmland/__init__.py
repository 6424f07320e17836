"""Farmland-protection grids: generate, check nesting, summarise, compare versions.

Dongsheng's scheme (东政办发〔2023〕61号) nests grids district → town/street →
village/community. :func:`generate_farmland_grid` cuts the basic grid;
:func:`check_grid_nesting` reports what breaks the nesting rule (one parent per
cell, full coverage, no overlaps, unique hierarchical codes) with feature ids;
:func:`grid_statistics` sums cells per parent (and the protected share when an
attribute says what is protected); :func:`compare_grids` lists the cells added,
removed and changed between two versions of a grid.
"""

from geoservice.analysis.farmland.grid import CODE_DIGITS, GRID_COLUMNS, generate_farmland_grid
from geoservice.analysis.farmland.nesting import (
    PROBLEM_COLUMNS,
    NestingReport,
    check_grid_nesting,
    parents_at_cell_level,
)
from geoservice.analysis.farmland.versions import (
    GridComparison,
    GridStatistics,
    compare_grids,
    grid_statistics,
)

__all__ = [
    "CODE_DIGITS",
    "GRID_COLUMNS",
    "PROBLEM_COLUMNS",
    "GridComparison",
    "GridStatistics",
    "NestingReport",
    "check_grid_nesting",
    "compare_grids",
    "generate_farmland_grid",
    "grid_statistics",
    "parents_at_cell_level",
]
