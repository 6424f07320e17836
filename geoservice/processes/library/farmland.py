"""Processes ``farmland-grid``, ``farmland-grid-check`` and ``farmland-grid-compare``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, ResultInputs
from geoservice.processes.library._farmland_check import (
    all_problem_features,
    check_levels,
    combined_summary,
)
from geoservice.processes.library._shared import text
from geoservice.processes.library.distributed import Engine, use_dask
from geoservice.processes.outputs import LayerOutput, PartitionedLayerOutput
from geoservice.processes.registry import OutputSpec, Process

PROTECTED_CANDIDATES = ("protected", "is_protected", "protected_area_m2", "jbnt", "永久基本农田")
"""Columns read as 'protected farmland' when the input names none."""


class GridInputs(ResultInputs):
    """Inputs of ``farmland-grid``."""

    units: FeatureInput = Field(description="Parent units (polygons) with a unique code")
    cell_m: float = Field(
        500.0, ge=10, le=100_000, description="Cell edge in metres (in the study area's metric CRS)"
    )
    code_column: str = Field("code", description="Unit code column; cell codes extend it")
    engine: Engine = Field(
        "local",
        description="local: this process; dask: groups of units on the Dask cluster "
        "(GEOSERVICE_DASK_SCHEDULER, else a local cluster); auto: dask for large grids",
    )
    min_area_m2: float | None = Field(
        None,
        ge=0,
        description="Cells (and detached parts) under this area are merged into the neighbour "
        "of the same unit with the longest common border; default 10 % of a whole cell, "
        "0 keeps every piece",
    )
    villages: FeatureInput | None = Field(
        None,
        description="Village/community outlines (polygons) uploaded by GIS staff: level 3 is "
        "cut from them, the lattice only fills what they leave uncovered (basis "
        "lattice_fallback)",
    )
    village_code_column: str = Field("code", description="Code column of the villages")


def run_grid(inputs: GridInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.farmland.generate_farmland_grid` (here or on Dask)."""
    from geoservice.analysis.farmland import generate_farmland_grid, grid_statistics

    units = ctx.features("units", inputs.units)
    villages = ctx.features("villages", inputs.villages)
    if inputs.code_column not in units.columns:
        raise InvalidParameter(f"input 'code_column': units have no {inputs.code_column!r}")
    ctx.report(20, "cutting cells")
    try:
        if inputs.engine != "local" and villages is None:  # villages: cut here
            dask = _grid_on_dask(inputs, ctx, units)
            if dask is not None:
                return dask
        grid = generate_farmland_grid(
            units,
            cell_m=inputs.cell_m,
            code_column=inputs.code_column,
            crs=ctx.metric_crs,
            min_area_m2=inputs.min_area_m2,
            villages=villages,
            village_code_column=inputs.village_code_column,
        )
    except ValueError as exc:
        raise InvalidParameter(f"input 'units' or 'villages': {exc}") from None
    stats = grid_statistics(grid, crs=ctx.metric_crs)
    return {
        "grid": LayerOutput(grid, *_grid_text(inputs), primary=True),
        "statistics": stats.table,
        "summary": stats.summary,
    }


def _grid_text(inputs: GridInputs) -> tuple:
    size = f"{inputs.cell_m:g}"
    return (
        text(f"Farmland grid ({size} m cells)", f"耕地保护基本网格（{size}米）"),
        "Village outlines cut by the units where given, elsewhere square cells on a "
        "lattice anchored at the CRS origin (basis lattice_fallback), split at unit "
        "borders; small pieces merged within their unit",
    )


def _grid_on_dask(inputs: GridInputs, ctx: ProcessContext, units) -> dict | None:
    """Cut the grid a group of units per task on the cluster (None: ``auto`` stays here).

    The single-machine function runs in every task, in the one metric CRS chosen
    here, so the cells and codes are those of ``engine=local``.
    """
    from geoservice.analysis.crs import analysis_crs
    from geoservice.scale.farmland import bounded_cells, farmland_grid_on_cluster

    metric = units.to_crs(analysis_crs(ctx.metric_crs, None, units))
    if not use_dask(inputs.engine, bounded_cells(metric, inputs.cell_m), ctx, None):
        return None
    parts, table, summary = farmland_grid_on_cluster(
        ctx.dask_client(),
        metric,
        cell_m=inputs.cell_m,
        code_column=inputs.code_column,
        min_area_m2=inputs.min_area_m2,
        work_dir=ctx.work_dir,
        partition_cells=ctx.scale.partition_features,
        progress=ctx.stage(20, 85, "cutting cells on the cluster"),
    )
    if not parts.paths:
        raise InvalidParameter("input 'units': the units hold no area to cut cells from")
    return {
        "grid": PartitionedLayerOutput(parts, *_grid_text(inputs), primary=True),
        "statistics": table,
        "summary": {**summary, "engine": "dask", **ctx.cluster.describe()},
    }


