"""Processes ``coverage`` and ``isochrones``."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from pydantic import Field, model_validator

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, NetworkInputs
from geoservice.processes.library._shared import (
    network_of,
    one_reach,
    raster_grid,
    reach_text,
    text,
)
from geoservice.processes.library.distributed import (
    ENGINE_FIELD,
    Engine,
    coverage_on_dask,
    use_dask,
)
from geoservice.processes.outputs import LayerOutput, RasterOutput
from geoservice.processes.registry import OutputSpec, Process


class CoverageInputs(NetworkInputs):
    """Inputs of ``coverage``."""

    facilities: FeatureInput = Field(description="Facilities (points, lines or polygons)")
    demand: FeatureInput = Field(description="Demand: polygons (area share) or points (0/1)")
    distance_m: float | None = Field(None, gt=0, description="Euclidean reach in metres")
    minutes: float | None = Field(None, gt=0, description="Travel-time reach over roads")
    population_column: str | None = Field(None, description="Population column of demand")
    units: FeatureInput | None = Field(None, description="Admin units to summarise by")
    unit_key: str | None = Field(None, description="Column naming each unit (with units)")
    max_snap_m: float = Field(
        500.0, gt=0, description="Features farther from the roads are not on the network"
    )
    raster_cell_m: float | None = Field(
        None, gt=0, description="Also write a covered (1) / not covered (0) COG of this cell size"
    )
    engine: Engine = ENGINE_FIELD

    @model_validator(mode="after")
    def _rules(self) -> CoverageInputs:
        one_reach(self.distance_m, self.minutes)
        self.network_needed(self.minutes)
        if self.units is not None and not self.unit_key:
            raise ValueError("input 'unit_key': needed with units")
        return self


def run_coverage(inputs: CoverageInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.coverage.compute_coverage` and shape its outputs."""
    from geoservice.analysis.coverage import compute_coverage

    facilities = ctx.features("facilities", inputs.facilities)
    demand = ctx.features("demand", inputs.demand)
    units = ctx.features("units", inputs.units)
    if use_dask(inputs.engine, len(demand), ctx, _why_not_dask(inputs)):
        return coverage_on_dask(inputs, ctx, facilities, demand, units)
    network = network_of(inputs, ctx, start=10, end=20) if inputs.minutes else None
    result = compute_coverage(
        facilities,
        demand,
        distance_m=inputs.distance_m,
        minutes=inputs.minutes,
        network=network,
        population_col=inputs.population_column,
        units=units,
        unit_key=inputs.unit_key,
        crs=ctx.metric_crs,
        max_snap_m=inputs.max_snap_m,
        progress=ctx.stage(20, 80, "measuring coverage"),
    )
    reach = reach_text(inputs.distance_m, inputs.minutes, inputs.profile)
    outputs: dict = {
        "demand": LayerOutput(
            result.demand,
            text(f"Coverage within {reach}", f"{reach}覆盖情况"),
            f"Demand with covered_share (0–1) within {reach} of the facilities",
            primary=True,
        ),
        "reach": LayerOutput(
            result.reach,
            text(f"Reach of the facilities ({reach})", f"设施服务范围（{reach}）"),
            "Reach polygons: a buffer per facility, or the network band for all",
        ),
    }
    if result.units is not None:
        # the units' geometry_quality goes along: an area_m2 measured on an approximate
        # outline is shown as approximate on the result map too
        keep = [inputs.unit_key, *[q for q in ("geometry_quality",) if q in units]]
        table = units.to_crs(ctx.metric_crs)[[*keep, units.geometry.name]]
        joined = table.merge(result.units, on=inputs.unit_key, how="left")
        outputs["units"] = LayerOutput(
            gpd.GeoDataFrame(joined, geometry=units.geometry.name, crs=ctx.metric_crs),
            text(f"Coverage by unit ({reach})", f"分单元覆盖率（{reach}）"),
            "Per unit: covered area share, covered feature share and population share",
        )
    if inputs.raster_cell_m:
        outputs["surface"] = _coverage_surface(
            result, demand, inputs.raster_cell_m, reach, ctx.metric_crs
        )
    outputs["summary"] = result.summary
    return outputs


def _why_not_dask(inputs: CoverageInputs) -> str | None:
    if inputs.minutes is not None:
        return "measures Euclidean reach (distance_m) only, not minutes over roads"
    if inputs.raster_cell_m is not None:
        return "writes no raster_cell_m surface"
    if inputs.population_column is not None:
        return "does not weight by population_column yet"
    return None


