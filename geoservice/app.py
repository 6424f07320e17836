"""The application factory: ``create_app(settings)``.

Run with ``uvicorn --factory geoservice.app:create_app``. Nothing here runs at
import time; the lifespan opens the :class:`~geoservice.runtime.Runtime` (store,
live catalogue, keys, jobs, tiles: the same composition root the CLI uses) into
``app.state.runtime``, where dependencies (``api/deps.py``) find it. What the HTTP
parts add up (conformance, links, templates) is ``app.state.web``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from geoservice import __version__
from geoservice.api.audit_http import AuditMiddleware
from geoservice.api.auth import KeyMiddleware
from geoservice.api.errors import add_exception_handlers
from geoservice.api.maps_setup import install_maps
from geoservice.api.methods import HeadAsGet
from geoservice.api.openapi_errors import install_openapi
from geoservice.api.processes_setup import setup_processes
from geoservice.api.routers import (
    areas,
    audit,
    farmland,
    farmland_pages,
    features,
    keys,
    landing,
    transactions,
    uploads,
    versions,
)
from geoservice.api.security import SecurityHeaders
from geoservice.api.tiles_setup import install_tile_fast_path, install_tiles
from geoservice.api.web import WebParts
from geoservice.audit import AuditLog
from geoservice.ingest.workdir import remove_stale
from geoservice.ogc.conformance import FEATURES_CONFORMANCE, TRANSACTIONS_CONFORMANCE
from geoservice.runtime import Runtime
from geoservice.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (read from the environment if None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        remove_stale(settings.uploads.work_dir)  # work folders of uploads killed mid-way
        app.state.runtime = Runtime.open(settings)
        try:
            yield
        finally:
            await app.state.runtime.aclose()

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
    app.state.audit = AuditLog(settings.audit_log_path)
    app.state.web = WebParts(conformance=[*FEATURES_CONFORMANCE, *TRANSACTIONS_CONFORMANCE])
    add_exception_handlers(app)
    install_tiles(app)
    app.add_middleware(KeyMiddleware)  # inside CORS: preflights never need a key
    app.add_middleware(AuditMiddleware, log=app.state.audit)  # sees the key check's refusals
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
        expose_headers=["ETag", "Content-Crs", "Location", "Link", "X-Request-Id"],
    )
    app.add_middleware(SecurityHeaders, settings=settings)  # every response
    app.add_middleware(HeadAsGet)  # HEAD is GET's answer without the body
    install_tile_fast_path(app, settings)  # outermost: serves what the others would pass by
    for router in (landing, areas, features, transactions, uploads, versions, keys, audit):
        app.include_router(router.router)
    app.include_router(farmland.router)
    app.include_router(farmland_pages.router)
    setup_processes(app)
    install_maps(app)
    install_openapi(app, reads_need_key=settings.api.read_requires_key)
    return app
