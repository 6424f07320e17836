"""The processes on offer: id → :class:`Process` (inputs model, outputs, run function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from geoservice.errors import NotFoundError
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import ProcessInputs


class ProcessNotFound(NotFoundError):
    """No process with this id."""

    code = "NoSuchProcess"


@dataclass(frozen=True)
class OutputSpec:
    """One output of a process, as its description lists it."""

    title: str
    description: str
    kind: Literal["collection", "raster", "json"] = "collection"


DATA_QUALITY = "data_quality"
QUALITY_OUTPUT = OutputSpec(
    "Data quality of the inputs",
    "Per layer input and in total: features used, how many were sourced, proxies, "
    "placed by a rule, symbolic (not locations) or of unknown origin, and how many "
    "symbolic ones were left out (see include_symbolic)",
    "json",
)


@dataclass(frozen=True)
class Process:
    """A process: what it takes, what it gives, and the function that runs it.

    ``run(inputs, ctx)`` returns output id → value (see :mod:`.outputs`).
    """

    id: str
    title: str
    title_zh: str
    description: str
    inputs: type[ProcessInputs]
    outputs: Mapping[str, OutputSpec]
    run: Callable[[Any, ProcessContext], dict[str, Any]] = field(repr=False)
    version: str = "1.0.0"
    keywords: tuple[str, ...] = ()
    check: Callable[[Any, ProcessContext], None] | None = field(default=None, repr=False)
    """Refuses inputs that only their data can judge (a population column that is a
    code), before a job exists: a synchronous and an asynchronous request then get
    the same 400, instead of an accepted job that fails. It runs on the request
    thread, so it only reads the inputs it judges and counts; ``run`` checks again."""

    def __post_init__(self) -> None:
        # every run reports how its inputs were located (added by the job manager)
        object.__setattr__(self, "outputs", {**self.outputs, DATA_QUALITY: QUALITY_OUTPUT})


@cache
def processes() -> dict[str, Process]:
    """Return every process by id, in the order they are listed."""
    from geoservice.processes.library import (
        access,
        catchment,
        coverage,
        distributed,
        farmland,
        indicators,
        industry,
        siting,
    )

    found: dict[str, Process] = {}
    modules = (coverage, catchment, access, siting, farmland, indicators, distributed, industry)
    for module in modules:
        for process in module.PROCESSES:
            found[process.id] = process
    return found


def get_process(process_id: str) -> Process:
    """Return a process or raise :class:`ProcessNotFound` (404)."""
    try:
        return processes()[process_id]
    except KeyError:
        raise ProcessNotFound(
            f"process {process_id!r} not found; see /processes for the list",
            details={
                "type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process"
            },
        ) from None
