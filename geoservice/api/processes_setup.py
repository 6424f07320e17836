"""Wire OGC API Processes into an app: router, conformance, landing links.

The job manager itself is part of the :class:`~geoservice.runtime.Runtime`, the
same one the CLI runs jobs through.
"""

from __future__ import annotations

from fastapi import FastAPI

from geoservice.api.routers import processes
from geoservice.ogc.links import JSON
from geoservice.ogc.processes import PROCESSES_CONFORMANCE


def setup_processes(app: FastAPI) -> None:
    """Add the processes routes, their conformance classes and landing links."""
    app.include_router(processes.router)
    web = app.state.web
    web.conformance.extend(PROCESSES_CONFORMANCE)
    web.landing_links.append(
        ("/processes", "http://www.opengis.net/def/rel/ogc/1.0/processes", JSON, "Processes")
    )
    web.landing_links.append(
        ("/jobs", "http://www.opengis.net/def/rel/ogc/1.0/job-list", JSON, "Jobs")
    )
