"""The one composition root: what a running service or command is made of.

:class:`Runtime` opens the store, the live catalogue, the key store, the job
manager and (for the server and tile commands) the tile services, and closes
them in reverse order. The app's lifespan and every CLI command build their
parts through it, so both behave the same: the same catalogue updates, the same
job records and statuses, the same places on disk. Nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from geoservice.auth.keys import KeyStore
from geoservice.catalog.live import LiveCatalog
from geoservice.maps.pages import PageCache
from geoservice.processes.jobs import JobStore
from geoservice.processes.manager import JobManager
from geoservice.scale.cluster import DaskCluster
from geoservice.settings import Settings
from geoservice.storage import open_store
from geoservice.storage.base import FeatureStore
from geoservice.tiles.runtime import TileRuntime, build_tile_runtime


@dataclass
class Runtime:
    """The open parts of one service process or CLI run."""

    settings: Settings
    catalog: LiveCatalog
    store: FeatureStore
    keys: KeyStore
    jobs: JobManager
    tiles: TileRuntime | None = None
    map_pages: PageCache = field(default_factory=PageCache)
    cluster: DaskCluster | None = None

    @classmethod
    def open(
        cls, settings: Settings, *, tiles: bool = True, job_workers: int | None = None
    ) -> Self:
        """Open every part ``settings`` describe; on a failure, close what was opened.

        ``tiles=False`` skips the tile services (commands that draw no tiles);
        ``job_workers`` overrides the size of the job pool (the CLI runs one job).
        """
        with contextlib.ExitStack() as opened:
            catalog = LiveCatalog(
                settings.layers_dir,
                settings.styles_dir,
                settings.runtime_layers_dir,
                check_interval_s=settings.api.catalog_check_s,
            )
            store = open_store(settings)
            opened.callback(store.close)
            keys = KeyStore(settings.api_keys_path)
            opened.callback(keys.close)
            cluster = DaskCluster(settings.scale, settings.dask_scheduler)  # opens on first use
            opened.callback(cluster.close)
            job_store = JobStore(settings.jobs_db_path)
            opened.callback(job_store.close)
            jobs = JobManager(
                jobs=job_store,
                store=store,
                layers=catalog,
                raster_dir=settings.raster_dir,
                workers=job_workers or settings.processes.workers,
                max_inline_features=settings.processes.max_inline_features,
                filter_limits=settings.api.filters,
                cluster=cluster,
                scale=settings.scale,
                scale_dir=settings.scale_dir,
            )
            opened.callback(jobs.close)
            tile_runtime = build_tile_runtime(settings, store) if tiles else None
            opened.pop_all()
        return cls(settings, catalog, store, keys, jobs, tile_runtime, cluster=cluster)

    async def aclose(self) -> None:
        """Close every part, the tile services' async pool included (in the app's loop)."""
        if self.tiles is not None:
            await self.tiles.aclose()
            self.tiles = None
        self.close()

    def close(self) -> None:
        """Close every part (outside an event loop: the CLI)."""
        if self.tiles is not None:
            asyncio.run(self.tiles.aclose())
            self.tiles = None
        if self.cluster is not None:
            # first: a job waiting on its Dask tasks gets them cancelled and ends,
            # so closing the job manager does not wait for tasks that never come
            self.cluster.close()
        self.jobs.close()
        self.jobs.jobs.close()
        self.keys.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
