"""Process ``indicators``: plan targets evaluated against the current layers."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from pydantic import Field, model_validator

from geoservice.errors import InvalidParameter, NotFoundError
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import CollectionInput, ProcessInputs
from geoservice.processes.registry import OutputSpec, Process

FILE_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


class IndicatorInputs(ProcessInputs):
    """Inputs of ``indicators``."""

    file: str | None = Field(
        None,
        description="An indicator file of the study area (layers/<area>/indicators/), by "
        "name without extension (e.g. dongsheng-services-plan)",
    )
    definitions: dict[str, Any] | None = Field(
        None, description="Inline indicator definitions: {plan, indicators: [...]}"
    )

    @model_validator(mode="after")
    def _one(self) -> IndicatorInputs:
        if (self.file is None) == (self.definitions is None):
            raise ValueError("inputs 'file' and 'definitions': give exactly one")
        if self.file is not None and not FILE_NAME.match(self.file):
            raise ValueError("input 'file': a file name without folder or extension")
        return self


def run_indicators(inputs: IndicatorInputs, ctx: ProcessContext) -> dict:
    """Evaluate every target; those whose data are missing are reported as not evaluable."""
    from geoservice.analysis.indicators import (
        IndicatorFile,
        evaluate_indicators,
        load_indicators,
        required_layers,
    )
    from geoservice.errors import CatalogError

    if inputs.file is not None:
        folder = ctx.indicators_dir
        path = folder / f"{inputs.file}.yaml" if folder is not None else None
        if path is None or not path.is_file():
            names = sorted(p.stem for p in folder.glob("*.yaml")) if folder is not None else []
            area = ctx.area.id if ctx.area is not None else None
            raise InvalidParameter(
                f"input 'file': study area {area!r} has no indicator file {inputs.file!r}; "
                f"use one of {names}"
            )
        defs = load_indicators(path)
    else:
        try:
            defs = IndicatorFile.model_validate(inputs.definitions)
        except ValueError as exc:
            raise InvalidParameter(f"input 'definitions': {exc}") from None
    layers = {}
    wanted = sorted(required_layers(defs))
    for k, layer_id in enumerate(wanted):
        ctx.report(5 + 40 * k / max(1, len(wanted)), f"reading {layer_id}")
        try:
            # whole layers: a count counts symbolic items; distances leave them out below
            ref = CollectionInput(collection=layer_id)
            layers[layer_id] = ctx.features(layer_id, ref, keep_symbolic=True)
        except (InvalidParameter, NotFoundError, CatalogError):
            continue  # reported per indicator as not evaluable
    results = evaluate_indicators(
        defs,
        layers,
        crs=ctx.metric_crs,
        on_missing="report",
        progress=ctx.stage(45, 90, "evaluating targets"),
        include_symbolic=inputs.include_symbolic,
    )
    rows = [asdict(r) for r in results]
    counts = {s: sum(r.status == s for r in results) for s in ("met", "not_met", "not_evaluable")}
    return {
        "indicators": rows,
        "summary": {
            "plan": defs.plan,
            "indicators": len(results),
            **counts,
            "layers_read": sorted(layers),
            "layers_missing": sorted(set(wanted) - set(layers)),
        },
    }


PROCESSES = [
    Process(
        id="indicators",
        title="Plan-target indicators",
        title_zh="规划指标评估",
        description="Evaluate an indicator file (or inline definitions) against the current "
        "layers: value, target, met or not, and the features responsible. An indicator "
        "whose layer, column or values are missing is reported as not evaluable, naming "
        "what is missing; it is never given a number.",
        inputs=IndicatorInputs,
        outputs={
            "indicators": OutputSpec("Evaluated targets", "One record per indicator", "json"),
            "summary": OutputSpec("Summary", "Counts met / not met / not evaluable", "json"),
        },
        run=run_indicators,
        keywords=("indicators", "targets", "规划指标"),
    )
]
