"""Install the maps part into an app: routes, links, and ``/static`` (vendored Leaflet)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from geoservice.api.routers import product_maps, webmaps
from geoservice.catalog.models import LayerDef
from geoservice.ogc.links import HTML, link

STATIC = Path(__file__).resolve().parent.parent / "static"


def map_links(base_url: str, layer: LayerDef) -> list[dict]:
    """Return a collection's link to its web map."""
    return [link(f"{base_url}/maps/{layer.id}", "alternate", HTML, "Map (Leaflet)")]


def install_maps(app: FastAPI) -> None:
    """Add the map routes and links; mount ``/static`` unless another part already did."""
    app.include_router(product_maps.router)  # before /maps/{collectionId}
    app.include_router(webmaps.router)
    app.state.web.landing_links += [
        ("/maps", "alternate", HTML, "Maps (Folium)"),
        ("/maps/one-map", "alternate", HTML, "One map of every planning layer (一张图)"),
    ]
    app.state.web.collection_link_builders.append(map_links)
    if not any(getattr(route, "path", None) == "/static" for route in app.routes):
        app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