class CheckInputs(ResultInputs):
    """Inputs of ``farmland-grid-check``."""

    cells: FeatureInput = Field(
        description="Grid cells (polygons), e.g. farmland_grid, or a layer of several levels "
        "(farmland_grid_units: each level is checked in the level above)"
    )
    parents: FeatureInput | None = Field(
        None,
        description="Parent units (polygons), e.g. farmland_grid_units unfiltered: the level "
        "the cells name is used, and the parents' own levels are checked too. Optional when "
        "the cells hold several levels",
    )
    code_column: str = Field("code", description="Cell code column")
    parent_column: str = Field("parent_code", description="Cell column naming its parent")
    parent_code_column: str = Field("code", description="Parent code column")
    code_rule: Literal["auto", "separator", "prefix", "none"] = Field(
        "auto",
        description="separator: cell code is '<parent>-...'; prefix: starts with the parent "
        "code without trailing zeros (division codes); auto: either; none: not checked",
    )
    tolerance_m2: float = Field(1.0, ge=0, description="Gaps and overlaps below this are rounding")
    protected_column: str | None = Field(
        None, description=f"Protected-farmland column; default the first of {PROTECTED_CANDIDATES}"
    )


def run_check(inputs: CheckInputs, ctx: ProcessContext) -> dict:
    """Run the nesting check for every level pair, and the per-parent statistics."""
    from geoservice.analysis.farmland import grid_statistics

    cells = ctx.features("cells", inputs.cells)
    same = inputs.parents is None or inputs.parents == inputs.cells
    parents = None if same else ctx.features("parents", inputs.parents)
    ctx.report(20, "checking the nesting")
    reports = check_levels(inputs, cells, parents, ctx.metric_crs)
    ctx.report(70, "summarising cells per parent")
    protected = inputs.protected_column or next(
        (c for c in PROTECTED_CANDIDATES if c in cells.columns), None
    )
    first = reports[0][0]
    stats = grid_statistics(
        first.cells,
        parent_column=inputs.parent_column,
        protected_column=protected,
        crs=ctx.metric_crs,
    )
    return {
        "problems": LayerOutput(
            all_problem_features(reports, inputs.parent_code_column, ctx.metric_crs),
            text("Farmland grid nesting problems", "耕地保护网格嵌套问题"),
            "One feature per problem (the cell, the overlap or the gap, with its kind) and "
            "per named finding (not_in_scheme: a part of the district with no grid, to confirm)",
            primary=True,
        ),
        "statistics": stats.table,
        "summary": {
            **combined_summary(reports),
            "statistics": stats.summary,
            "protected_note": None
            if protected
            else "no protected-farmland attribute; protected share not computed",
        },
    }


class CompareInputs(ResultInputs):
    """Inputs of ``farmland-grid-compare``."""

    old: FeatureInput = Field(description="Earlier grid, e.g. {collection, version}")
    new: FeatureInput = Field(description="Later grid")
    code_column: str = Field("code", description="Cell code column, matched between versions")
    tolerance_m2: float = Field(1.0, ge=0, description="Outline moves below this are rounding")


