"""CQL2 filters (OGC API Features Part 3) compiled to parameterised SQL.

Parsing and validation are done by the ``cql2`` library (text and JSON, the
reference grammar). What comes out is the standard CQL2-JSON tree, which this
module compiles to a WHERE fragment for a :class:`Dialect` (SQLite/GeoPackage or
PostGIS), so filters run in the database and literals always travel as bound
parameters, never spliced into SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import cql2
import shapely
from shapely.geometry import box, shape

from geoservice.errors import InvalidFilter

COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
ARITHMETIC = {"+", "-", "*", "/", "%"}
SPATIAL_OPS = (
    "s_intersects",
    "s_disjoint",
    "s_equals",
    "s_touches",
    "s_within",
    "s_overlaps",
    "s_crosses",
    "s_contains",
)
GEOMETRY_NAMES = ("geometry", "geom")
UNBOUNDED = ".."


@dataclass(frozen=True)
class Fragment:
    """A piece of SQL with its bound parameters, in order."""

    sql: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.sql + other.sql, self.params + other.params)


class Dialect(Protocol):
    """What differs between the SQL engines a filter compiles to."""

    placeholder: str

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        ...

    def spatial(self, op: str, column: str, geometry: shapely.Geometry) -> Fragment:
        """Return a spatial predicate of the geometry column against a literal."""
        ...

    def casei(self, expr: Fragment) -> Fragment:
        """Return a case-folded expression."""
        ...

    def accenti(self, expr: Fragment) -> Fragment:
        """Return an accent-stripped expression."""
        ...

    def temporal_literal(self, value: date | datetime) -> Any:
        """Return a bound parameter value for a date or timestamp."""
        ...

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Return ``lhs op rhs`` for + - * / % div (integer division) and ^ (power)."""
        ...


def parse_filter(text_or_json: str, lang: str | None) -> dict:
    """Parse a CQL2 filter (``cql2-text`` or ``cql2-json``) into CQL2-JSON.

    Raises
    ------
    InvalidFilter
        With the parser's message, which points at the offending character.
    """
    lang = lang or "cql2-text"
    try:
        if lang == "cql2-text":
            expr = cql2.parse_text(text_or_json)
        elif lang == "cql2-json":
            expr = cql2.parse_json(text_or_json)
        else:
            raise InvalidFilter(
                f"filter-lang {lang!r} is not supported; use cql2-text or cql2-json"
            )
        # Not expr.validate(): the JSON-schema check costs ~40 ms a call, and the
        # compiler below already rejects any structure it does not understand.
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise InvalidFilter(f"filter does not parse as {lang}: {exc}") from None
    tree = expr.to_json()
    return json.loads(tree) if isinstance(tree, str) else tree


