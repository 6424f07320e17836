"""CQL2 temporal operators (``T_AFTER``, ``T_DURING``, ...) compiled to comparisons.

Operands are instants (a date or timestamp property or literal) or intervals of
two instants, either end open (``'..'``). All instants of one operator take one
type: the properties', converted exactly (a ``DATE`` against a timestamp property
is its midnight UTC); a text property or a date against a timestamp property is
a 400, never a comparison PostgreSQL refuses and SQLite makes between strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoservice.errors import InvalidFilter
from geoservice.storage.cql_types import TEMPORAL, Kind, Operand, convert, literal
from geoservice.storage.sqlfragment import Dialect, Fragment

UNBOUNDED = ".."
INF = float("inf")
Bound = Fragment | float

# CQL2 temporal operators on intervals I=[as, ae] and J=[bs, be] (instants are
# intervals of zero length), following the table of OGC 21-065 §6.4.6.
TEMPORAL_RULES: dict[str, list[tuple[str, str, str]]] = {
    "t_after": [("as", ">", "be")],
    "t_before": [("ae", "<", "bs")],
    "t_contains": [("as", "<", "bs"), ("ae", ">", "be")],
    "t_disjoint": [("as", "<=", "be"), ("ae", ">=", "bs")],
    "t_during": [("as", ">", "bs"), ("ae", "<", "be")],
    "t_equals": [("as", "=", "bs"), ("ae", "=", "be")],
    "t_finishedby": [("as", "<", "bs"), ("ae", "=", "be")],
    "t_finishes": [("as", ">", "bs"), ("ae", "=", "be")],
    "t_intersects": [("as", "<=", "be"), ("ae", ">=", "bs")],
    "t_meets": [("ae", "=", "bs")],
    "t_metby": [("as", "=", "be")],
    "t_overlappedby": [("as", ">", "bs"), ("as", "<", "be"), ("ae", ">", "be")],
    "t_overlaps": [("as", "<", "bs"), ("ae", ">", "bs"), ("ae", "<", "be")],
    "t_startedby": [("as", "=", "bs"), ("ae", ">", "be")],
    "t_starts": [("as", "=", "bs"), ("ae", "<", "be")],
}

End = Operand | None  # None: an open end


class TemporalCompiler:
    """Compile one temporal operator; ``operand`` turns a node into a typed operand."""

    def __init__(self, dialect: Dialect, operand: Callable[[Any], Operand]) -> None:
        self.dialect = dialect
        self.operand = operand

    def compile(self, op: str, args: list) -> Fragment:
        """Return the SQL of ``op(args[0], args[1])``."""
        rules = TEMPORAL_RULES.get(op)
        if rules is None:
            raise InvalidFilter(f"temporal operator {op.upper()} is not supported")
        name = op.upper()
        (a_start, a_end), (b_start, b_end) = (self._interval(a, name) for a in args)
        ends = self._unified([a_start, a_end, b_start, b_end], name)
        for start, end in (ends[:2], ends[2:]):
            _check_order(start, end, name)
        bounds = [self._bound(e, low=i % 2 == 0) for i, e in enumerate(ends)]
        named = dict(zip(("as", "ae", "bs", "be"), bounds, strict=True))
        clause = _and([_bound_compare(named[x], cmp, named[y]) for x, cmp, y in rules])
        return Fragment("NOT ") + clause if op == "t_disjoint" else clause

    def _interval(self, node: Any, name: str) -> tuple[End, End]:
        if isinstance(node, dict) and "interval" in node:
            ends = node["interval"]
            if not isinstance(ends, list) or len(ends) != 2:
                raise InvalidFilter(f"{name}: an INTERVAL takes 2 instants (or '..')")
            return tuple(None if e == UNBOUNDED else self._instant(e, name) for e in ends)
        instant = self._instant(node, name)
        return instant, instant

    def _instant(self, node: Any, name: str) -> Operand:
        operand = literal(node) if isinstance(node, str) else self.operand(node)
        if operand.kind not in (*TEMPORAL, Kind.string) or (
            operand.kind is Kind.string and not operand.literal
        ):
            raise InvalidFilter(
                f"{name} compares dates or timestamps; {operand.label} is a {operand.kind.value}"
            )
        return operand

    def _unified(self, ends: list[End], name: str) -> list[End]:
        present = [e for e in ends if e is not None]
        properties = {e.kind for e in present if not e.literal}
        if len(properties) > 1:
            raise InvalidFilter(f"{name} compares a date property with a timestamp property")
        kinds = {e.kind for e in present}
        if properties:
            target = properties.pop()
        elif Kind.timestamp in kinds or any(
            e.kind is Kind.string and "T" in e.value.upper() for e in present
        ):
            target = Kind.timestamp
        else:
            target = Kind.date
        out: list[End] = []
        for end in ends:
            converted = None if end is None else convert(end, target)
            if end is not None and converted is None:
                raise InvalidFilter(
                    f"{name}: {end.label} is not an instant of the {target.value}s it is "
                    f"compared with (ISO 8601, e.g. "
                    f"{'2022-04-16' if target is Kind.date else '2022-04-16T10:13:19Z'})"
                )
            out.append(converted)
        return out

    def _bound(self, end: End, *, low: bool) -> Bound:
        if end is None:
            return -INF if low else INF
        if end.sql is not None:
            return end.sql
        return Fragment(self.dialect.placeholder, (self.dialect.temporal_literal(end.value),))


def _check_order(start: End, end: End, name: str) -> None:
    if start is None or end is None or not (start.literal and end.literal):
        return
    if start.value > end.value:
        raise InvalidFilter(
            f"{name}: the interval starts ({start.label}) after it ends ({end.label})"
        )


def _bound_compare(lhs: Bound, cmp: str, rhs: Bound) -> Fragment:
    """Compare two interval ends; an open end ('..') is -inf or +inf."""
    if isinstance(lhs, Fragment) and isinstance(rhs, Fragment):
        return Fragment("(") + lhs + Fragment(f" {cmp} ") + rhs + Fragment(")")
    # At least one side is infinite, so the answer does not depend on the row:
    # a finite end stands in as 0.
    left = 0.0 if isinstance(lhs, Fragment) else lhs
    right = 0.0 if isinstance(rhs, Fragment) else rhs
    ops = {"<": left < right, "<=": left <= right, ">": left > right}
    ops |= {">=": left >= right, "=": left == right and left != 0.0}
    return Fragment("1=1" if ops[cmp] else "1=0")


def _and(parts: list[Fragment]) -> Fragment:
    return Fragment(
        "(" + " AND ".join(p.sql for p in parts) + ")",
        tuple(x for p in parts for x in p.params),
    )