def run_compare(inputs: CompareInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.farmland.compare_grids`."""
    from geoservice.analysis.farmland import compare_grids

    old = ctx.features("old", inputs.old)
    new = ctx.features("new", inputs.new)
    ctx.report(30, "matching cells by code")
    diff = compare_grids(
        old,
        new,
        code_column=inputs.code_column,
        tolerance_m2=inputs.tolerance_m2,
        crs=ctx.metric_crs,
    )
    changes = diff.cells[diff.cells["change"] != "unchanged"]
    return {
        "changes": LayerOutput(
            changes,
            text("Farmland grid changes", "耕地保护网格变化"),
            "Cells added, removed or changed between the two versions",
            primary=True,
        ),
        "summary": diff.summary,
    }


class BoardInputs(ResultInputs):
    """Inputs of ``farmland-boards``."""

    cells: FeatureInput = Field(description="Grid cells (polygons), e.g. farmland_grid")
    roads: FeatureInput = Field(description="Road lines, e.g. roads")
    max_distance_m: float = Field(
        200.0, ge=0, le=5_000, description="A cell farther than this from a road gets no board"
    )
    class_column: str | None = Field("road_class", description="Road-class column of roads")
    sources: int = Field(64, ge=1, le=1_000, description="Sampled path sources for through-paths")


def run_boards(inputs: BoardInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.farmland.boards.propose_boards`."""
    from geoservice.analysis.farmland.boards import propose_boards

    cells = ctx.features("cells", inputs.cells)
    roads = ctx.features("roads", inputs.roads)
    if "code" not in cells.columns:
        raise InvalidParameter("input 'cells': the cells have no 'code'")
    ctx.report(20, "routing sampled paths over the roads")
    boards, summary = propose_boards(
        cells,
        roads,
        max_distance_m=inputs.max_distance_m,
        class_column=inputs.class_column,
        sources=inputs.sources,
        crs=ctx.metric_crs,
    )
    return {
        "boards": LayerOutput(
            boards,
            text("Proposed farmland information boards", "耕地保护网格公示牌建议位置"),
            "One per cell near a road, at the road node most sampled paths pass; edit freely",
            primary=True,
        ),
        "summary": summary,
    }


PROCESSES = [
    Process(
        id="farmland-grid",
        title="Generate a farmland-protection grid",
        title_zh="生成耕地保护网格",
        description="Cut parent units into basic-grid cells: uploaded village outlines when "
        "given (codes '<unit code>-<village code>'), else square cells on a lattice fixed "
        "to the study area's metric CRS (a CGCS2000 Gauss-Krüger zone; codes "
        "'<unit code>-<row>-<col>', basis lattice_fallback); cells crossing a border are "
        "split, and pieces under min_area_m2 merged into a neighbour of the same unit.",
        inputs=GridInputs,
        outputs={
            "grid": OutputSpec("Grid cells", "Result collection"),
            "statistics": OutputSpec("Cells per unit", "Table", "json"),
            "summary": OutputSpec("Summary", "Totals", "json"),
        },
        run=run_grid,
        keywords=("farmland", "grid", "耕地保护"),
    ),
    Process(
        id="farmland-grid-check",
        title="Check a farmland grid's nesting",
        title_zh="耕地保护网格嵌套检查",
        description="Report every cell not in exactly one parent, overlaps, gaps in parents, "
        "missing, repeated or non-hierarchical codes (with feature ids), and per-parent "
        "statistics (area, count, protected share when an attribute says what is protected). "
        "Levels come from the layers' level column: each level is checked in the one above; "
        "units marked in_scheme=false are named as a finding to confirm, not a gap.",
        inputs=CheckInputs,
        outputs={
            "problems": OutputSpec("Problems", "Result collection"),
            "statistics": OutputSpec("Statistics per parent", "Table", "json"),
            "summary": OutputSpec("Summary", "ok, counts per problem", "json"),
        },
        run=run_check,
        keywords=("farmland", "grid", "check"),
    ),
    Process(
        id="farmland-grid-compare",
        title="Compare two versions of a farmland grid",
        title_zh="耕地保护网格版本比较",
        description="Cells added, removed and changed (outline or attributes) between two "
        "grids or two versions of one collection, matched by code.",
        inputs=CompareInputs,
        outputs={
            "changes": OutputSpec("Changed cells", "Result collection"),
            "summary": OutputSpec("Summary", "Counts per change", "json"),
        },
        run=run_compare,
        keywords=("farmland", "grid", "versions"),
    ),
    Process(
        id="farmland-boards",
        title="Propose farmland information boards",
        title_zh="耕地保护网格公示牌选址",
        description="One public information board (公示牌) per grid cell within max_distance_m "
        "of a road, at the road node that most shortest paths between sampled nodes pass "
        "(a sampled betweenness: the network's stand-in for passing traffic). Run it with "
        "out_layer=farmland_boards and the grid maps show the boards; edit them like any layer.",
        inputs=BoardInputs,
        outputs={
            "boards": OutputSpec("Proposed boards", "Result collection"),
            "summary": OutputSpec("Summary", "cells with and without a board", "json"),
        },
        run=run_boards,
        keywords=("farmland", "boards", "公示牌"),
    ),
]
