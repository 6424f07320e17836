"""CQL2 filters (OGC API Features Part 3) compiled to parameterised SQL.

Parsing is done by the ``cql2`` library (text and JSON, the reference grammar),
after :mod:`cql_limits` has bounded the filter's length and nesting: the parser
crashes the process on deep input. What comes out is the standard CQL2-JSON tree,
simplified (:mod:`cql_tree`), type-checked against the layer's attributes
(:mod:`cql_types`) and compiled to a WHERE fragment for a :class:`Dialect`
(SQLite/GeoPackage or PostGIS), so filters run in the database and literals always
travel as bound parameters. Whatever a client sends, the answer is SQL or a 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cql2
import numpy as np
import shapely

from geoservice.catalog.models import AttributeType
from geoservice.errors import InvalidFilter
from geoservice.settings import FilterLimits
from geoservice.storage import cql_tree
from geoservice.storage.cql_limits import check_filter
from geoservice.storage.cql_literals import geometry_literal, like_pattern
from geoservice.storage.cql_temporal import TemporalCompiler
from geoservice.storage.cql_types import (
    ATTRIBUTE_KINDS,
    Kind,
    Operand,
    literal,
    require,
    temporal_literal,
    unify,
)
from geoservice.storage.sqlfragment import Dialect, Fragment, binary, joined

__all__ = ["Dialect", "FilterCompiler", "Fragment", "binary", "parse_filter"]

COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
ORDERING = frozenset({"<", "<=", ">", ">="})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "div", "^"})
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
MAX_BOUND_VALUES = 30_000
"""Literals one filter may bind: PostgreSQL takes at most 65 535 parameters a
statement, SQLite builds commonly 32 766."""
DEFAULT_LIMITS = FilterLimits()


def parse_filter(text_or_json: str, lang: str | None, limits: FilterLimits = DEFAULT_LIMITS) -> Any:
    """Parse a CQL2 filter (``cql2-text`` or ``cql2-json``) into simplified CQL2-JSON.

    Raises
    ------
    InvalidFilter
        When the filter exceeds ``limits`` (before any parsing), does not parse
        (with the parser's message, which points at the offending character) or
        nests deeper than the databases accept.
    """
    lang = lang or "cql2-text"
    if lang == "cql-text":  # the pre-standard name GDAL's OAPIF driver sends
        lang = "cql2-text"
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidFilter(f"filter-lang {lang!r} is not supported; use cql2-text or cql2-json")
    check_filter(text_or_json, lang, limits)
    try:
        parse = cql2.parse_text if lang == "cql2-text" else cql2.parse_json
        expr = parse(text_or_json)
        # Not expr.validate(): the JSON-schema check costs ~40 ms a call, and the
        # compiler rejects any structure it does not understand.
        tree = expr.to_json()
    except Exception as exc:  # every failure of the parser is the client's filter
        raise InvalidFilter(f"filter does not parse as {lang}: {exc}") from None
    found = cql_tree.operators(tree)
    if found > limits.max_operators:  # CQL2-JSON may spell "op" with escapes
        raise InvalidFilter(
            f"filter has {found:,} operators; at most {limits.max_operators:,} are accepted "
            "(setting api.filters.max_operators)"
        )
    tree = cql_tree.simplify(tree)
    cql_tree.check_nesting(tree)
    return tree


def _arguments(node: dict, count: int | None, name: str | None = None) -> list:
    """Return a node's arguments, refusing a missing list or a wrong number of them."""
    args = node.get("args")
    shown = name or str(node.get("op")).upper()
    if not isinstance(args, list):
        raise InvalidFilter(f"{shown} needs an 'args' list")
    if count is not None and len(args) != count:
        raise InvalidFilter(f"{shown} takes {count} argument(s), got {len(args)}")
    return args


@dataclass
class FilterCompiler:
    """Compile one CQL2-JSON tree against a layer's queryables.

    ``columns`` maps queryable names to SQL column names and ``types`` gives their
    attribute types; ``geometry_column`` is the geometry column; ``to_storage``
    reprojects geometry literals from the filter CRS into the storage CRS.
    """

    dialect: Dialect
    columns: Mapping[str, str]
    geometry_column: str
    to_storage: Callable[[shapely.Geometry], shapely.Geometry]
    types: Mapping[str, AttributeType] = field(default_factory=dict)
    _negations: int = field(default=0, init=False)

    def compile(self, node: Any) -> Fragment:
        """Return the SQL fragment of a boolean CQL2 expression."""
        tree = cql_tree.simplify(node)
        cql_tree.check_nesting(tree)
        fragment = self.predicate(tree)
        if len(fragment.params) > MAX_BOUND_VALUES:
            raise InvalidFilter(
                f"filter holds {len(fragment.params):,} values; at most "
                f"{MAX_BOUND_VALUES:,} fit in one database query"
            )
        return fragment

    # -- predicates ------------------------------------------------------------

    def predicate(self, node: Any) -> Fragment:
        """Return the SQL of a boolean expression."""
        if isinstance(node, bool):
            return Fragment("1=1" if node else "1=0")
        op = cql_tree.op_of(node)
        if op is None:
            return self._boolean_operand(node)
        handler = self._handlers().get(op)
        if handler is not None:
            return handler(node)
        if op in SPATIAL_OPS:
            return self._spatial(op, _arguments(node, 2))
        if op.startswith("t_"):
            return TemporalCompiler(self.dialect, self.operand).compile(op, _arguments(node, 2))
        if op in ARITHMETIC or op in ("casei", "accenti"):
            raise InvalidFilter(f"{op.upper()} gives a value, not a condition: compare it")
        raise InvalidFilter(f"CQL2 operator {node['op']!r} is not supported")

    def _handlers(self) -> dict[str, Callable[[dict], Fragment]]:
        return {
            "and": lambda n: self._junction(" AND ", _arguments(n, None)),
            "or": lambda n: self._junction(" OR ", _arguments(n, None)),
            "not": self._not,
            "isNull": self._is_null,
            "like": self._like,
            "between": self._between,
            "in": self._in,
            **dict.fromkeys(COMPARISONS, self._comparison),
        }

    def _not(self, node: dict) -> Fragment:
        (inner,) = _arguments(node, 1, "NOT")
        self._negations += 1
        try:
            return Fragment("NOT (") + self.predicate(inner) + Fragment(")")
        finally:
            self._negations -= 1

    def _boolean_operand(self, node: Any) -> Fragment:
        operand = self.operand(node)
        if operand.kind is not Kind.boolean:
            raise InvalidFilter(f"expected a condition, got {operand.label}")
        return Fragment("(") + self.sql(operand) + Fragment(")")

    def _junction(self, separator: str, args: list) -> Fragment:
        parts = [self.predicate(a) for a in args]
        if not parts:
            raise InvalidFilter(f"{separator.strip()} needs at least one argument")
        # Groups of CHUNK terms: SQLite nests a chain of n terms n deep.
        while len(parts) > cql_tree.CHUNK:
            step = cql_tree.CHUNK
            parts = [joined(parts[i : i + step], separator) for i in range(0, len(parts), step)]
        return joined(parts, separator)

    def _comparison(self, node: dict) -> Fragment:
        op = cql_tree.op_of(node)
        args = _arguments(node, 2)
        lhs, rhs = unify([self.operand(a) for a in args], f"'{op}'")
        if Kind.geometry in (lhs.kind, rhs.kind):
            raise InvalidFilter(
                f"'{op}' cannot compare geometries; use S_EQUALS, S_INTERSECTS or another "
                "spatial operator"
            )
        left, right = self.sql(lhs), self.sql(rhs)
        if op in ORDERING and lhs.kind is Kind.string:
            left, right = self.dialect.ordered(left), self.dialect.ordered(right)
        return binary(left, COMPARISONS[op], right)

    def _is_null(self, node: dict) -> Fragment:
        (arg,) = _arguments(node, 1, "IS NULL")
        operand = self.operand(arg, allow_geometry=True)
        if operand.literal:  # a bare NULL parameter has no type in PostgreSQL
            return Fragment("1=1" if operand.value is None else "1=0")
        return Fragment("(") + self.sql(operand) + Fragment(" IS NULL)")

    def _like(self, node: dict) -> Fragment:
        value, pattern = _arguments(node, 2, "LIKE")
        lhs = require(self.operand(value), (Kind.string,), "LIKE")
        text, wrappers = like_pattern(pattern)
        return self.dialect.like(self.sql(lhs), text, wrappers)

    def _between(self, node: dict) -> Fragment:
        args = _arguments(node, 3, "BETWEEN")
        value, low, high = unify([self.operand(a) for a in args], "BETWEEN")
        if value.kind in (Kind.boolean, Kind.geometry):
            shown = next(o for o in (value, low, high) if o.value is not None or not o.literal)
            raise InvalidFilter(f"BETWEEN needs numbers, text or dates; {shown.label} is not")
        parts = [self.sql(o) for o in (value, low, high)]
        if value.kind is Kind.string:
            parts = [self.dialect.ordered(p) for p in parts]
        return (
            Fragment("(")
            + parts[0]
            + Fragment(" BETWEEN ")
            + parts[1]
            + Fragment(" AND ")
            + parts[2]
            + Fragment(")")
        )

    def _in(self, node: dict) -> Fragment:
        value, items = _arguments(node, 2, "IN")
        if not isinstance(items, list):
            raise InvalidFilter("IN needs a list of values: x IN (1, 2)")
        if not items:
            return Fragment("1=0")
        lhs, *rest = unify([self.operand(value), *(self.operand(i) for i in items)], "IN")
        if lhs.kind is Kind.geometry:
            raise InvalidFilter("IN cannot compare geometries")
        listed = joined([self.sql(o) for o in rest], ", ")
        return Fragment("(") + self.sql(lhs) + Fragment(" IN ") + listed + Fragment(")")

    def _spatial(self, op: str, args: list) -> Fragment:
        lhs, rhs = args
        if self._is_geometry(rhs) and not self._is_geometry(lhs):
            lhs, rhs = rhs, lhs
            op = {"s_within": "s_contains", "s_contains": "s_within"}.get(op, op)
        if not self._is_geometry(lhs):
            raise InvalidFilter(
                f"{op.upper()} needs the geometry property ({GEOMETRY_NAMES[0]!r}) as one "
                "argument and a geometry literal as the other"
            )
        stored = self.to_storage(geometry_literal(rhs, op))
        if not np.isfinite(shapely.get_coordinates(stored)).all():
            raise InvalidFilter(
                f"{op.upper()}: the geometry lies outside the area where the filter CRS "
                "can be converted to the layer's"
            )
        # Under NOT a missing geometry must stay unknown (NULL), which an index
        # prefilter (false for it) would turn into true.
        return self.dialect.spatial(
            op, self.geometry_column, stored, prefilter=self._negations % 2 == 0
        )

    def _is_geometry(self, node: Any) -> bool:
        return isinstance(node, dict) and node.get("property") in GEOMETRY_NAMES

    # -- scalar operands -------------------------------------------------------

    def operand(self, node: Any, *, allow_geometry: bool = False) -> Operand:
        """Return the typed operand of a scalar expression."""
        if node is None or isinstance(node, bool | int | float | str):
            return literal(node)
        if isinstance(node, dict):
            if "property" in node:
                return self._property(node["property"], allow_geometry)
            if "date" in node or "timestamp" in node:
                return temporal_literal(node)
            op = cql_tree.op_of(node)
            if op in ("casei", "accenti"):
                return self._text_function(op, node)
            if op in ARITHMETIC:
                return self._arithmetic(op, node)
            if op is not None:
                raise InvalidFilter(
                    f"function or operator {node['op']!r} cannot be used as a value here; "
                    "filters may use CASEI, ACCENTI and + - * / % div ^"
                )
        raise InvalidFilter(f"unsupported expression in filter: {_shown(node)}")

    def _property(self, name: Any, allow_geometry: bool) -> Operand:
        if not isinstance(name, str):
            raise InvalidFilter(f"property names are text, got {name!r}")
        if name in GEOMETRY_NAMES and name not in self.columns:
            if not allow_geometry:
                raise InvalidFilter(
                    f"the geometry ({name!r}) can only be used in spatial operators "
                    "(S_INTERSECTS, ...) and IS NULL"
                )
            column = Fragment(self.dialect.ident(self.geometry_column))
            return Operand(Kind.geometry, f"property {name!r}", column)
        if name not in self.columns:
            raise InvalidFilter(
                f"unknown property {name!r} in filter; queryables are "
                f"{sorted(self.columns)} (see /queryables)"
            )
        kind = ATTRIBUTE_KINDS[self.types.get(name, AttributeType.string)]
        return Operand(kind, f"property {name!r}", Fragment(self.dialect.ident(self.columns[name])))

    def _text_function(self, op: str, node: dict) -> Operand:
        (arg,) = _arguments(node, 1)
        inner = require(self.operand(arg), (Kind.string,), op.upper())
        function = self.dialect.casei if op == "casei" else self.dialect.accenti
        return Operand(Kind.string, f"{op.upper()}({inner.label})", function(self.sql(inner)))

    def _arithmetic(self, op: str, node: dict) -> Operand:
        lhs, rhs = (
            require(self.operand(a), (Kind.number,), f"arithmetic ({op})")
            for a in _arguments(node, 2)
        )
        sql = self.dialect.arithmetic(op, self.sql(lhs), self.sql(rhs))
        return Operand(Kind.number, f"an arithmetic expression ({op})", sql)

    def sql(self, operand: Operand) -> Fragment:
        """Return the SQL of an operand, binding a literal as a parameter."""
        if operand.sql is not None:
            return operand.sql
        if operand.value is None:
            return Fragment(self.dialect.null(operand.kind.value))
        value = operand.value
        if operand.kind in (Kind.date, Kind.timestamp):
            value = self.dialect.temporal_literal(value)
        return Fragment(self.dialect.placeholder, (value,))


def _shown(node: Any) -> str:
    text = json.dumps(node)
    return text if len(text) <= 200 else text[:197] + "..."
