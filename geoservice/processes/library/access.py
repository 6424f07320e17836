"""Process ``accessibility-2sfca``: supply per resident within reach, and its surface."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, NetworkInputs
from geoservice.processes.library._shared import (
    network_of,
    one_reach,
    raster_grid,
    reach_text,
    text,
)
from geoservice.processes.library.distributed import ENGINE_FIELD, Engine, use_dask
from geoservice.processes.outputs import LayerOutput, PartitionedLayerOutput, RasterOutput
from geoservice.processes.registry import OutputSpec, Process


class AccessInputs(NetworkInputs):
    """Inputs of ``accessibility-2sfca``."""

    demand: FeatureInput = Field(description="Residents (points or polygons)")
    supply: FeatureInput = Field(description="Facilities")
    population_column: str = Field(description="Population column of demand")
    supply_column: str | None = Field(None, description="Capacity column (each counts 1 if unset)")
    distance_m: float | None = Field(None, gt=0, description="Euclidean catchment")
    minutes: float | None = Field(None, gt=0, description="Travel-time catchment over roads")
    per_population: float = Field(1000.0, gt=0, description="Ratios per this many residents")
    raster_cell_m: float | None = Field(
        None, gt=0, description="Also write the accessibility surface as a COG (distance_m only)"
    )
    engine: Engine = ENGINE_FIELD

    @model_validator(mode="after")
    def _rules(self) -> AccessInputs:
        one_reach(self.distance_m, self.minutes)
        self.network_needed(self.minutes)
        if self.raster_cell_m is not None and self.distance_m is None:
            raise ValueError("input 'raster_cell_m': the surface needs distance_m")
        return self


def check_access(inputs: AccessInputs, ctx: ProcessContext) -> None:
    """Refuse a population (or capacity) column that cannot be one before a job exists."""
    from geoservice.analysis.accessibility import check_weights

    demand = ctx.features("demand", inputs.demand)
    supply = ctx.features("supply", inputs.supply) if inputs.supply_column else None
    check_weights(
        demand,
        supply,
        population_col=inputs.population_column,
        supply_col=inputs.supply_column,
        crs=ctx.metric_crs,
    )


def run_access(inputs: AccessInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.accessibility.two_step_fca`."""
    from geoservice.analysis.accessibility import two_step_fca

    demand = ctx.features("demand", inputs.demand)
    supply = ctx.features("supply", inputs.supply)
    if use_dask(inputs.engine, len(demand), ctx, _why_not_dask(inputs)):
        return _on_dask(inputs, ctx, demand, supply)
    network = network_of(inputs, ctx, start=10, end=30) if inputs.minutes else None
    ctx.report(35, "computing supply/demand ratios")
    result = two_step_fca(
        demand,
        supply,
        population_col=inputs.population_column,
        supply_col=inputs.supply_column,
        distance_m=inputs.distance_m,
        minutes=inputs.minutes,
        network=network,
        per_population=inputs.per_population,
        crs=ctx.metric_crs,
    )
    outputs = _layers(inputs, LayerOutput, result.demand, result.supply)
    if inputs.raster_cell_m:
        reach = reach_text(inputs.distance_m, inputs.minutes, inputs.profile)
        outputs["surface"] = _surface(result, demand, inputs, reach, ctx.metric_crs)
    outputs["summary"] = result.summary
    return outputs


def _layers(inputs: AccessInputs, kind, demand, supply) -> dict:
    """The demand (a frame, or parts with ``kind`` PartitionedLayerOutput) and facilities."""
    reach = reach_text(inputs.distance_m, inputs.minutes, inputs.profile)
    per = f"{inputs.per_population:g}"
    return {
        "demand": kind(
            demand,
            text(f"2SFCA accessibility ({reach})", f"两步移动搜索法可达性（{reach}）"),
            f"Demand with access: supply within {reach} per {per} residents",
            primary=True,
        ),
        "supply": LayerOutput(
            supply,
            text("Supply/demand ratio per facility", "设施供需比"),
            f"Facilities with catchment_population and ratio per {per} residents",
        ),
    }


def _why_not_dask(inputs: AccessInputs) -> str | None:
    if inputs.minutes is not None:
        return "measures Euclidean catchments (distance_m) only, not minutes over roads"
    if inputs.raster_cell_m is not None:
        return "writes no raster_cell_m surface"
    return None


def _on_dask(inputs: AccessInputs, ctx: ProcessContext, demand, supply) -> dict:
    """2SFCA on the cluster: step 1 summed over Hilbert parts of the demand, step 2 per part.

    Populations and capacities are checked here, on the whole demand, before any
    part is written.
    """
    from geoservice.analysis.accessibility import access_weights
    from geoservice.analysis.crs import analysis_crs
    from geoservice.scale.access import POPULATION, two_step_fca_on_cluster
    from geoservice.scale.parts import partition_frame

    crs = analysis_crs(ctx.metric_crs, None, demand, supply)
    dem_m, sup_m = demand.to_crs(crs), supply.to_crs(crs)
    pop, cap = access_weights(
        dem_m, sup_m, population_col=inputs.population_column, supply_col=inputs.supply_column
    )
    ctx.report(10, "partitioning the demand")
    parts = partition_frame(
        dem_m.assign(**{POPULATION: pop}), ctx.work_dir / "demand", ctx.scale.partition_features
    )
    result, supply_out, summary = two_step_fca_on_cluster(
        ctx.dask_client(),
        parts,
        sup_m,
        cap,
        distance_m=inputs.distance_m,
        per_population=inputs.per_population,
        work_dir=ctx.work_dir,
        progress=ctx.stage(15, 85, "computing supply/demand ratios on the cluster"),
    )
    outputs = _layers(inputs, PartitionedLayerOutput, result, supply_out)
    outputs["summary"] = {**summary, "engine": "dask", **ctx.cluster.describe()}
    return outputs


def _surface(result, demand, inputs: AccessInputs, reach: str, crs: Any) -> RasterOutput:
    """Step 2 of 2SFCA at every cell centre: Σ ratios of the facilities within reach."""
    from geoservice.analysis.accessibility import access_at

    gx, gy, transform = raster_grid(demand.to_crs(crs).total_bounds, inputs.raster_cell_m)
    centres = np.column_stack([gx.ravel(), gy.ravel()])
    access = access_at(result.supply, centres, distance_m=inputs.distance_m)
    access = access.astype("float32").reshape(gx.shape)
    top = float(access.max()) if access.size else 1.0
    return RasterOutput(
        access,
        transform,
        crs,
        text(f"Accessibility surface ({reach})", f"可达性表面（{reach}）"),
        f"Supply within {reach} of each cell centre per {inputs.per_population:g} residents",
        colormap="viridis",
        rescale=(0.0, top or 1.0),
    )


PROCESSES = [
    Process(
        id="accessibility-2sfca",
        title="Two-step floating catchment accessibility",
        title_zh="两步移动搜索法可达性",
        description="Supply per resident within a distance or travel time (2SFCA): the "
        "ratio of each facility, the access of each demand feature, optionally a surface.",
        inputs=AccessInputs,
        outputs={
            "demand": OutputSpec("Demand with access", "Result collection"),
            "supply": OutputSpec("Facilities with ratios", "Result collection"),
            "surface": OutputSpec("Accessibility raster", "COG (with raster_cell_m)", "raster"),
            "summary": OutputSpec("Summary", "Mean access, population without access", "json"),
        },
        run=run_access,
        check=check_access,
        keywords=("accessibility", "2SFCA", "可达性"),
    )
]
