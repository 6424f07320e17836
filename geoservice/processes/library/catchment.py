"""Processes ``nearest-facility``, ``voronoi-catchments`` and ``huff``."""

from __future__ import annotations

from pydantic import Field, model_validator

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, NetworkInputs, ResultInputs
from geoservice.processes.library._shared import facility_names, network_of, text, with_names
from geoservice.processes.library.distributed import (
    ENGINE_FIELD,
    Engine,
    nearest_on_dask,
    use_dask,
)
from geoservice.processes.outputs import LayerOutput
from geoservice.processes.registry import OutputSpec, Process

MAX_INLINE_PAIRS = 5_000


class NearestInputs(NetworkInputs):
    """Inputs of ``nearest-facility``."""

    demand: FeatureInput = Field(description="Demand features to allocate")
    facilities: FeatureInput = Field(description="Facilities")
    max_distance_m: float | None = Field(None, gt=0, description="Leave farther demand unallocated")
    max_minutes: float | None = Field(
        None, gt=0, description="Allocate by travel time over roads, up to this many minutes"
    )
    population_column: str | None = Field(None, description="Demand column summed per facility")
    engine: Engine = ENGINE_FIELD

    @model_validator(mode="after")
    def _rules(self) -> NearestInputs:
        if self.max_minutes is not None and self.max_distance_m is not None:
            raise ValueError("inputs 'max_distance_m' and 'max_minutes': give one at most")
        self.network_needed(self.max_minutes)
        return self


