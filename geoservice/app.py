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
from geoservice.api.auth import KeyMiddleware
from geoservice.api.catalog_state import install_catalog
from geoservice.api.errors import add_exception_handlers
from geoservice.api.maps_setup import install_maps
from geoservice.api.processes_setup import close_jobs, open_jobs, setup_processes
from geoservice.api.routers import features, keys, landing, transactions, uploads, versions
from geoservice.api.tiles_setup import install_tiles
from geoservice.auth.keys import KeyStore
from geoservice.ogc.conformance import FEATURES_CONFORMANCE, TRANSACTIONS_CONFORMANCE
from geoservice.settings import Settings
from geoservice.storage import open_store
from geoservice.tiles.runtime import build_tile_runtime

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (read from the environment if None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_catalog(app, settings)
        app.state.store = open_store(settings)
        open_jobs(app, settings)
        app.state.tiles = build_tile_runtime(settings, app.state.store)
        try:
            yield
        finally:
            await app.state.tiles.aclose()
            close_jobs(app)
            app.state.store.close()
            app.state.keys.close()

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
    app.state.keys = KeyStore(settings.api_keys_path)
    app.state.templates = Jinja2Templates(directory=TEMPLATES)
    app.state.conformance = [*FEATURES_CONFORMANCE, *TRANSACTIONS_CONFORMANCE]
    app.state.landing_links = []
    app.state.collection_link_builders = []
    add_exception_handlers(app)
    install_tiles(app)  # innermost: the key check, compression and CORS wrap its fast path
    app.add_middleware(KeyMiddleware)  # inside CORS: preflights never need a key
    app.add_middleware(
        GZipMiddleware,
        minimum_size=settings.api.gzip_min_bytes,
        compresslevel=settings.api.gzip_level,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.api.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["*"],
        expose_headers=["ETag", "Content-Crs", "Location", "Link"],
    )
    app.include_router(landing.router)
    app.include_router(features.router)
    app.include_router(transactions.router)
    app.include_router(uploads.router)
    app.include_router(versions.router)
    app.include_router(keys.router)
    setup_processes(app)
    install_maps(app)
    return app
