"""Which version of a layer is current, without asking the store on every request.

Tile cache keys and ETags carry the layer version, so it must be known before
the cache is consulted. A store that can push version changes (PostGIS:
``watch_versions``, LISTEN/NOTIFY fed by a trigger, so writes by any process are
seen within milliseconds) lets answers be remembered for ``backstop_s``; the
backstop only matters if a notification is lost. A store with a change token
(GeoPackage: the WAL's shared commit counter) lets an answer stand while the
token is unchanged, for at most ``backstop_s``. Otherwise a version is trusted
for ``ttl_s`` (default 0: every request asks the store).
"""

from __future__ import annotations

import logging
import threading
import time

from geoservice.storage.base import FeatureStore
from geoservice.storage.capabilities import SupportsChangeToken, SupportsVersionWatch

log = logging.getLogger(__name__)


class VersionCache:
    """Current layer versions, kept fresh by store notifications or asked each time."""

    def __init__(self, store: FeatureStore, ttl_s: float = 0.0, backstop_s: float = 30.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.backstop_s = backstop_s
        self._known: dict[str, tuple[int, float]] = {}
        self._tokens: dict[str, object] = {}  # change token when each version was read
        self._tokened = isinstance(store, SupportsChangeToken)
        self._lock = threading.Lock()
        self.listener = None
        if isinstance(store, SupportsVersionWatch):
            try:
                self.listener = store.watch_versions(self._pushed, self.forget)
            except Exception as exc:  # still correct: every request asks the store
                log.warning("no version notifications (%s); asking the store each time", exc)

    @property
    def pushed(self) -> bool:
        """Tell whether version changes are being pushed right now."""
        return self.listener is not None and self.listener.alive

    def peek(self, layer_id: str) -> int | None:
        """Return the current version if known without asking the store, else None."""
        hit = self._known.get(layer_id)
        if hit is None:
            return None
        age = time.monotonic() - hit[1]
        if self.pushed:
            return hit[0] if age < self.backstop_s else None
        if self._tokened and age < self.backstop_s:
            token = self._tokens.get(layer_id)
            if token is not None and token == self.store.change_token():
                return hit[0]
        return hit[0] if age < self.ttl_s else None

    def current(self, layer_id: str) -> int:
        """Return the current version of ``layer_id`` (raises LayerNotFound)."""
        known = self.peek(layer_id)
        if known is not None:
            return known
        token = self.store.change_token() if self._tokened else None  # before the read
        version = self.store.current_version(layer_id).version
        with self._lock:
            self._tokens[layer_id] = token
            previous = self._known.get(layer_id)
            if self.pushed and previous is not None and previous[0] > version:
                version = previous[0]  # a notification overtook this read
            self._known[layer_id] = (version, time.monotonic())
        return version

    def forget(self, layer_id: str | None = None) -> None:
        """Drop what is known about one layer (or all)."""
        with self._lock:
            if layer_id is None:
                self._known.clear()
                self._tokens.clear()
            else:
                self._known.pop(layer_id, None)
                self._tokens.pop(layer_id, None)

    def close(self) -> None:
        """Stop listening for notifications."""
        if self.listener is not None:
            self.listener.stop()

    def _pushed(self, layer_id: str, version: int) -> None:
        with self._lock:
            if version:
                self._known[layer_id] = (version, time.monotonic())
            else:
                self._known.pop(layer_id, None)
