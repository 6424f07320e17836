"""``geoservice ingest FILE --layer ID``: the upload of the HTTP API, from a shell.

Creates the layer (declared under the data directory, in its study area) when the
catalogue has none of that id, shows a progress bar while batches are checked and
written, and prints the validation report as a table. Exit status: 0 stored (or a
clean dry run), 1 refused.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from geoservice.settings import Settings

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the ingest command to ``app``."""
    app.command("ingest")(ingest_command)


def ingest_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="File to upload."),
    layer: str = typer.Option(..., "--layer", help="Layer id (created if missing)."),
    mode: str = typer.Option("replace", help="replace or append."),
    crs: str | None = typer.Option(
        None, help="CRS of the file, e.g. EPSG:4546 (CGCS2000 GK CM 111E; overrides .prj)."
    ),
    source_layer: str | None = typer.Option(None, help="Layer inside a GeoPackage/KML/zip."),
    from_gcj02: bool = typer.Option(False, "--from-gcj02", help="Lon/lat are GCJ-02 (AMap)."),
    from_bd09: bool = typer.Option(False, "--from-bd09", help="Lon/lat are BD-09 (Baidu)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report only."),
    repair: bool = typer.Option(False, "--repair", help="Repair invalid geometries."),
    force_2d: bool = typer.Option(False, "--force-2d", help="Drop Z/M values."),
    encoding: str | None = typer.Option(None, help="Shapefile text encoding (overrides .cpg)."),
    author: str = typer.Option("cli", help="Recorded as the author of the version."),
    kind: str = typer.Option("admin_units", help="New layers: kind."),
    key: str | None = typer.Option(None, help="New layers: key attribute."),
    title_zh: str | None = typer.Option(None, help="New layers: Chinese title."),
    area: str | None = typer.Option(
        None, help="New layers: study area to join (default: the default area)."
    ),
    on_error: str = typer.Option(
        "reject", help="reject (a bad feature refuses the file) or skip (bad features set aside)."
    ),
    field_map: list[str] = typer.Option(
        [], "--map", help="A file column's attribute, e.g. --map 名称=name_zh (repeatable)."
    ),
    save_map: bool = typer.Option(
        False, "--save-map", help="Once stored, keep the --map pairs as the layer's mapping."
    ),
    saved_map: bool = typer.Option(
        True, "--saved-map/--no-saved-map", help="Without --map, use the layer's saved mapping."
    ),
    field_type: list[str] = typer.Option(
        [], "--type", help="New layers: a column's type, e.g. --type val=integer (repeatable)."
    ),
) -> None:
    """Check a GIS file and store it as a new version of a layer."""
    from geoservice.errors import GeoserviceError
    from geoservice.ingest import IngestOptions, NewLayerSpec
    from geoservice.ingest.options import parse_field_map

    if from_gcj02 and from_bd09:
        console.print("[red]--from-gcj02 and --from-bd09 exclude each other[/red]")
        raise typer.Exit(2)
    system = "gcj02" if from_gcj02 else "bd09" if from_bd09 else "wgs84"
    try:
        options = IngestOptions(
            mode=mode,
            crs=crs,
            source_layer=source_layer,
            coordinate_system=system,
            dry_run=dry_run,
            repair=repair,
            force_2d=force_2d,
            encoding=encoding,
            author=author,
            on_error=on_error,
            field_map=parse_field_map(",".join(field_map)),
            save_field_map=save_map,
            use_saved_field_map=saved_map,
        )
        spec = NewLayerSpec(
            id=layer,
            kind=kind,
            key=key,
            title_zh=title_zh,
            area=area,
            field_types=",".join(field_type) or None,
        )
        outcome = _run(file, spec, options)
    except GeoserviceError as exc:
        console.print(f"[red]{exc.message}[/red]")
        if isinstance(exc.details, dict) and "errors" in exc.details:
            print_report(exc.details)
        raise typer.Exit(1) from None
    print_report(outcome.report.as_dict())
    if not outcome.report.accepted:  # a dry run that found problems
        raise typer.Exit(1)


def _run(file: Path, spec, options):
    """Ingest ``file`` into layer ``spec.id``, declaring it from ``spec`` if it is new."""
    import dataclasses

    from geoservice.ingest import Upload, ingest
    from geoservice.ingest.fieldmaps import FieldMapStore
    from geoservice.ingest.workdir import remove_stale
    from geoservice.runtime import Runtime

    settings = Settings()
    remove_stale(settings.uploads.work_dir)  # left by uploads killed mid-way
    with Runtime.open(settings, tiles=False, job_workers=1) as runtime:
        catalog = runtime.catalog.catalog()
        existing = catalog.layers.get(spec.id)
        new = None
        if existing is None:
            new = dataclasses.replace(spec, area=catalog.area(spec.area).id)
        with _progress() as update:
            outcome = ingest(
                Upload(file, file.name),
                store=runtime.store,
                catalog=catalog,
                limits=settings.uploads,
                options=options,
                layer=existing,
                new_layer=new,
                progress=update,
                rejected_dir=settings.rejected_dir,
                field_maps=FieldMapStore(settings.field_maps_dir),
            )
        rejected = outcome.report.rejected_file
        if rejected:
            where = settings.rejected_dir / rejected["token"] / rejected["name"]
            console.print(f"{rejected['count']} feature(s) left out, written to {where}")
        if new is not None and outcome.version is not None:
            runtime.catalog.publish(outcome.layer)
            console.print(
                f"declared new layer {spec.id!r} in study area {new.area!r} "
                f"(under {settings.runtime_layers_dir})"
            )
    return outcome


class _progress:
    def __enter__(self):
        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.bar.__enter__()
        task = self.bar.add_task("features checked and written", total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)


def print_report(report: dict) -> None:
    """Print a validation report as rich tables."""
    summary = Table(title=f"{report['file']} → {report['layer']}", show_header=False)
    for name in ("format", "source_layer", "feature_count", "coordinate_system", "accepted"):
        summary.add_row(name, str(report.get(name)))
    summary.add_row("encoding", str(report.get("encoding")))
    summary.add_row("crs", str(report.get("crs")))
    summary.add_row("geometry types", str(report.get("geometry_types")))
    if report.get("version"):
        summary.add_row("version", str(report["version"]["version"]))
    if report.get("field_map"):
        used = report["field_map"]
        note = " (saved for the layer)" if used.get("saved") else ""
        summary.add_row(f"field map from {used['from']}{note}", str(used["field_map"]))
    console.print(summary)
    findings = Table("severity", "rule", "feature", "message", title="findings")
    for severity in ("errors", "warnings", "repairs"):
        for f in report.get(severity, []):
            findings.add_row(severity[:-1], f["rule"], str(f.get("feature", "")), f["message"])
    if findings.row_count:
        console.print(findings)
