"""A GeoPackage that cannot be read or written right now: a 503, not a 500.

SQLite reports a file locked by another writer past the busy timeout, a file
that was deleted, made unreadable or read-only, a full disk and a damaged file as
``sqlite3.OperationalError`` / ``DatabaseError``. Those are the store's state, not
a fault of the request: they become :class:`~geoservice.errors.StoreUnavailable`
(503 with ``Retry-After``), and the message names the file and the cause so an
operator can act. Errors of a statement itself (a filter, a bug) pass unchanged.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from geoservice.errors import StoreUnavailable

# SQLite's message → (what to tell, seconds after which asking again may help)
FAULTS = {
    "database is locked": ("is locked by another writer", 2.0),
    "unable to open database file": ("cannot be opened (missing, or no permission)", 30.0),
    "disk I/O error": ("cannot be read or written (disk I/O error)", 30.0),
    "attempt to write a readonly database": ("is read-only", 30.0),
    "database or disk is full": ("cannot grow: the disk is full", 30.0),
    "file is not a database": ("is not a GeoPackage (damaged or replaced)", 60.0),
    "database disk image is malformed": ("is damaged (malformed database image)", 60.0),
}
T = TypeVar("T")


def fault(exc: sqlite3.DatabaseError, path: Path) -> StoreUnavailable | None:
    """Return the :class:`StoreUnavailable` a SQLite error about the file means, or None."""
    text = str(exc)
    for marker, (problem, retry_s) in FAULTS.items():
        if marker in text:
            return StoreUnavailable(
                f"the GeoPackage store {path.name} {problem}; nothing was changed",
                details={"part": "store", "reason": text},
                retry_after_s=retry_s,
            )
    return None


def _wrap(method: Callable[..., Any]) -> Callable[..., Any]:
    # Plain try/except rather than a context manager: this is on every read.
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:  # OperationalError is a subclass
                error = fault(exc, self.path)
                if error is None:
                    raise
                raise error from exc

        return generator

    @functools.wraps(method)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            error = fault(exc, self.path)
            if error is None:
                raise
            raise error from exc

    return wrapper


def translate_store_faults(cls: type[T]) -> type[T]:
    """Wrap the public methods a class defines so file faults become StoreUnavailable."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _wrap(member))
    return cls