def run_nearest(inputs: NearestInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.catchment.assign_nearest`."""
    from geoservice.analysis.catchment import assign_nearest

    demand = ctx.features("demand", inputs.demand)
    facilities = ctx.features("facilities", inputs.facilities)
    why_not = None
    if inputs.max_minutes is not None:
        why_not = "allocates by straight-line distance only, not max_minutes over roads"
    elif inputs.population_column is not None:
        why_not = "does not sum population_column per facility yet"
    if use_dask(inputs.engine, len(demand), ctx, why_not):
        return nearest_on_dask(inputs, ctx, demand, facilities)
    network = network_of(inputs, ctx, start=10, end=30) if inputs.max_minutes else None
    ctx.report(35, "allocating demand")
    result = assign_nearest(
        demand,
        facilities,
        network=network,
        max_distance_m=inputs.max_distance_m,
        max_minutes=inputs.max_minutes,
        population_col=inputs.population_column,
        crs=ctx.metric_crs,
        progress=ctx.stage(35, 85, "allocating demand"),
    )
    return {
        "demand": LayerOutput(
            result.demand,
            text("Nearest facility", "最近设施分配"),
            "Demand with the nearest facility (its feature id) and the distance or time",
            primary=True,
        ),
        "facilities": LayerOutput(
            result.facilities,
            text("Demand allocated per facility", "各设施分配需求"),
            "Facilities with the number of demand features (and population) allocated",
        ),
        "summary": result.summary,
    }


class VoronoiInputs(ResultInputs):
    """Inputs of ``voronoi-catchments``."""

    facilities: FeatureInput = Field(description="Facilities at distinct locations")
    boundary: FeatureInput = Field(description="Polygons whose union is the study area")


def run_voronoi(inputs: VoronoiInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.catchment.voronoi_catchments`."""
    from geoservice.analysis.catchment import voronoi_catchments

    facilities = ctx.features("facilities", inputs.facilities)
    boundary = ctx.features("boundary", inputs.boundary)
    ctx.report(30, "splitting the study area")
    result = voronoi_catchments(facilities, boundary=boundary, crs=ctx.metric_crs)
    return {
        "catchments": LayerOutput(
            result.catchments,
            text("Voronoi catchments", "泰森多边形服务区"),
            "The part of the study area closest to each facility (straight-line distance)",
            primary=True,
        ),
        "summary": result.summary,
    }


class HuffInputs(NetworkInputs):
    """Inputs of ``huff``."""

    demand: FeatureInput = Field(description="Demand features (e.g. villages, cells)")
    facilities: FeatureInput = Field(description="Competing facilities (e.g. business circles)")
    attractiveness_column: str | None = Field(
        None, description="Facility attractiveness (e.g. floor area); every value must be known"
    )
    attractiveness_value: float | None = Field(
        None,
        gt=0,
        description="An explicit assumption: every facility equally attractive (this value); "
        "use when no real attractiveness is known. Reported in the summary.",
    )
    decay_exponent: float = Field(2.0, ge=0, description="Distance-decay exponent λ")
    attractiveness_exponent: float = Field(1.0, ge=0, description="Attractiveness exponent α")
    population_column: str | None = Field(None, description="Demand population → expected visitors")
    max_distance_m: float | None = Field(None, gt=0, description="Ignore farther facilities")
    max_minutes: float | None = Field(None, gt=0, description="Use travel minutes over roads")

    @model_validator(mode="after")
    def _rules(self) -> HuffInputs:
        if (self.attractiveness_column is None) == (self.attractiveness_value is None):
            raise ValueError(
                "inputs 'attractiveness_column' and 'attractiveness_value': give exactly one"
            )
        self.network_needed(self.max_minutes)
        return self


def run_huff(inputs: HuffInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.catchment.huff_model`."""
    from geoservice.analysis.catchment import huff_model

    demand = ctx.features("demand", inputs.demand)
    facilities = ctx.features("facilities", inputs.facilities)
    column, assumption = _attractiveness(inputs, facilities)
    if assumption:
        facilities = facilities.assign(**{column: inputs.attractiveness_value})
    network = network_of(inputs, ctx, start=10, end=30) if inputs.max_minutes else None
    ctx.report(35, "computing patronage probabilities")
    result = huff_model(
        demand,
        facilities,
        attractiveness_col=column,
        decay_exponent=inputs.decay_exponent,
        attractiveness_exponent=inputs.attractiveness_exponent,
        population_col=inputs.population_column,
        network=network,
        max_distance_m=inputs.max_distance_m,
        max_minutes=inputs.max_minutes,
        crs=ctx.metric_crs,
    )
    probabilities = result.probabilities
    names = facility_names((facilities, ""))
    return {
        "demand": LayerOutput(
            with_names(result.demand, "most_likely_facility", names, "most_likely_name"),
            text("Huff catchments", "Huff模型商圈"),
            "Demand with its most likely facility and that probability",
            primary=True,
        ),
        "facilities": LayerOutput(
            result.facilities,
            text("Huff market shares", "Huff模型市场份额"),
            "Facilities with market_share (and expected_visitors with population)",
        ),
        "probabilities": probabilities.head(MAX_INLINE_PAIRS),
        "summary": {
            **result.summary,
            "attractiveness": assumption or f"column {column!r}",
            "probabilities_shown": min(len(probabilities), MAX_INLINE_PAIRS),
        },
    }


def _attractiveness(inputs: HuffInputs, facilities) -> tuple[str, str | None]:
    if inputs.attractiveness_value is not None:
        return "attractiveness_assumed", (
            f"assumed equal for every facility ({inputs.attractiveness_value:g}); "
            "no real attractiveness was used"
        )
    column = inputs.attractiveness_column
    if column not in facilities.columns:
        raise InvalidParameter(f"input 'attractiveness_column': facilities have no {column!r}")
    unknown = int(facilities[column].isna().sum())
    if unknown:
        raise InvalidParameter(
            f"input 'attractiveness_column': {unknown} of {len(facilities)} facilities have no "
            f"{column!r}; load real values, or state an assumption with attractiveness_value"
        )
    return column, None


PROCESSES = [
    Process(
        id="nearest-facility",
        title="Nearest-facility allocation",
        title_zh="最近设施分配",
        description="Allocate each demand feature to its nearest facility by straight-line "
        "distance or by travel time over a road layer.",
        inputs=NearestInputs,
        outputs={
            "demand": OutputSpec("Demand with its facility", "Result collection"),
            "facilities": OutputSpec("Facilities with allocated demand", "Result collection"),
            "summary": OutputSpec("Summary", "Counts, mean and max cost", "json"),
        },
        run=run_nearest,
        keywords=("catchment", "nearest"),
    ),
    Process(
        id="voronoi-catchments",
        title="Voronoi catchments",
        title_zh="泰森多边形服务区",
        description="Split a study area into the parts closest to each facility, clipped to "
        "the boundary.",
        inputs=VoronoiInputs,
        outputs={
            "catchments": OutputSpec("Catchments", "Result collection"),
            "summary": OutputSpec("Summary", "Counts and area", "json"),
        },
        run=run_voronoi,
        keywords=("catchment", "voronoi"),
    ),
    Process(
        id="huff",
        title="Huff gravity model",
        title_zh="Huff引力模型",
        description="Probability that each demand feature patronises each facility, "
        "P = A^α d^-λ / Σ A^α d^-λ; market shares and expected visitors per facility. "
        "Attractiveness comes from a column, or from an explicit equal-attractiveness "
        "assumption that the summary reports.",
        inputs=HuffInputs,
        outputs={
            "demand": OutputSpec("Demand with its most likely facility", "Result collection"),
            "facilities": OutputSpec("Facilities with market shares", "Result collection"),
            "probabilities": OutputSpec("Demand × facility probabilities", "Table", "json"),
            "summary": OutputSpec("Summary", "Parameters and assumptions", "json"),
        },
        run=run_huff,
        keywords=("catchment", "huff", "商圈"),
    ),
]
