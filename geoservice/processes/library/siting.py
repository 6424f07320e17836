"""Processes ``siting-mclp`` and ``siting-p-median`` (spopt models solved by CBC)."""

from __future__ import annotations

from pydantic import Field, model_validator

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, NetworkInputs
from geoservice.processes.library._shared import (
    facility_names,
    network_of,
    one_reach,
    text,
    with_names,
)
from geoservice.processes.outputs import LayerOutput
from geoservice.processes.registry import OutputSpec, Process


class SitingInputs(NetworkInputs):
    """Inputs shared by both siting models."""

    demand: FeatureInput = Field(description="Demand features")
    candidates: FeatureInput | None = Field(None, description="Candidate sites")
    boundary: FeatureInput | None = Field(
        None, description="Study area for a grid of candidates (with candidate_spacing_m)"
    )
    candidate_spacing_m: float | None = Field(None, gt=0, description="Grid spacing of candidates")
    existing: FeatureInput | None = Field(None, description="Facilities already there (kept)")
    n_new: int = Field(ge=1, le=200, description="Number of new sites to choose")
    weight_column: str | None = Field(None, description="Demand weight (1 per feature if unset)")
    time_limit_s: float = Field(60.0, gt=0, le=3600, description="Solver time limit")

    @model_validator(mode="after")
    def _candidates(self) -> SitingInputs:
        grid = self.boundary is not None and self.candidate_spacing_m is not None
        if (self.candidates is not None) == grid:
            raise ValueError(
                "inputs 'candidates' / 'boundary'+'candidate_spacing_m': give candidate sites "
                "or a boundary and a spacing for a grid of them"
            )
        return self


class MclpInputs(SitingInputs):
    """Inputs of ``siting-mclp``."""

    distance_m: float | None = Field(None, gt=0, description="Service distance")
    minutes: float | None = Field(None, gt=0, description="Service time over roads")

    @model_validator(mode="after")
    def _reach(self) -> MclpInputs:
        one_reach(self.distance_m, self.minutes)
        self.network_needed(self.minutes)
        return self


def _prepare(inputs: SitingInputs, ctx: ProcessContext):
    demand = ctx.features("demand", inputs.demand)
    existing = ctx.features("existing", inputs.existing)
    if inputs.candidates is not None:
        candidates = ctx.features("candidates", inputs.candidates)
    else:
        from geoservice.analysis.siting import candidate_grid

        boundary = ctx.features("boundary", inputs.boundary)
        candidates = candidate_grid(
            boundary, spacing_m=inputs.candidate_spacing_m, crs=ctx.metric_crs
        )
        candidates = candidates.to_crs(demand.crs)
    if inputs.n_new > len(candidates):
        raise InvalidParameter(
            f"input 'n_new': {inputs.n_new} exceeds the {len(candidates)} candidates"
        )
    return demand, candidates, existing


def _outputs(result, label: str, label_zh: str, candidates=None, existing=None) -> dict:
    chosen = result.sites[result.sites["selected"]]
    names = facility_names((candidates, ""), (existing, "existing:"))
    sites = chosen.assign(_label=[str(i) for i in chosen.index])
    sites = with_names(sites, "_label", names, "name").drop(columns="_label")
    return {
        "sites": LayerOutput(
            sites,
            text(f"Sites chosen ({label})", f"选址结果（{label_zh}）"),
            "Selected sites (existing ones kept) with the demand they serve",
            primary=True,
        ),
        "demand": LayerOutput(
            with_names(result.demand, "site", names, "site_name"),
            text(f"Demand served ({label})", f"需求分配（{label_zh}）"),
            "Demand with the site serving it and the distance or time",
        ),
        "summary": {**result.summary, "candidates": int((~result.sites["existing"]).sum())},
    }


def run_mclp(inputs: MclpInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.siting.maximal_covering`."""
    from geoservice.analysis.siting import maximal_covering

    demand, candidates, existing = _prepare(inputs, ctx)
    network = network_of(inputs, ctx, start=10, end=30) if inputs.minutes else None
    ctx.report(35, "solving the maximal covering model")
    result = maximal_covering(
        demand,
        candidates,
        n_new=inputs.n_new,
        distance_m=inputs.distance_m,
        minutes=inputs.minutes,
        network=network,
        weight_col=inputs.weight_column,
        existing=existing,
        crs=ctx.metric_crs,
        time_limit_s=inputs.time_limit_s,
    )
    return _outputs(result, "MCLP", "最大覆盖", candidates, existing)


def run_p_median(inputs: SitingInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.siting.p_median`."""
    from geoservice.analysis.siting import p_median

    demand, candidates, existing = _prepare(inputs, ctx)
    network = network_of(inputs, ctx, start=10, end=30)  # None without roads
    ctx.report(35, "solving the p-median model")
    result = p_median(
        demand,
        candidates,
        n_new=inputs.n_new,
        network=network,
        weight_col=inputs.weight_column,
        existing=existing,
        crs=ctx.metric_crs,
        time_limit_s=inputs.time_limit_s,
    )
    return _outputs(result, "p-median", "p中值", candidates, existing)


SITING_OUTPUTS = {
    "sites": OutputSpec("Chosen sites", "Result collection"),
    "demand": OutputSpec("Demand with its site", "Result collection"),
    "summary": OutputSpec("Summary", "Solver status, objective, served share", "json"),
}

PROCESSES = [
    Process(
        id="siting-mclp",
        title="Maximal covering location (MCLP)",
        title_zh="最大覆盖选址",
        description="Choose n new sites (from candidates or a grid) covering the most demand "
        "weight within a distance or travel time; existing facilities are kept. Solved "
        "exactly (spopt + CBC).",
        inputs=MclpInputs,
        outputs=SITING_OUTPUTS,
        run=run_mclp,
        keywords=("siting", "MCLP", "选址"),
    ),
    Process(
        id="siting-p-median",
        title="p-median location",
        title_zh="p中值选址",
        description="Choose n new sites minimising the total weighted distance (or travel "
        "time over roads, when roads are given) from demand to its nearest site. Solved "
        "exactly (spopt + CBC).",
        inputs=SitingInputs,
        outputs=SITING_OUTPUTS,
        run=run_p_median,
        keywords=("siting", "p-median", "选址"),
    ),
]
