"""The ``engine`` input and the Dask paths of ``coverage``, ``nearest-facility`` and
``region-grid``.

``engine=local`` (the default) runs the single-machine function in the job's
thread; ``dask`` partitions the demand along a Hilbert curve into GeoParquet
files under ``<data_dir>/scale/<job>`` and runs one task per part on the
service's Dask cluster; ``auto`` chooses ``dask`` from ``scale.auto_features``
demand features. Job progress follows the finished tasks; dismissing the job
cancels the unfinished ones.
"""

from __future__ import annotations

from typing import Any, Literal

import geopandas as gpd
from pydantic import Field, model_validator

from geoservice.analysis.crs import analysis_crs
from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, ResultInputs
from geoservice.processes.library._shared import text
from geoservice.processes.outputs import LayerOutput, PartitionedLayerOutput
from geoservice.processes.registry import OutputSpec, Process

Engine = Literal["local", "dask", "auto"]
ENGINE_FIELD = Field(
    "local",
    description="local: this process; dask: partitions on the Dask cluster "
    "(GEOSERVICE_DASK_SCHEDULER, else a local cluster); auto: dask for large demand",
)


def use_dask(engine: str, features: int, ctx: ProcessContext, why_not: str | None) -> bool:
    """Tell whether to run on Dask; refuse ``dask`` when the options need the local path."""
    if engine == "local":
        return False
    if why_not is not None:
        if engine == "dask":
            raise InvalidParameter(f"input 'engine': dask {why_not}; use engine=local")
        return False
    return engine == "dask" or features >= ctx.scale.auto_features


def _metric(ctx: ProcessContext, *frames: gpd.GeoDataFrame | None) -> Any:
    return analysis_crs(ctx.metric_crs, None, *[f for f in frames if f is not None])


def _tag_units(demand, units, unit_key, crs):
    """Give each demand feature the ``unit_key`` of the unit containing its centre."""
    if units is None:
        return demand
    if unit_key not in units.columns:
        raise InvalidParameter(f"input 'unit_key': units have no column {unit_key!r}")
    centres = gpd.GeoDataFrame(geometry=demand.geometry.centroid, crs=crs)
    joined = centres.sjoin(units.to_crs(crs)[[unit_key, units.geometry.name]], predicate="within")
    joined = joined[~joined.index.duplicated()]
    return demand.assign(**{unit_key: joined[unit_key].reindex(demand.index)})


def coverage_on_dask(inputs, ctx: ProcessContext, facilities, demand, units) -> dict:
    """The ``coverage`` process on the cluster (Euclidean reach only)."""
    from geoservice.scale.ops import coverage_on_cluster
    from geoservice.scale.parts import partition_frame

    crs = _metric(ctx, facilities, demand)
    demand_m = _tag_units(demand.to_crs(crs), units, inputs.unit_key, crs)
    ctx.report(10, "partitioning the demand")
    parts = partition_frame(demand_m, ctx.work_dir / "demand", ctx.scale.partition_features)
    client = ctx.dask_client()
    result, summary = coverage_on_cluster(
        client,
        facilities.to_crs(crs),
        parts,
        distance_m=inputs.distance_m,
        work_dir=ctx.work_dir,
        unit_key=inputs.unit_key if units is not None else None,
        progress=ctx.stage(15, 85, "measuring coverage on the cluster"),
    )
    reach = f"{inputs.distance_m:g} m"
    outputs: dict = {
        "demand": PartitionedLayerOutput(
            result,
            text(f"Coverage within {reach}", f"{reach}覆盖情况"),
            f"Demand with covered_share (0–1) within {reach} of the facilities",
            primary=True,
        )
    }
    if units is not None:
        outputs["units"] = _unit_layer(units, inputs.unit_key, summary.pop("units"), crs, reach)
    outputs["summary"] = {**summary, "engine": "dask", **ctx.cluster.describe()}
    return outputs


def _unit_layer(units, unit_key, by_unit, crs, reach) -> LayerOutput:
    table = units.to_crs(crs)[[unit_key, units.geometry.name]]
    shares = {str(k): v["mean_covered_share"] for k, v in by_unit.items()}
    counts = {str(k): v["features"] for k, v in by_unit.items()}
    keys = table[unit_key].astype(str)
    frame = table.assign(features=keys.map(counts), mean_covered_share=keys.map(shares))
    return LayerOutput(
        frame,
        text(f"Coverage by unit ({reach})", f"分单元覆盖率（{reach}）"),
        "Per unit: demand features and their mean covered share",
    )


