"""``geoservice tiles seed``: pre-generate vector tiles, optionally as PMTiles/MBTiles."""

from __future__ import annotations

import contextlib
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
    from geoservice.tiles.seed import parse_zooms, pyramid

    if export is not None and tms != "WebMercatorQuad":
        raise typer.BadParameter("PMTiles and MBTiles hold WebMercatorQuad tiles only")
    if export is not None:
        from geoservice.tiles.archive import check_suffix

        try:
            check_suffix(export)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
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
        with contextlib.ExitStack() as archive:
            sink = None
            if export is not None:
                sink, addresses = _archive(archive, export, addresses, layers, bbox, zoom_range)
            report = _seed_with_progress(runtime.vector, layers, addresses, workers, sink)
        console.print(
            f"{report.produced} tiles (z{zoom_range.start}-{zoom_range.stop - 1}), "
            f"{report.empty} empty, {report.bytes / 1e6:.1f} MB gzip"
        )
        if export is not None:
            console.print(f"wrote {report.produced - report.empty} tiles to {export}")


def _seed_with_progress(vector, layers, addresses, workers, sink):
    from geoservice.tiles.seed import seed

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        names = ",".join(item.id for item in layers)
        task = progress.add_task(f"seeding {names}", total=len(addresses))
        return seed(
            vector,
            layers,
            addresses,
            workers=workers,
            sink=sink,
            progress=lambda: progress.advance(task),
        )


def _archive(stack: contextlib.ExitStack, path: Path, addresses, layers, bbox, zoom_range):
    """Open the archive (whole at ``path`` only once the seed ends well); return its sink
    and the addresses in the order that clusters it."""
    from geoservice.tiles.archive import archive_order, open_archive
    from geoservice.tiles.documents import tilejson

    meta = tilejson(name=",".join(x.id for x in layers), tiles_url="", layers=layers, bbox=bbox)
    meta.update(minzoom=zoom_range.start, maxzoom=zoom_range.stop - 1)
    archive = stack.enter_context(open_archive(path, meta))
    return (lambda a, body: archive.add(a.z, a.col, a.row, body)), archive_order(addresses)


def _union(boxes):
    box = union_boxes(boxes)
    if box is None:
        raise typer.BadParameter("the layers hold no data")
    return box
