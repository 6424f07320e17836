"""Wire OGC API Processes into an app: router, conformance, landing link, job manager."""

from __future__ import annotations

from fastapi import FastAPI

from geoservice.api.catalog_state import current_catalog, publish_layer, remove_layer
from geoservice.api.errors import status_of
from geoservice.api.routers import processes
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.ogc.links import JSON
from geoservice.ogc.processes import PROCESSES_CONFORMANCE
from geoservice.processes.jobs import JobStore
from geoservice.processes.manager import JobManager
from geoservice.settings import Settings


class AppRegistry:
    """Result collections go through the app's live catalogue (as uploads do)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def catalog(self) -> Catalog:
        """Return the current catalogue (reloaded if another worker changed it)."""
        return current_catalog(self.app)

    def publish(self, layer: LayerDef) -> None:
        """Write the layer file and swap a catalogue holding it into the app."""
        publish_layer(self.app, layer)

    def unpublish(self, layer_id: str) -> None:
        """Delete the layer file and swap a catalogue without it into the app."""
        if layer_id in current_catalog(self.app):
            remove_layer(self.app, layer_id)


def setup_processes(app: FastAPI) -> None:
    """Add the processes routes, their conformance classes and a landing link."""
    app.include_router(processes.router)
    app.state.conformance.extend(PROCESSES_CONFORMANCE)
    app.state.landing_links.append(
        ("/processes", "http://www.opengis.net/def/rel/ogc/1.0/processes", JSON, "Processes")
    )
    app.state.landing_links.append(
        ("/jobs", "http://www.opengis.net/def/rel/ogc/1.0/job-list", JSON, "Jobs")
    )


def open_jobs(app: FastAPI, settings: Settings) -> JobManager:
    """Start the job manager (lifespan): worker pool, job records, restart recovery."""
    manager = JobManager(
        jobs=JobStore(settings.jobs_db_path),
        store=app.state.store,
        layers=AppRegistry(app),
        raster_dir=settings.raster_dir,
        indicators_dir=settings.indicators_dir,
        workers=settings.processes.workers,
        max_inline_features=settings.processes.max_inline_features,
        status_of=status_of,
    )
    app.state.jobs = manager
    return manager


def close_jobs(app: FastAPI) -> None:
    """Stop the job manager (lifespan end)."""
    manager = getattr(app.state, "jobs", None)
    if manager is not None:
        manager.close()
        manager.jobs.close()
