"""A study area's standard outputs: the plan's spatial questions, declared as process runs.

``layers/<area>/outputs.yaml`` lists steps, each a process id with its inputs and
the question it answers, so ``geoservice analyse outputs <area>`` and the tests
run exactly what a client could POST. Every step runs in its area (the ``area``
input is set), so it measures in the area's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geoservice.errors import CatalogError

OUTPUTS_FILE = "outputs.yaml"


class Step(BaseModel):
    """One output: a process, its inputs, and what it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    process: str
    question: str
    inputs: dict[str, Any]


class _OutputsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[Step]


@dataclass(frozen=True)
class AreaOutputs:
    """The declared outputs of one study area."""

    area: str
    steps: tuple[Step, ...]

    def inputs_of(self, step: Step) -> dict[str, Any]:
        """Return a step's inputs with its study area set."""
        return {**step.inputs, "area": self.area}


def load_outputs(area_id: str, folder: Path | None) -> AreaOutputs:
    """Read ``<folder>/outputs.yaml`` (no steps when the area declares none).

    Raises
    ------
    CatalogError
        When the file is not valid, naming the step and the rule.
    """
    path = folder / OUTPUTS_FILE if folder is not None else None
    if path is None or not path.is_file():
        return AreaOutputs(area_id, ())
    try:
        parsed = _OutputsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{area_id}/{OUTPUTS_FILE}: {exc}") from None
    return AreaOutputs(area_id, tuple(parsed.steps))


def headline(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Pick what a planner reads first from each step's results: its summary, or for
    indicator steps each target's comparison."""
    out: dict[str, Any] = {}
    for key, result in results.items():
        if "indicators" in result:
            out[key] = {
                r["id"]: r["comparison"] if r["status"] != "not_evaluable" else "not evaluable"
                for r in result["indicators"]
            }
        elif isinstance(result.get("summary"), dict):
            out[key] = _scalars(result["summary"])
    return out


def _scalars(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        k: round(v, 4) if isinstance(v, float) else v
        for k, v in summary.items()
        if isinstance(v, str | int | float | bool) or v is None
    }
