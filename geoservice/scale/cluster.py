"""The Dask client of one service process: created on first use, closed with the Runtime."""

from __future__ import annotations

import threading
from typing import Any

from geoservice.errors import GeoserviceError
from geoservice.settings import ScaleSettings


class ClusterUnavailable(GeoserviceError):
    """The Dask scheduler could not be reached (or the local cluster not started)."""

    code = "ClusterUnavailable"


class DaskCluster:
    """A lazily opened ``distributed.Client``.

    With ``address`` (``tcp://scheduler:8786``) it connects to that scheduler;
    without, it starts a ``LocalCluster`` sized by ``settings`` the first time
    :meth:`client` is called. Nothing is started by building the object.
    """

    def __init__(self, settings: ScaleSettings | None = None, address: str | None = None) -> None:
        self.settings = settings or ScaleSettings()
        self.address = address
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        """Tell whether a client is open."""
        return self._client is not None

    def client(self) -> Any:
        """Return the open client, connecting (or starting a local cluster) if needed."""
        with self._lock:
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self) -> Any:
        from distributed import Client, LocalCluster

        try:
            if self.address:
                return Client(self.address, timeout="10s")
            s = self.settings
            self._cluster = LocalCluster(
                n_workers=s.local_workers,
                threads_per_worker=s.threads_per_worker,
                # Workers in this process would measure the whole process (the app, its
                # caches) against their limit, pause at 80 % and never run a task.
                memory_limit=s.worker_memory if s.local_processes else 0,
                processes=s.local_processes,
                dashboard_address=":0",
            )
            return Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            where = self.address or "a local cluster"
            raise ClusterUnavailable(f"Dask scheduler {where} unavailable: {exc}") from None

    def describe(self) -> dict[str, Any]:
        """Return where the work runs: the scheduler and its workers' threads."""
        client = self.client()
        return {
            "scheduler": self.address or "local",
            "workers": len(client.nthreads()),
            "threads": sum(client.nthreads().values()),
        }

    def close(self) -> None:
        """Close the client and the local cluster, if they were opened."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
