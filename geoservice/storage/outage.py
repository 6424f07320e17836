"""Fail fast while a database is away, and notice by itself when it is back.

Without this, every request during a PostgreSQL restart waited the whole pool
timeout (30 s) for a connection that could not come, then failed with a 500;
the pool's own reconnection attempts back off up to minutes, so the service
stayed slow after the database had returned.

An :class:`Outage` is *tripped* by the first sign that the server is gone (a
dropped connection, the pool giving up connecting). From then on requests are
refused at once with :class:`~geoservice.errors.StoreUnavailable` (a 503 with
``Retry-After``) without touching the pool, and one background thread tries a
fresh connection every ``interval_s``. When one succeeds, ``on_recover`` renews
the pool's connections (those of the old server are all dead) and requests go
through again: no restart of the service is needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from geoservice.errors import StoreUnavailable

log = logging.getLogger(__name__)


class Outage:
    """The known state of a database: reachable, or down since a given failure."""

    def __init__(
        self,
        probe: Callable[[], None],
        *,
        interval_s: float,
        on_recover: Callable[[], None],
        name: str = "the database",
    ) -> None:
        self.probe = probe
        self.interval_s = interval_s
        self.on_recover = on_recover
        self.name = name
        self.reason: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def down(self) -> bool:
        """Tell whether the database is known to be unreachable."""
        return self.reason is not None

    def check(self) -> None:
        """Raise :class:`StoreUnavailable` at once while the database is known down."""
        reason = self.reason
        if reason is not None:
            raise self.error(reason)

    def error(self, reason: str) -> StoreUnavailable:
        """Return the error a request gets while the database is down."""
        return StoreUnavailable(
            f"{self.name} is unreachable ({reason}); nothing was changed. The service "
            f"tries it again every {self.interval_s:g} s and recovers by itself.",
            details={"part": "store", "reason": reason},
            retry_after_s=self.interval_s,
        )

    def trip(self, reason: str) -> None:
        """Record that the database is unreachable; start probing it in the background."""
        with self._lock:
            if self._stop.is_set():
                return
            if self.reason is None:
                log.warning(
                    "%s is unreachable (%s): failing fast until it is back", self.name, reason
                )
            self.reason = reason
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._probe_until_back, daemon=True, name="gs-store-probe"
                )
                self._thread.start()

    def close(self) -> None:
        """Stop probing (the store is closing)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval_s + 10)

    def _probe_until_back(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.probe()
                self.on_recover()
            except Exception as exc:  # still down (or not yet usable): try again later
                log.debug("%s still unreachable: %s", self.name, exc)
                with self._lock:
                    self.reason = first_line(exc)
                continue
            with self._lock:
                self.reason = None
                self._thread = None
            log.warning("%s is reachable again", self.name)
            return
        with self._lock:
            self._thread = None


def first_line(exc: BaseException) -> str:
    """Return the gist of a driver error for clients: its last clause, first line.

    ``connection to server at "10.0.0.5", port 5432 failed: Connection refused``
    becomes ``Connection refused``: the cause, without the server's address (the
    full text goes to the log).
    """
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return text.splitlines()[0].rsplit(": ", 1)[-1].strip() or type(exc).__name__


def lost_connection(exc: BaseException) -> bool:
    """Tell whether a psycopg ``OperationalError`` means the server is gone.

    Connection failures carry no SQLSTATE (refused, reset, closed) or one of
    class 08; 57P01-57P03 are a server shutting down or starting up. Anything
    else (a cancelled statement, say) is the statement's failure, not an outage.
    """
    state = getattr(exc, "sqlstate", None) or ""
    return not state or state.startswith("08") or state in ("57P01", "57P02", "57P03")
