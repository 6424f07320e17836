"""Serving and checking commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from geoservice.errors import CatalogError
from geoservice.settings import Settings

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the core commands to ``app``."""
    app.command("serve")(serve)
    app.command("check-layers")(check_layers)
    app.command("export-openapi")(export_openapi)


def serve(
    host: str | None = typer.Option(None, help="Interface (default GEOSERVICE_HOST)."),
    port: int | None = typer.Option(None, help="Port (default GEOSERVICE_PORT or 8000)."),
    workers: int = typer.Option(
        1, min=1, help="uvicorn worker processes (each opens its own store connections)."
    ),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
    access_log: bool = typer.Option(True, help="Log every request (off under load tests)."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the API (uvicorn)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "geoservice.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        log_level=log_level,
        access_log=access_log,
    )


def check_layers(
    layers_dir: Path | None = typer.Option(None, help="Folder of layer files."),
    styles_dir: Path | None = typer.Option(None, help="Folder of style files."),
) -> None:
    """Validate every layer and style file; exit 1 listing all problems."""
    from geoservice.catalog.loader import load_catalog

    settings = Settings()
    runtime_dir = None if layers_dir else settings.runtime_layers_dir
    try:
        catalog = load_catalog(
            layers_dir or settings.layers_dir, styles_dir or settings.styles_dir, runtime_dir
        )
    except CatalogError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"[green]{len(catalog.areas)} study areas, {len(catalog.layers)} layers and "
        f"{len(catalog.styles)} styles are valid[/green]"
    )


def export_openapi(
    out: Path | None = typer.Option(None, help="File (default stdout)."),
) -> None:
    """Write the OpenAPI 3.0 document (for static checks; the server makes its own)."""
    from geoservice.app import create_app
    from geoservice.catalog.loader import load_catalog
    from geoservice.ogc.collection_paths import with_collection_paths
    from geoservice.ogc.openapi import openapi_30

    settings = Settings()
    catalog = load_catalog(settings.layers_dir, settings.styles_dir, settings.runtime_layers_dir)
    doc = with_collection_paths(create_app(settings).openapi(), catalog)
    text = json.dumps(openapi_30(doc), ensure_ascii=False, indent=2)
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
