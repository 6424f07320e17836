"""SQL pieces with their bound parameters, and what differs between SQL engines.

Literals always travel as bound parameters, never spliced into SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import shapely


@dataclass(frozen=True)
class Fragment:
    """A piece of SQL with its bound parameters, in order."""

    sql: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.sql + other.sql, self.params + other.params)


def binary(lhs: Fragment, operator: str, rhs: Fragment) -> Fragment:
    """Return ``(lhs operator rhs)``."""
    return Fragment("(") + lhs + Fragment(f" {operator} ") + rhs + Fragment(")")


def joined(parts: Sequence[Fragment], separator: str) -> Fragment:
    """Return the parts joined by ``separator``, in parentheses."""
    return Fragment(
        "(" + separator.join(p.sql for p in parts) + ")",
        tuple(x for p in parts for x in p.params),
    )


class Dialect(Protocol):
    """What differs between the SQL engines a filter compiles to."""

    placeholder: str

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        ...

    def spatial(
        self, op: str, column: str, geometry: shapely.Geometry, *, prefilter: bool = True
    ) -> Fragment:
        """Return a spatial predicate of the geometry column against a literal.

        Without ``prefilter`` the predicate must be NULL for a NULL geometry.
        """
        ...

    def casei(self, expr: Fragment) -> Fragment:
        """Return a case-folded expression."""
        ...

    def accenti(self, expr: Fragment) -> Fragment:
        """Return an accent-stripped expression."""
        ...

    def null(self, kind: str) -> str:
        """Return a NULL of a CQL2 kind (``string``, ``number``, ... or ``null``)."""
        ...

    def ordered(self, expr: Fragment) -> Fragment:
        """Return a text expression that orders by code point (as SQLite does)."""
        ...

    def like(self, lhs: Fragment, pattern: str, wrappers: Sequence[str]) -> Fragment:
        """Return ``lhs LIKE pattern`` (case-sensitive, ``\\`` escapes).

        ``wrappers`` are the functions (``casei``, ``accenti``, innermost first)
        the pattern literal is wrapped in.
        """
        ...

    def temporal_literal(self, value: date | datetime) -> Any:
        """Return a bound parameter value for a date or timestamp."""
        ...

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Return ``lhs op rhs`` for + - * / % div and ^.

        Division and modulo by zero are NULL in both engines; power raises where
        PostgreSQL's does (overflow, underflow, a complex result).
        """
        ...
