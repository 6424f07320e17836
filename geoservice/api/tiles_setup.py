"""Install the tiles part into an app: routers, conformance, links, static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from geoservice.api.routers import maps, rasters, tiles
from geoservice.api.tile_fastpath import TileFastPath
from geoservice.ogc.links import HTML, JSON
from geoservice.ogc.tiles import TILES_CONFORMANCE, TILESETS_VECTOR_REL, tiles_collection_links
from geoservice.settings import Settings

STATIC = Path(__file__).resolve().parent.parent / "static"
TILING_SCHEMES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"


def install_tiles(app: FastAPI) -> None:
    """Add tile routes, their conformance classes and links and /static.

    The fast path of plain tiles is added apart (:func:`install_tile_fast_path`),
    after the app's other middleware.
    """
    app.include_router(tiles.router)
    app.include_router(maps.router)
    app.include_router(rasters.router)
    app.state.web.conformance += TILES_CONFORMANCE
    app.state.web.landing_links += [
        ("/tileMatrixSets", TILING_SCHEMES_REL, JSON, "Tile matrix sets"),
        ("/tiles", TILESETS_VECTOR_REL, JSON, "Vector tilesets (all collections)"),
        ("/style.json", "stylesheet", JSON, "MapLibre style (all collections)"),
        ("/map", "alternate", HTML, "Map (MapLibre GL)"),
        ("/rasters", "data", JSON, "Raster layers (PNG tiles)"),
    ]
    app.state.web.collection_link_builders.append(tiles_collection_links)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")


def install_tile_fast_path(app: FastAPI, settings: Settings) -> None:
    """Put the fast path of plain vector tiles outside the app's other middleware.

    Call it after every other ``add_middleware``: it answers only requests that
    middleware would pass through unchanged, and adds the headers it would add
    (:mod:`geoservice.api.tile_fastpath`).
    """
    app.add_middleware(TileFastPath, settings=settings)
