"""Which version of a layer is current, asked of the store at most every ``ttl_s``.

Tile cache keys carry the layer version, so the version must be known before the
cache is consulted. With ``ttl_s = 0`` (the default) every request asks the
store, which is exact. A positive ``ttl_s`` trades up to that many seconds of
staleness after a write made by *another process* for one database round trip
less per cached tile; writes made through this process's store are seen at
once, because :meth:`VersionCache.forget` is called by the write path hooks and a
changed version is noticed on the next check.
"""

from __future__ import annotations

import threading
import time

from geoservice.storage.base import FeatureStore


class VersionCache:
    """Current layer versions, refreshed from the store after ``ttl_s`` seconds."""

    def __init__(self, store: FeatureStore, ttl_s: float = 0.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def current(self, layer_id: str) -> int:
        """Return the current version of ``layer_id`` (raises LayerNotFound)."""
        if self.ttl_s > 0:
            hit = self._known.get(layer_id)
            if hit is not None and time.monotonic() - hit[1] < self.ttl_s:
                return hit[0]
        version = self.store.current_version(layer_id).version
        if self.ttl_s > 0:
            with self._lock:
                self._known[layer_id] = (version, time.monotonic())
        return version

    def forget(self, layer_id: str | None = None) -> None:
        """Drop what is known about one layer (or all), e.g. after a write."""
        with self._lock:
            if layer_id is None:
                self._known.clear()
            else:
                self._known.pop(layer_id, None)