def _coverage_surface(result, demand, cell_m: float, reach: str, crs: Any) -> RasterOutput:
    bounds = demand.to_crs(crs).total_bounds
    gx, gy, transform = raster_grid(bounds, cell_m)
    covered = result.index.covers_points(shapely.points(gx.ravel(), gy.ravel()))
    return RasterOutput(
        covered.reshape(gx.shape).astype("uint8"),
        transform,
        crs,
        text(f"Covered within {reach}", f"{reach}覆盖范围"),
        f"1 where a cell centre is within {reach} of a facility, else 0",
        colormap="greens",
        rescale=(0.0, 1.0),
    )


COVERAGE = Process(
    id="coverage",
    title="Service coverage",
    title_zh="服务覆盖分析",
    description=(
        "Share of each demand feature within a distance (Euclidean buffers) or a travel "
        "time (over a road layer) of the facilities; totals per admin unit; the uncovered "
        "features; optionally a covered/not-covered raster."
    ),
    inputs=CoverageInputs,
    outputs={
        "demand": OutputSpec("Demand with covered_share", "Result collection"),
        "reach": OutputSpec("Reach polygons", "Result collection"),
        "units": OutputSpec("Coverage per unit", "Result collection (with units)"),
        "surface": OutputSpec("Coverage raster", "COG (with raster_cell_m)", "raster"),
        "summary": OutputSpec("Summary", "Totals and shares", "json"),
    },
    run=run_coverage,
    keywords=("coverage", "覆盖"),
)


class IsochroneInputs(NetworkInputs):
    """Inputs of ``isochrones``."""

    facilities: FeatureInput = Field(description="Origins")
    roads: FeatureInput = Field(description="Road lines to route over")
    minutes: list[float] = Field(
        [10, 15, 30], min_length=1, max_length=12, description="Time budgets in minutes"
    )
    edge_buffer_m: float = Field(
        50.0, gt=0, description="Half-width of the band drawn along reached roads"
    )
    per_facility: bool = Field(False, description="One isochrone per facility and budget")
    max_snap_m: float = Field(
        500.0, gt=0, description="Facilities farther from a road reach nothing"
    )

    @model_validator(mode="after")
    def _positive(self) -> IsochroneInputs:
        if any(m <= 0 for m in self.minutes):
            raise ValueError("input 'minutes': every budget must be > 0")
        return self


def run_isochrones(inputs: IsochroneInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.network.compute_isochrones`."""
    from geoservice.analysis.network import compute_isochrones

    facilities = ctx.features("facilities", inputs.facilities)
    network = network_of(inputs, ctx, start=5, end=30)
    if network is None:  # pragma: no cover - roads is required by the model
        raise InvalidParameter("input 'roads' is required")
    result = compute_isochrones(
        network,
        facilities,
        minutes=inputs.minutes,
        edge_buffer_m=inputs.edge_buffer_m,
        per_facility=inputs.per_facility,
        max_snap_m=inputs.max_snap_m,
        progress=ctx.stage(30, 85, "tracing isochrones"),
    )
    budgets = "/".join(f"{m:g}" for m in sorted(inputs.minutes))
    snapped = result.facilities.assign(off_network=result.facilities["node"] < 0)
    return {
        "isochrones": LayerOutput(
            result.isochrones,
            text(f"{budgets}-minute {inputs.profile} isochrones", f"{budgets}分钟等时圈"),
            "Areas reached along roads within each budget (bands around reached roads)",
            primary=True,
        ),
        "facilities": snapped.reset_index(names="facility").to_dict(orient="records"),
        "summary": {**result.summary, "network": network.summary},
    }


ISOCHRONES = Process(
    id="isochrones",
    title="Isochrones over a road network",
    title_zh="等时圈",
    description=(
        "Areas reachable within each time budget (e.g. 10/15/30 minutes) walking or "
        "driving along a road layer, drawn as bands around the reached roads (never a "
        "convex hull)."
    ),
    inputs=IsochroneInputs,
    outputs={
        "isochrones": OutputSpec("Isochrones", "Result collection"),
        "facilities": OutputSpec("Snapping of each facility", "Node and distance", "json"),
        "summary": OutputSpec("Summary", "Parameters and counts", "json"),
    },
    run=run_isochrones,
    keywords=("isochrone", "等时圈", "network"),
)

PROCESSES = [COVERAGE, ISOCHRONES]
