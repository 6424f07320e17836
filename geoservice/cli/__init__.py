"""Command line: ``geoservice serve | check-layers | data build | analyse | ...``.

Each group of commands lives in its own module and is added to :data:`app` here.
"""

from __future__ import annotations

import typer

from geoservice.cli import analyse, audit, core, data, ingest, keys, maps, tiles
from geoservice.version import build_info

app = typer.Typer(
    help="geoservice: planning layers, analyses, OGC APIs, tiles and maps.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        print(build_info().describe())
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and the git commit, then exit.",
    ),
) -> None:
    """geoservice: planning layers, analyses, OGC APIs, tiles and maps."""


core.register(app)
app.add_typer(data.app, name="data", help="Build the sample store.")
app.add_typer(analyse.app, name="analyse", help="Run analyses (the OGC processes).")
ingest.register(app)
maps.register(app)
app.add_typer(keys.app, name="keys", help="Create, list and revoke API keys.")
app.add_typer(tiles.app, name="tiles", help="Seed the tile cache; export PMTiles/MBTiles.")
app.add_typer(audit.app, name="audit", help="Read the audit log of write requests.")

__all__ = ["app"]
