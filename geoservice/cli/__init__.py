"""Command line: ``geoservice serve | check-layers | data build | export-openapi | ...``.

Each group of commands lives in its own module and is added to :data:`app` here.
"""

from __future__ import annotations

import typer

from geoservice.cli import core, data, tiles

app = typer.Typer(
    help="geoservice: planning layers, analyses, OGC APIs, tiles and maps.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
core.register(app)
app.add_typer(data.app, name="data", help="Build the sample store.")
app.add_typer(tiles.app, name="tiles", help="Seed the tile cache; export PMTiles/MBTiles.")

__all__ = ["app"]
