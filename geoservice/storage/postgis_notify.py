"""Push notifications of version changes from PostGIS (``LISTEN`` / ``NOTIFY``).

A trigger on ``gs_layers`` calls ``pg_notify`` whenever a layer's current version
changes, whichever process wrote it (an upload, the CLI, another worker). A
listener thread turns the notifications into callbacks, so caches keyed by layer
version (tiles, ETags) need not ask the database on every request.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)
VersionCallback = Callable[[str, int], None]  # (layer id, new version; 0 when deleted)


def channel_name(schema: str) -> str:
    """Return the notification channel of a store schema."""
    return f"gs_versions_{schema}"[:63]


def install_trigger(conn: psycopg.Connection, schema: str) -> None:
    """Create (or replace) the trigger announcing version changes of ``schema``."""
    s = schema.replace('"', '""')
    channel = channel_name(schema).replace("'", "''")
    with conn.transaction():
        conn.execute(
            f'CREATE OR REPLACE FUNCTION "{s}".gs_notify_version() RETURNS trigger AS $$ '
            "BEGIN IF TG_OP = 'DELETE' THEN "
            f"PERFORM pg_notify('{channel}', OLD.layer || ':0'); RETURN OLD; END IF; "
            f"PERFORM pg_notify('{channel}', NEW.layer || ':' || NEW.current_version); "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.execute(
            f"CREATE OR REPLACE TRIGGER gs_layers_notify AFTER INSERT OR UPDATE OR DELETE "
            f'ON "{s}".gs_layers FOR EACH ROW EXECUTE FUNCTION "{s}".gs_notify_version()'
        )


class VersionListener:
    """A daemon thread that LISTENs on a store's channel and reports changes.

    ``alive`` is False while the connection is down (callers then ask the
    database directly); it reconnects with a pause growing up to ``max_pause_s``
    (the store's probe interval: back within seconds of the database) and calls
    ``on_reset`` after a reconnection, since notifications may have been missed.
    """

    def __init__(
        self,
        conninfo: str,
        schema: str,
        on_change: VersionCallback,
        on_reset: Callable[[], None],
        *,
        max_pause_s: float = 30.0,
        connect_timeout_s: int = 10,
    ) -> None:
        self.conninfo = conninfo
        self.max_pause_s = max_pause_s
        self.connect_timeout_s = connect_timeout_s
        self.channel = channel_name(schema)
        self.on_change = on_change
        self.on_reset = on_reset
        self.alive = False
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="gs-versions")

    def start(self) -> VersionListener:
        """Start listening; return once the first LISTEN is in place (or failed)."""
        ready = threading.Event()
        self._ready = ready
        self._thread.start()
        ready.wait(timeout=10)
        return self

    def stop(self) -> None:
        """Stop the thread and close its connection."""
        self._stop.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):  # already closed
                conn.cancel_safe()

    def _run(self) -> None:
        pause = min(0.5, self.max_pause_s)
        while not self._stop.is_set():
            try:
                self._listen()
                pause = min(0.5, self.max_pause_s)
            except Exception as exc:
                log.warning("version notifications lost (%s); retrying in %.1f s", exc, pause)
            self.alive = False
            self._ready.set()
            self.on_reset()
            if self._stop.wait(pause):
                break
            pause = min(pause * 2, self.max_pause_s)

    def _listen(self) -> None:
        with psycopg.connect(
            self.conninfo, autocommit=True, connect_timeout=self.connect_timeout_s
        ) as conn:
            self._conn = conn
            conn.execute(f'LISTEN "{self.channel}"')
            self.alive = True
            self.on_reset()
            self._ready.set()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=1.0):
                    layer, _, version = note.payload.rpartition(":")
                    self.on_change(layer, int(version))
            self._conn = None


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds (tests and tools)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
