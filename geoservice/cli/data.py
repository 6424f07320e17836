"""``geoservice data build``: the study areas' sample layers into the configured store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import Progress

from geoservice.settings import Settings

if TYPE_CHECKING:
    from geoservice.catalog.models import LayerDef
    from geoservice.storage.base import FeatureStore

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("build")
def build(
    area: list[str] = typer.Option(
        [], "--area", "-a", help="Study area to build (repeat; default: every area with a builder)."
    ),
    cell_m: float = typer.Option(
        500.0, help="Farmland grid cell size in metres (the area's metric CRS)."
    ),
    if_missing: bool = typer.Option(
        False,
        "--if-missing",
        help="Do nothing for an area whose sample layers all have data already, "
        "with a column for every declared attribute.",
    ),
) -> None:
    """Build the sample layers of study areas and store each as a new version."""
    from geoservice.errors import GeoserviceError
    from geoservice.farmland.records import create_empty_record_layers
    from geoservice.farmland.scheme import RECORD_LAYER_KINDS
    from geoservice.runtime import Runtime
    from geoservice.sampledata import BUILDERS

    with Runtime.open(Settings(), tiles=False, job_workers=1) as runtime:
        catalog = runtime.catalog.catalog()
        try:
            chosen = [catalog.area(a) for a in area] or list(catalog.areas.values())
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        for item in chosen:
            if item.sample_data is None:
                if area:
                    console.print(f"study area {item.id!r} has no sample-data builder")
                continue
            if item.sample_data not in BUILDERS:
                console.print(f"[red]{item.id}: unknown sample-data builder {item.sample_data!r}")
                raise typer.Exit(1)
            for layer_id in create_empty_record_layers(runtime.store, catalog, item.id):
                console.print(f"{layer_id}: empty (entered by staff and wardens, never built)")
            built = ("analysis_result", *RECORD_LAYER_KINDS)
            layers = [layer for layer in catalog.layers_in(item.id) if layer.kind not in built]
            if if_missing:
                outdated = outdated_layers(runtime.store, layers)
                if not outdated:
                    console.print(f"{item.id}: sample store present; nothing to do")
                    continue
                if stale := [r for r in outdated if not r.endswith(": no data")]:
                    console.print(f"{item.id}: rebuilding ({'; '.join(stale)})")
            _write(
                runtime.store, catalog, BUILDERS[item.sample_data](farmland_cell_m=cell_m), cell_m
            )


def outdated_layers(store: FeatureStore, layers: Iterable[LayerDef]) -> list[str]:
    """Say which sample layers have no data, or lack a column for a declared attribute
    (stored before it was declared, e.g. a new Chinese twin)."""
    reasons = []
    for layer in layers:
        if not store.has_layer(layer.id):
            reasons.append(f"{layer.id}: no data")
        elif missing := store.missing_attributes(layer):
            reasons.append(f"{layer.id}: no {', '.join(missing)}")
    return reasons


def _write(store, catalog, frames, cell_m: float) -> None:
    with Progress(console=console) as progress:
        task = progress.add_task("writing layers", total=len(frames))
        for layer_id, frame in frames.items():
            info = store.write(
                catalog.get(layer_id),
                frame,
                author="geoservice data build",
                action="sample-build",
                message=f"farmland cell {cell_m:g} m",
            )
            progress.console.print(
                f"{layer_id}: version {info.version}, {info.feature_count} features"
            )
            progress.advance(task)