def nearest_on_dask(inputs, ctx: ProcessContext, demand, facilities) -> dict:
    """The ``nearest-facility`` process on the cluster (straight-line distance)."""
    from geoservice.scale.ops import nearest_on_cluster
    from geoservice.scale.parts import partition_frame

    crs = _metric(ctx, facilities, demand)
    ctx.report(10, "partitioning the demand")
    parts = partition_frame(
        demand.to_crs(crs), ctx.work_dir / "demand", ctx.scale.partition_features
    )
    result, summary = nearest_on_cluster(
        ctx.dask_client(),
        facilities.to_crs(crs),
        parts,
        work_dir=ctx.work_dir,
        max_distance_m=inputs.max_distance_m,
        progress=ctx.stage(15, 85, "allocating demand on the cluster"),
    )
    return {
        "demand": PartitionedLayerOutput(
            result,
            text("Nearest facility", "最近设施分配"),
            "Demand with the nearest facility (its feature id) and the distance",
            primary=True,
        ),
        "summary": {**summary, "engine": "dask", **ctx.cluster.describe()},
    }


class RegionGridInputs(ResultInputs):
    """Inputs of ``region-grid``."""

    boundary: FeatureInput = Field(description="Polygons whose union is the study area")
    cell_m: float = Field(gt=0, description="Cell size in metres (in the area's metric CRS)")
    units: FeatureInput | None = Field(None, description="Admin units whose code each cell gets")
    unit_key: str | None = Field(None, description="Column of units naming each unit")
    facilities: FeatureInput | None = Field(
        None, description="Also measure each cell's covered share within distance_m of these"
    )
    distance_m: float | None = Field(None, gt=0, description="Euclidean reach (with facilities)")
    engine: Literal["local", "dask"] = Field(
        "dask", description="dask: tiles on the Dask cluster; local: tiles one after the other"
    )

    @model_validator(mode="after")
    def _rules(self) -> RegionGridInputs:
        if self.units is not None and not self.unit_key:
            raise ValueError("input 'unit_key': needed with units")
        if (self.facilities is None) != (self.distance_m is None):
            raise ValueError("inputs 'facilities' and 'distance_m': give both or neither")
        return self


def run_region_grid(inputs: RegionGridInputs, ctx: ProcessContext) -> dict:
    """Build the grid tile by tile; with facilities, measure coverage part by part."""
    from geoservice.scale.grid import build_grid
    from geoservice.scale.ops import coverage_on_cluster
    from geoservice.scale.parts import PartitionedFrame

    boundary = ctx.features("boundary", inputs.boundary)
    units = ctx.features("units", inputs.units)
    facilities = ctx.features("facilities", inputs.facilities)
    crs = _metric(ctx, boundary)
    client = ctx.dask_client() if inputs.engine == "dask" else None
    spec, paths, summary = build_grid(
        client,
        boundary,
        cell_m=inputs.cell_m,
        crs=crs,
        work_dir=ctx.work_dir,
        units=units,
        unit_key=inputs.unit_key,
        partition_cells=ctx.scale.partition_features,
        progress=ctx.stage(5, 45 if facilities is not None else 85, "building the grid"),
    )
    if not paths:
        raise InvalidParameter("input 'cell_m': no cell centre falls inside the boundary")
    cells = PartitionedFrame(paths, spec.crs)
    size = f"{inputs.cell_m:g} m"
    title = text(f"{size} grid", f"{size}网格")
    description = f"A regular {size} grid over the study area, with unit codes"
    if facilities is not None:
        cells, coverage = coverage_on_cluster(
            client,
            facilities.to_crs(spec.crs),
            cells,
            distance_m=inputs.distance_m,
            work_dir=ctx.work_dir,
            unit_key=inputs.unit_key if units is not None else None,
            progress=ctx.stage(45, 85, "measuring coverage"),
        )
        reach = f"{inputs.distance_m:g} m"
        title = text(f"{size} cells within {reach}", f"{size}网格{reach}覆盖")
        description = f"{size} cells with covered_share (0–1) within {reach} of the facilities"
        summary["coverage"] = coverage
    engine = {"engine": inputs.engine}
    if client is not None:
        engine.update(ctx.cluster.describe())
    return {
        "cells": PartitionedLayerOutput(cells, title, description, primary=True),
        "summary": {**summary, **engine},
    }


REGION_GRID = Process(
    id="region-grid",
    title="Region grid",
    title_zh="区域网格",
    description=(
        "A regular grid over a study area at a chosen cell size in its metric CRS, built "
        "tile by tile (on the Dask cluster by default, never whole in one process), each "
        "cell with the code of its admin unit; optionally each cell's covered share within "
        "a distance of a facility layer."
    ),
    inputs=RegionGridInputs,
    outputs={
        "cells": OutputSpec("Grid cells", "Result collection"),
        "summary": OutputSpec("Summary", "Cells, partitions, coverage", "json"),
    },
    run=run_region_grid,
    keywords=("grid", "网格", "coverage", "scale"),
)

PROCESSES = [REGION_GRID]
