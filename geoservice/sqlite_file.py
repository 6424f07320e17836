"""A small SQLite file of the service's own (API keys, jobs), shared by its threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class SQLiteFile:
    """One lazily opened connection (WAL) to a file whose ``schema`` is created once.

    Subclasses set ``schema`` and hold ``self._lock`` around every use of
    ``self._db()``: one connection serves all threads, so a write never waits on
    another connection's lock and readers see committed rows at once.
    """

    schema: str = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(self.schema)
            conn.commit()
            self._conn = conn
        return self._conn

    def ping(self) -> None:
        """Read the file's catalogue (raises ``sqlite3.Error`` if it cannot be read)."""
        with self._lock:
            self._db().execute("SELECT count(*) FROM sqlite_master").fetchone()

    def close(self) -> None:
        """Close the database connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
