"""The live catalogue of an app: swapped on change, reloaded when another worker changed it.

Creating or deleting a layer writes its file in ``layers/`` (atomically, by
rename) and swaps a new :class:`Catalog` into ``app.state``. Other uvicorn
workers notice because the folder's modification time changed, and reload it
on their next request: one ``stat`` per request, no messaging between workers.
"""

from __future__ import annotations

import logging
import threading
import time

from fastapi import FastAPI

from geoservice.catalog.loader import load_catalog, write_layer_file
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import CatalogError
from geoservice.settings import Settings

log = logging.getLogger(__name__)
_lock = threading.Lock()


def folder_stamp(settings: Settings) -> tuple[int, int]:
    """Return the modification times of the layers and styles folders."""
    return (
        settings.layers_dir.stat().st_mtime_ns,
        settings.styles_dir.stat().st_mtime_ns,
    )


def install_catalog(app: FastAPI, settings: Settings) -> None:
    """Load the catalogue into ``app.state`` (at startup)."""
    stamp = folder_stamp(settings)
    app.state.catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    app.state.catalog_stamp = stamp


def current_catalog(app: FastAPI, *, force: bool = False) -> Catalog:
    """Return the catalogue, reloading it if the folders changed since it was loaded.

    The folders are looked at no more than every ``api.catalog_check_s`` seconds
    (a ``stat`` per request showed up in profiles), unless ``force`` is set, as it
    is when a request names a layer this worker does not know yet.
    """
    now = time.monotonic()
    interval = app.state.settings.api.catalog_check_s
    if not force and now - getattr(app.state, "catalog_checked", 0.0) < interval:
        return app.state.catalog
    app.state.catalog_checked = now
    if folder_stamp(app.state.settings) == app.state.catalog_stamp:
        return app.state.catalog
    with _lock:
        return _refreshed(app)


def publish_layer(app: FastAPI, layer: LayerDef) -> Catalog:
    """Write a new layer's file and swap a catalogue holding it into the app."""
    settings = app.state.settings
    with _lock:
        catalog = _refreshed(app).with_layer(layer)
        write_layer_file(layer, settings.layers_dir)
        app.state.catalog = catalog
        app.state.catalog_stamp = folder_stamp(settings)
    return catalog


def remove_layer(app: FastAPI, layer_id: str) -> None:
    """Delete a layer's file and swap a catalogue without it into the app."""
    settings = app.state.settings
    with _lock:
        catalog = _refreshed(app).without(layer_id)
        (settings.layers_dir / f"{layer_id}.yaml").unlink(missing_ok=True)
        app.state.catalog = catalog
        app.state.catalog_stamp = folder_stamp(settings)


def _refreshed(app: FastAPI) -> Catalog:
    settings = app.state.settings
    stamp = folder_stamp(settings)
    if stamp != app.state.catalog_stamp:
        try:
            app.state.catalog = load_catalog(settings.layers_dir, settings.styles_dir)
        except CatalogError as exc:  # keep serving the last good catalogue
            log.error("catalogue reload failed, keeping the previous one: %s", exc)
        app.state.catalog_stamp = stamp
    return app.state.catalog
