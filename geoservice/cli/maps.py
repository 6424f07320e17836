"""``geoservice map --out FILE.html``: a standalone map that works opened from disk."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from geoservice.settings import Settings

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the ``map`` command to ``app``."""
    app.command("map")(export_map)


def export_map(
    out: Path = typer.Option(..., "--out", "-o", help="HTML file to write."),
    layers: str | None = typer.Option(
        None, help="Collection ids, comma-separated (default: every planning layer)."
    ),
    lang: str = typer.Option("zh", help="Interface language: zh or en."),
    basemap: str | None = typer.Option(
        None, help="'none', or an XYZ URL template (default: GEOSERVICE_MAPS__BASEMAP)."
    ),
    indicators: bool = typer.Option(True, help="Add the plan-indicator panel."),
    area: str | None = typer.Option(None, help="Study area (default: the default area)."),
) -> None:
    """Write one self-contained HTML map: data embedded, Leaflet inlined, no CDN."""
    from geoservice.errors import GeoserviceError
    from geoservice.maps import service
    from geoservice.runtime import Runtime

    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    settings = Settings()
    map_settings = (
        settings.maps if basemap is None else settings.maps.model_copy(update={"basemap": basemap})
    )
    with Runtime.open(settings, tiles=False, job_workers=1) as runtime:
        catalog, store = runtime.catalog.catalog(), runtime.store
        try:
            chosen = catalog.area(area)
            ids = [i.strip() for i in layers.split(",") if i.strip()] if layers else None
            for layer_id in ids or []:
                catalog.get(layer_id)
            panel = []
            if indicators:
                panel = service.indicator_results(chosen, store, catalog, jobs=runtime.jobs.jobs)
            options = service.map_options(map_settings, lang=lang, service_url=None)
            html = service.one_map_html(
                catalog, store, options, area=chosen, layer_ids=ids, indicators=panel
            )
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out} ({len(html.encode()) / 1e6:.1f} MB); open it in a browser")
