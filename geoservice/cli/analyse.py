"""``geoservice analyse <process> ...``: run the OGC processes from the shell.

One sub-command per process, with one option per input (``--distance-m 3000``);
a layer input takes a collection id (``--facilities logistics``, with
``--facilities-filter "<cql2-text>"``) or a GeoJSON file. Jobs go through the
same job manager as HTTP requests, so they are recorded (``/jobs`` lists them)
and their results are collections the server shows at once.
``geoservice analyse outputs [AREA]`` runs a study area's declared outputs.
"""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from geoservice.errors import GeoserviceError
from geoservice.processes.inputs import CollectionInput, parse_inputs
from geoservice.processes.jobs import CLI_OWNER
from geoservice.processes.registry import Process, get_process, processes
from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Run analyses (the OGC processes) on the store.")
console = Console(stderr=True)


def run_job(manager, process: Process, raw: dict[str, Any], label: str) -> dict[str, Any]:
    """Run one job with a progress bar; return its results or raise its error."""
    inputs = parse_inputs(process.inputs, raw)
    submitted = manager.submit(process, inputs, author="geoservice analyse", owner_key=CLI_OWNER)
    job_id = submitted.record.job_id
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(label, total=100)
        while not submitted.future.done():
            record = manager.jobs.get(job_id)
            bar.update(task, completed=record.progress, description=f"{label}: {record.message}")
            time.sleep(0.1)
        record = manager.jobs.get(job_id)
        bar.update(task, completed=100 if record.status == "successful" else record.progress)
    if record.status != "successful":
        error = record.error or {}
        raise GeoserviceError(f"{label}: {error.get('description', record.status)}")
    return record.results or {}


def _value(raw: str, layer_input: bool) -> Any:
    """Turn an option's text into an input value (collection, GeoJSON file, list, JSON)."""
    path = Path(raw)
    if path.suffix.lower() in (".json", ".geojson", ".yaml", ".yml") and path.is_file():
        import yaml

        return yaml.safe_load(path.read_text(encoding="utf-8"))
    if layer_input:
        return {"collection": raw}
    if raw[:1] in "[{":
        return json.loads(raw)
    return raw.split(",") if "," in raw else raw


def _is_layer_input(info) -> bool:
    return "CollectionInput" in str(info.annotation) or "FeatureInput" in str(info.annotation)


def _gather(process: Process, options: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name, info in process.inputs.model_fields.items():
        text = options.get(name)
        if text is None:
            continue
        value = _value(text, _is_layer_input(info))
        if _is_layer_input(info) and options.get(f"{name}_filter"):
            value["filter"] = options[f"{name}_filter"]
        if "list" in str(info.annotation) and not isinstance(value, list):
            value = [value]
        raw[name] = value
    return raw


def _command(process: Process):
    params = []
    for name, info in process.inputs.model_fields.items():
        flag = "--" + name.replace("_", "-")
        params.append(_option(name, flag, info.description or ""))
        if _is_layer_input(info):
            params.append(_option(f"{name}_filter", f"{flag}-filter", f"CQL2 filter on {name}"))
    if "engine" in process.inputs.model_fields:
        params.append(
            _option(
                "scheduler",
                "--scheduler",
                "Dask scheduler (tcp://host:8786) for --engine dask; default "
                "GEOSERVICE_DASK_SCHEDULER, else a local cluster",
            )
        )

    def command(**options: Any) -> None:
        _run_and_show(process, _gather(process, options), options.get("scheduler"))

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: str | None for p in params}
    command.__doc__ = process.description
    return command


def _option(name: str, flag: str, help_text: str) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(None, flag, help=help_text),
        annotation=str | None,
    )


def _run_and_show(process: Process, raw: dict[str, Any], scheduler: str | None = None) -> None:
    with open_runtime(scheduler) as runtime:
        try:
            results = run_job(runtime.jobs, process, raw, process.id)
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    show_results(results)


def show_results(results: dict[str, Any]) -> None:
    """Print the collections and rasters written, the summary as JSON and what the
    inputs' data quality means for it."""
    table = Table("output", "collection / raster", "features", "href")
    for name, value in results.items():
        if isinstance(value, dict) and "href" in value:
            ident = value.get("collection") or value.get("raster")
            table.add_row(name, ident, str(value.get("numberOfFeatures", "")), value["href"])
    console.print(table)
    summary = results.get("summary")
    if summary is not None:
        console.print_json(json.dumps(summary, ensure_ascii=False, default=str))
    quality = results.get("data_quality")
    if isinstance(quality, dict) and quality.get("note"):
        console.print(f"data quality: {quality['note']}")


for _process in processes().values():
    app.command(_process.id, help=_process.description)(_command(_process))


@app.command("outputs")
def area_outputs(
    area: str | None = typer.Argument(None, help="Study area (default: the default area)."),
    out: Path | None = typer.Option(
        None, help="Also write every results document to this JSON file."
    ),
) -> None:
    """Produce a study area's declared outputs (layers/<area>/outputs.yaml) as collections."""
    from geoservice.processes.area_outputs import headline, load_outputs

    results: dict[str, Any] = {}
    with open_runtime() as runtime:
        catalog = runtime.catalog.catalog()
        try:
            chosen = catalog.area(area)
            outputs = load_outputs(chosen.id, catalog.area_folders.get(chosen.id))
            if not outputs.steps:
                raise GeoserviceError(f"study area {chosen.id!r} declares no outputs.yaml")
            _require_data(runtime, outputs)
            for step in outputs.steps:
                console.print(f"[bold]{step.key}[/bold]: {step.question}")
                process = get_process(step.process)
                results[step.key] = run_job(
                    runtime.jobs, process, outputs.inputs_of(step), step.key
                )
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    if out is not None:
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print_json(json.dumps(headline(results), ensure_ascii=False))


def open_runtime(scheduler: str | None = None):
    """Open the service's parts for one command (no tiles, one job at a time);
    ``scheduler`` overrides the Dask scheduler address of the settings."""
    from geoservice.runtime import Runtime

    settings = Settings()
    if scheduler:
        settings = settings.model_copy(update={"dask_scheduler": scheduler})
    return Runtime.open(settings, tiles=False, job_workers=1)


def _require_data(runtime, outputs) -> None:
    catalog = runtime.catalog.catalog()
    for step in outputs.steps:
        for value in step.inputs.values():
            if not isinstance(value, dict) or "collection" not in value:
                continue
            ref = CollectionInput(collection=value["collection"])
            if ref.layer_id not in catalog or not runtime.store.has_layer(ref.layer_id):
                raise GeoserviceError(
                    f"step {step.key!r} reads {ref.layer_id!r}, which has no data; "
                    "run `geoservice data build` first"
                )
