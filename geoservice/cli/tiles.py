"""``geoservice tiles seed``: pre-generate vector tiles, optionally as PMTiles/MBTiles."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from geoservice.crs import union_boxes
from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("seed")
def seed_command(
    layer: list[str] = typer.Option(..., "--layer", "-l", help="Layer id (repeat for several)."),
    zooms: str = typer.Option("0-12", help="Zoom range, e.g. 0-12."),
    tms: str = typer.Option("WebMercatorQuad", help="Tile matrix set."),
    export: Path | None = typer.Option(
        None, help="Also write the tiles to a .pmtiles or .mbtiles file (WebMercatorQuad)."
    ),
    workers: int = typer.Option(2, help="Tiles produced in parallel."),
) -> None:
    """Fill the tile cache for layers and zooms (and export an archive)."""
    from geoservice.runtime import Runtime
    from geoservice.tiles.seed import parse_zooms, pyramid, seed

    if export is not None and tms != "WebMercatorQuad":
        raise typer.BadParameter("PMTiles and MBTiles hold WebMercatorQuad tiles only")
    settings = Settings()
    with Runtime.open(settings, job_workers=1) as opened:
        catalog, store, runtime = opened.catalog.catalog(), opened.store, opened.tiles
        layers = [catalog.get(layer_id) for layer_id in layer]
        bbox = _union([store.bounds(item) for item in layers])
        low = min(item.tiles.min_zoom for item in layers)
        high = max(item.tiles.max_zoom for item in layers)
        wanted = parse_zooms(zooms)
        zoom_range = range(max(wanted.start, low), min(wanted.stop - 1, high) + 1)
        addresses = pyramid(tms, bbox, zoom_range)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(f"seeding {','.join(layer)}", total=len(addresses))
            report = seed(
                runtime.vector,
                layers,
                addresses,
                workers=workers,
                keep=export is not None,
                progress=lambda: progress.advance(task),
            )
        console.print(
            f"{report.produced} tiles (z{zoom_range.start}-{zoom_range.stop - 1}), "
            f"{report.empty} empty, {report.bytes / 1e6:.1f} MB gzip"
        )
        if export is not None:
            _export(export, report, layers, bbox, zoom_range, settings)


def _export(path: Path, report, layers, bbox, zoom_range, settings) -> None:
    from geoservice.tiles.archive import write_archive
    from geoservice.tiles.documents import tilejson

    meta = tilejson(name=",".join(x.id for x in layers), tiles_url="", layers=layers, bbox=bbox)
    meta.update(minzoom=zoom_range.start, maxzoom=zoom_range.stop - 1)
    items = ((a.z, a.col, a.row, body) for a, body in report.tiles)
    count = write_archive(path, items, meta)
    console.print(f"wrote {count} tiles to {path}")


def _union(boxes):
    box = union_boxes(boxes)
    if box is None:
        raise typer.BadParameter("the layers hold no data")
    return box
