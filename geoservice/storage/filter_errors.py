"""Engine errors a filter can still cause at run time, turned into a 400.

Types, arities and literals are checked before SQL (:mod:`cql`), but some failures
depend on the rows: ``confidence ^ 1e10`` overflows only where confidence > 1, and
PostgreSQL raises where SQLite returns infinity. Such an error says the filter
cannot be evaluated on this layer's data; it is the client's to change, never a
500. Only data exceptions (SQLSTATE class 22), program limits (class 54), GEOS
failures and SQLite's own limits are translated; anything else is a real fault.

The output CRS can fail the same way: a projected CRS is defined over part of the
world only (a Gauss-Krüger zone over 3° of longitude), and PROJ refuses to project
a feature far outside it. That too is the client's to change (a ``bbox`` within
the CRS's area of use, or another ``crs``), a 400 naming the cause.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from geoservice.errors import InvalidFilter, InvalidParameter
from geoservice.storage.gpkg_sql import function_error

SQLITE_LIMITS = (
    "parser stack overflow",
    "Expression tree is too large",
    "too many SQL variables",
    "LIKE or GLOB pattern too complex",
    "string or blob too big",
)
F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def filter_errors() -> Iterator[None]:
    """Re-raise a data-dependent engine error of a read as :class:`InvalidFilter`."""
    try:
        yield
    except (sqlite3.OperationalError, sqlite3.DataError) as exc:
        text = str(exc)
        if "user-defined function raised exception" in text:
            reason = function_error() or "an arithmetic error"
            raise InvalidFilter(_message(reason)) from None
        if any(marker in text for marker in SQLITE_LIMITS):
            raise InvalidFilter(f"filter is too complex for the database: {text}") from None
        raise
    except Exception as exc:
        state = getattr(exc, "sqlstate", None) or ""
        if state == "XX000" and str(exc).startswith("transform:"):
            raise InvalidParameter(
                "crs: some of the features asked for lie outside the area where the "
                f"requested CRS is defined ({str(exc).splitlines()[0]}); ask for a bbox "
                "within its area of use, or another crs (CRS84 covers the world)"
            ) from None
        if state[:2] in ("22", "54") or (state == "XX000" and "GEOS" in str(exc)):
            raise InvalidFilter(_message(str(exc).splitlines()[0])) from None
        raise


def _message(reason: str) -> str:
    return (
        f"the filter cannot be evaluated on this layer's data: {reason} "
        "(check the arithmetic and functions of the filter)"
    )


def translate_filter_errors(method: F) -> F:
    """Decorate a store read (function or generator) with :func:`filter_errors`."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with filter_errors():
                yield from method(*args, **kwargs)

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with filter_errors():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