@dataclass
class FilterCompiler:
    """Compile one CQL2-JSON tree against a layer's queryables.

    ``columns`` maps queryable names to SQL column names; ``geometry_column`` is
    the geometry column; ``to_storage`` reprojects geometry literals from the
    filter CRS into the storage CRS.
    """

    dialect: Dialect
    columns: Mapping[str, str]
    geometry_column: str
    to_storage: Callable[[shapely.Geometry], shapely.Geometry]

    def compile(self, node: Any) -> Fragment:
        """Return the SQL fragment of a boolean CQL2 expression."""
        if isinstance(node, bool):
            return Fragment("1=1" if node else "1=0")
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidFilter(f"expected a predicate, got {json.dumps(node)}")
        op = node["op"].lower() if node["op"] != "isNull" else "isNull"
        args = node.get("args", [])
        handler = self._handlers().get(op)
        if handler is None:
            if op in SPATIAL_OPS:
                return self._spatial(op, args)
            if op.startswith("t_"):
                return self._temporal(op, args)
            raise InvalidFilter(f"CQL2 operator {node['op']!r} is not supported")
        return handler(args)

    def _handlers(self) -> dict[str, Callable[[list], Fragment]]:
        return {
            "and": lambda a: self._join(" AND ", a),
            "or": lambda a: self._join(" OR ", a),
            "not": lambda a: Fragment("NOT (") + self.compile(a[0]) + Fragment(")"),
            "isNull": lambda a: self.scalar(a[0]) + Fragment(" IS NULL"),
            "like": self._like,
            "between": self._between,
            "in": self._in,
            **{op: self._comparison(sql) for op, sql in COMPARISONS.items()},
        }

    def _join(self, sep: str, args: list) -> Fragment:
        parts = [self.compile(a) for a in args]
        return Fragment(
            "(" + sep.join(p.sql for p in parts) + ")",
            tuple(x for p in parts for x in p.params),
        )

    def _comparison(self, sql_op: str) -> Callable[[list], Fragment]:
        def build(args: list) -> Fragment:
            lhs, rhs = (self.scalar(a) for a in args)
            return Fragment("(") + lhs + Fragment(f" {sql_op} ") + rhs + Fragment(")")

        return build

    def _like(self, args: list) -> Fragment:
        lhs, pattern = self.scalar(args[0]), self.scalar(args[1])
        return lhs + Fragment(" LIKE ") + pattern + Fragment(" ESCAPE '\\'")

    def _between(self, args: list) -> Fragment:
        value, low, high = (self.scalar(a) for a in args)
        return (
            Fragment("(")
            + value
            + Fragment(" BETWEEN ")
            + low
            + Fragment(" AND ")
            + high
            + Fragment(")")
        )

    def _in(self, args: list) -> Fragment:
        lhs = self.scalar(args[0])
        items = [self.scalar(v) for v in args[1]]
        if not items:
            return Fragment("1=0")
        inner = Fragment(", ".join(i.sql for i in items), sum((i.params for i in items), ()))
        return lhs + Fragment(" IN (") + inner + Fragment(")")

    def scalar(self, node: Any) -> Fragment:
        """Compile a scalar expression: property, literal, function or arithmetic."""
        ph = self.dialect.placeholder
        if node is None:
            return Fragment("NULL")
        if isinstance(node, bool | int | float | str):
            return Fragment(ph, (node,))
        if isinstance(node, dict):
            if "property" in node:
                return Fragment(self._column(node["property"]))
            if "date" in node or "timestamp" in node:
                return Fragment(ph, (self._temporal_value(node),))
            op = node.get("op", "").lower()
            if op in ("casei", "accenti"):
                inner = self.scalar(node["args"][0])
                fn = self.dialect.casei if op == "casei" else self.dialect.accenti
                return fn(inner)
            if op in ARITHMETIC or op in ("div", "^"):
                lhs, rhs = (self.scalar(a) for a in node["args"])
                return self.dialect.arithmetic(op, lhs, rhs)
        raise InvalidFilter(f"unsupported expression in filter: {json.dumps(node)}")

    def _column(self, name: str) -> str:
        if name in self.columns:
            return self.dialect.ident(self.columns[name])
        raise InvalidFilter(
            f"unknown property {name!r} in filter; queryables are "
            f"{sorted(self.columns)} (see /queryables)"
        )

    def _spatial(self, op: str, args: list) -> Fragment:
        lhs, rhs = args
        if self._is_geometry_property(rhs) and not self._is_geometry_property(lhs):
            lhs, rhs = rhs, lhs
            op = {"s_within": "s_contains", "s_contains": "s_within"}.get(op, op)
        if not self._is_geometry_property(lhs):
            raise InvalidFilter(
                f"{op.upper()} needs the geometry property ({GEOMETRY_NAMES[0]!r}) as one argument"
            )
        geometry = self.to_storage(_literal_geometry(rhs))
        return self.dialect.spatial(op, self.geometry_column, geometry)

    def _is_geometry_property(self, node: Any) -> bool:
        return isinstance(node, dict) and node.get("property") in GEOMETRY_NAMES

    def _temporal(self, op: str, args: list) -> Fragment:
        (a_start, a_end), (b_start, b_end) = (self._interval(a) for a in args)
        rules = TEMPORAL_RULES.get(op)
        if rules is None:
            raise InvalidFilter(f"temporal operator {op.upper()} is not supported")
        ends = {"as": a_start, "ae": a_end, "bs": b_start, "be": b_end}
        clause = _and([_bound_compare(ends[x], cmp, ends[y]) for x, cmp, y in rules])
        return Fragment("NOT ") + clause if op == "t_disjoint" else clause

    def _interval(self, node: Any) -> tuple[Bound, Bound]:
        if isinstance(node, dict) and "interval" in node:
            start, end = node["interval"]
            low = -INF if start == UNBOUNDED else self._instant(start)
            high = INF if end == UNBOUNDED else self._instant(end)
            return low, high
        value = self._instant(node)
        return value, value

    def _instant(self, node: Any) -> Fragment:
        if isinstance(node, str):
            node = {"timestamp": node} if "T" in node else {"date": node}
        return self.scalar(node)

    def _temporal_value(self, node: dict) -> Any:
        text = node.get("date") or node.get("timestamp")
        try:
            if "date" in node:
                return self.dialect.temporal_literal(date.fromisoformat(text))
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidFilter(f"not an ISO 8601 date/timestamp: {text!r}") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return self.dialect.temporal_literal(value)


INF = float("inf")
Bound = Fragment | float


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


def binary(lhs: Fragment, operator: str, rhs: Fragment) -> Fragment:
    """Return ``(lhs operator rhs)``."""
    return Fragment("(") + lhs + Fragment(f" {operator} ") + rhs + Fragment(")")


def _and(parts: list[Fragment]) -> Fragment:
    return Fragment(
        "(" + " AND ".join(p.sql for p in parts) + ")",
        tuple(x for p in parts for x in p.params),
    )


def _literal_geometry(node: Any) -> shapely.Geometry:
    if isinstance(node, dict) and "bbox" in node:
        bbox = node["bbox"]
        if len(bbox) == 6:
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        minx, miny, maxx, maxy = bbox
        if minx > maxx:  # crosses the antimeridian
            return shapely.union(box(minx, miny, 180, maxy), box(-180, miny, maxx, maxy))
        return box(*bbox)
    if isinstance(node, dict) and "type" in node:
        try:
            return shape(node)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidFilter(f"invalid geometry literal in filter: {exc}") from None
    raise InvalidFilter(f"expected a geometry literal, got {json.dumps(node)}")


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
