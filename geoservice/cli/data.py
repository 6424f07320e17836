"""``geoservice data build``: the Dongsheng sample layers into the configured store."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import Progress

from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("build")
def build(
    cell_m: float = typer.Option(500.0, help="Farmland grid cell size in metres (EPSG:4546)."),
    if_missing: bool = typer.Option(
        False,
        "--if-missing",
        help="Do nothing when every sample layer already has data.",
    ),
) -> None:
    """Build every sample layer and store it as a new version."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.sampledata import build_sample_layers
    from geoservice.storage import open_store

    settings = Settings()
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)
    try:
        if if_missing and all(
            store.has_layer(layer.id) for layer in catalog if layer.kind != "analysis_result"
        ):
            console.print("sample store present; nothing to do")
            return
        layers = build_sample_layers(farmland_cell_m=cell_m)
        with Progress(console=console) as progress:
            task = progress.add_task("writing layers", total=len(layers))
            for layer_id, frame in layers.items():
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
    finally:
        store.close()
