"""The application factory: ``create_app(settings)``.

Run with ``uvicorn --factory geoservice.app:create_app``. Nothing here runs at
import time; the lifespan opens the store and loads the catalogue into
``app.state``, where dependencies (``api/deps.py``) find them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.templating import Jinja2Templates

from geoservice import __version__
from geoservice.api.errors import add_exception_handlers
from geoservice.api.routers import features, landing
from geoservice.api.tiles_setup import install_tiles
from geoservice.catalog.loader import load_catalog
from geoservice.ogc.conformance import FEATURES_CONFORMANCE
from geoservice.settings import Settings
from geoservice.storage import open_store
from geoservice.tiles.runtime import build_tile_runtime

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (read from the environment if None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.catalog = load_catalog(settings.layers_dir, settings.styles_dir)
        app.state.store = open_store(settings)
        app.state.tiles = build_tile_runtime(settings, app.state.store)
        try:
            yield
        finally:
            await app.state.tiles.aclose()
            app.state.store.close()

    app = FastAPI(
        title=settings.api.title,
        version=__version__,
        description="OGC API Features, Tiles and Processes for planning layers.",
        lifespan=lifespan,
        docs_url="/api.html",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    app.state.conformance = list(FEATURES_CONFORMANCE)
    app.state.landing_links = []
    app.state.collection_link_builders = []
    add_exception_handlers(app)
    install_tiles(app)  # before the middleware below, which must wrap its fast path
    app.add_middleware(GZipMiddleware, minimum_size=settings.api.gzip_min_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.api.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["*"],
        expose_headers=["ETag", "Content-Crs", "Location", "Link"],
    )
    app.include_router(landing.router)
    app.include_router(features.router)
    return app
