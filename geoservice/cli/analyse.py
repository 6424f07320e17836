"""``geoservice analyse <process> ...``: run the OGC processes from the shell.

One sub-command per process, with one option per input (``--distance-m 3000``);
a layer input takes a collection id (``--facilities logistics``, with
``--facilities-filter "<cql2-text>"``) or a GeoJSON file. Jobs go through the
same job manager as HTTP requests, so they are recorded (``/jobs`` lists them)
and their results are collections the server shows at once.
``geoservice analyse dongsheng`` runs every sample output.
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
from geoservice.processes.registry import Process, get_process, processes
from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Run analyses (the OGC processes) on the store.")
console = Console(stderr=True)


def open_manager(settings: Settings):
    """Return a job manager over the configured store and layers folder."""
    from geoservice.processes.jobs import JobStore
    from geoservice.processes.layers import FolderRegistry
    from geoservice.processes.manager import JobManager
    from geoservice.storage import open_store

    return JobManager(
        jobs=JobStore(settings.jobs_db_path),
        store=open_store(settings),
        layers=FolderRegistry(settings.layers_dir, settings.styles_dir),
        raster_dir=settings.raster_dir,
        indicators_dir=settings.indicators_dir,
        workers=1,
        max_inline_features=settings.processes.max_inline_features,
    )


def close_manager(manager) -> None:
    """Stop the workers and release the store."""
    manager.close()
    manager.jobs.close()
    manager.store.close()


def run_job(manager, process: Process, raw: dict[str, Any], label: str) -> dict[str, Any]:
    """Run one job with a progress bar; return its results or raise its error."""
    inputs = parse_inputs(process.inputs, raw)
    submitted = manager.submit(process, inputs, author="geoservice analyse")
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

    def command(**options: Any) -> None:
        _run_and_show(process, _gather(process, options))

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


def _run_and_show(process: Process, raw: dict[str, Any]) -> None:
    settings = Settings()
    manager = open_manager(settings)
    try:
        results = run_job(manager, process, raw, process.id)
    except GeoserviceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        close_manager(manager)
    show_results(results)


def show_results(results: dict[str, Any]) -> None:
    """Print the collections and rasters written, then the summary as JSON."""
    table = Table("output", "collection / raster", "features", "href")
    for name, value in results.items():
        if isinstance(value, dict) and "href" in value:
            ident = value.get("collection") or value.get("raster")
            table.add_row(name, ident, str(value.get("numberOfFeatures", "")), value["href"])
    console.print(table)
    summary = results.get("summary")
    if summary is not None:
        console.print_json(json.dumps(summary, ensure_ascii=False, default=str))


for _process in processes().values():
    app.command(_process.id, help=_process.description)(_command(_process))


@app.command("dongsheng")
def dongsheng(
    out: Path | None = typer.Option(
        None, help="Also write every results document to this JSON file."
    ),
) -> None:
    """Produce every Dongsheng sample output as collections (run `data build` first)."""
    from geoservice.processes.dongsheng import STEPS, headline

    settings = Settings()
    manager = open_manager(settings)
    results: dict[str, Any] = {}
    try:
        _require_sample(manager)
        for step in STEPS:
            console.print(f"[bold]{step.key}[/bold]: {step.question}")
            results[step.key] = run_job(
                manager, get_process(step.process_id), step.inputs, step.key
            )
    except GeoserviceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        close_manager(manager)
    if out is not None:
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print_json(json.dumps(headline(results), ensure_ascii=False))


def _require_sample(manager) -> None:
    catalog = manager.layers.catalog()
    for layer_id in ("villages", "logistics", "roads", "farmland_grid", "commercial_districts"):
        ref = CollectionInput(collection=layer_id)
        if ref.layer_id not in catalog or not manager.store.has_layer(layer_id):
            raise GeoserviceError(
                f"the sample layer {layer_id!r} has no data; run `geoservice data build` first"
            )
