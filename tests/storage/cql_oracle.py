"""An in-memory CQL2 evaluator: what a filter should select, computed in Python.

Written apart from the compiler so the property tests compare two independent
readings of the same rules: SQL's three-valued logic (None is unknown), the
literal conversions of ``cql_types`` (a literal takes the type of what it is
compared with when the conversion is exact), PostgreSQL's arithmetic (division
by zero is NULL, bigint overflow raises, ``%`` is ``mod(numeric)``) and shapely's
spatial predicates.
"""

from __future__ import annotations

import decimal
import math
import re
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Any

import shapely
from shapely.geometry import box, shape


class Mismatch(Exception):
    """The filter mixes types no exact conversion reconciles: a 400 on both stores."""


class Undefined(Exception):
    """Evaluating the filter fails on some row (overflow): a 400 on both stores."""


KINDS = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamp",
}
NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")


class Value:
    """An operand: its kind, whether it is a literal, and a function of the row."""

    def __init__(self, kind: str, literal: bool, get) -> None:
        self.kind, self.literal, self.get = kind, literal, get


def _constant(kind: str, value: Any) -> Value:
    return Value(kind, True, lambda row: value)


def _midnight_date(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None and moment.timetz() == time(tzinfo=UTC) else None


def _text_to_date(raw: str) -> date | None:
    raw = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return date.fromisoformat(raw)
    return _midnight_date(_timestamp(raw, strict=False))


CONVERSIONS = {
    ("number", "string"): lambda v: str(int(v)) if float(v).is_integer() else None,
    ("string", "number"): lambda v: float(v) if NUMBER_TEXT.fullmatch(v) else None,
    ("string", "boolean"): lambda v: {"true": True, "false": False}.get(v.strip().lower()),
    ("string", "date"): _text_to_date,
    ("string", "timestamp"): lambda v: _timestamp(v.strip(), strict=False),
    ("date", "timestamp"): lambda v: datetime.combine(v, time(), tzinfo=UTC),
    ("timestamp", "date"): _midnight_date,
}


def _convert(value: Value, kind: str) -> Value:
    if value.kind in (kind, "null"):
        return value
    if not value.literal:
        raise Mismatch(f"{value.kind} vs {kind}")
    raw = value.get(None)
    converted = CONVERSIONS.get((value.kind, kind), lambda v: None)(raw)
    if converted is None:
        raise Mismatch(f"{raw!r} to {kind}")
    return _constant(kind, converted)


def _unify(values: list[Value]) -> list[Value]:
    typed = [v for v in values if v.kind != "null"]
    if not typed:
        return values
    target = next((v for v in typed if not v.literal), typed[0])
    return [_convert(v, target.kind) for v in values]


class Oracle:
    """Evaluate CQL2-JSON predicates over rows (dicts of attribute values + geometry)."""

    def __init__(self, types: dict[str, str]) -> None:
        self.kinds = {name: KINDS[t] for name, t in types.items()}

    def select(self, tree: Any, rows: list[dict]) -> list[int]:
        """Return the 1-based numbers of the rows the predicate is true for."""
        predicate = self.predicate(tree)
        return [i + 1 for i, row in enumerate(rows) if predicate(row) is True]

    # -- predicates --------------------------------------------------------------

    def predicate(self, node: Any):
        if isinstance(node, bool):
            return lambda row: node
        op, args = node["op"], node["args"]
        if op in ("and", "or"):
            parts = [self.predicate(a) for a in args]
            return lambda row: _kleene(op, [p(row) for p in parts])
        if op == "not":
            inner = self.predicate(args[0])
            return lambda row: None if inner(row) is None else not inner(row)
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return self._comparison(op, args)
        handlers = {"between": self._between, "in": self._in, "isNull": self._is_null}
        handlers["like"] = self._like
        if op in handlers:
            return handlers[op](args)
        if op.startswith("s_"):
            return self._spatial(op, args)
        return self._temporal(op, args)

    def _between(self, args: list):
        value, low, high = _unify([self.value(a) for a in args])
        if {value.kind, low.kind, high.kind} & {"boolean", "geometry"}:
            raise Mismatch("between")
        return lambda row: _kleene(
            "and",
            [
                _compare("<=", low.get(row), value.get(row)),
                _compare("<=", value.get(row), high.get(row)),
            ],
        )

    def _in(self, args: list):
        lhs, *items = _unify([self.value(args[0]), *(self.value(i) for i in args[1])])
        return lambda row: _kleene("or", [_compare("=", lhs.get(row), i.get(row)) for i in items])

    def _is_null(self, args: list):
        value = self.value(args[0])
        return lambda row: value.get(row) is None

    def _comparison(self, op: str, args: list):
        lhs, rhs = _unify([self.value(a) for a in args])
        return lambda row: _compare(op, lhs.get(row), rhs.get(row))

    def _like(self, args: list):
        value = _convert(self.value(args[0]), "string")
        pattern, folds = args[1], []
        while isinstance(pattern, dict):
            folds.append(pattern["op"])
            pattern = pattern["args"][0]
        for fold in reversed(folds):
            pattern = _fold(fold, pattern)
        regex = re.compile(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern),
            re.DOTALL,
        )
        return lambda row: None if value.get(row) is None else bool(regex.fullmatch(value.get(row)))

    def _spatial(self, op: str, args: list):
        literal = args[1]
        geometry = _bbox(*literal["bbox"]) if "bbox" in literal else shape(literal)
        test = getattr(shapely, op.removeprefix("s_"))
        return lambda row: (
            None if row["geometry"] is None else bool(test(row["geometry"], geometry))
        )

    def _temporal(self, op: str, args: list):
        ends = []
        for arg in args:
            if isinstance(arg, dict) and "interval" in arg:
                ends += [self._instant(e) for e in arg["interval"]]
            else:
                ends += [self._instant(arg)] * 2
        kinds = {e.kind for e in ends if not e.literal}
        if len(kinds) > 1:
            raise Mismatch("date vs timestamp properties")
        target = (
            kinds.pop()
            if kinds
            else ("timestamp" if any(e.kind == "timestamp" for e in ends) else "date")
        )
        a0, a1, b0, b1 = (_convert(e, target) for e in ends)
        for start, end in ((a0, a1), (b0, b1)):
            if start.literal and end.literal and start.get(None) > end.get(None):
                raise Mismatch("interval starts after it ends")
        rules = {
            "t_after": [(a0, ">", b1)],
            "t_before": [(a1, "<", b0)],
            "t_during": [(a0, ">", b0), (a1, "<", b1)],
            "t_intersects": [(a0, "<=", b1), (a1, ">=", b0)],
            "t_equals": [(a0, "=", b0), (a1, "=", b1)],
        }
        if op == "t_disjoint":
            inner = self._temporal("t_intersects", args)
            return lambda row: None if inner(row) is None else not inner(row)
        return lambda row: _kleene(
            "and", [_compare(c, x.get(row), y.get(row)) for x, c, y in rules[op]]
        )

    def _instant(self, node: Any) -> Value:
        value = self.value(node)
        if value.kind not in ("date", "timestamp", "string") or (
            value.kind == "string" and not value.literal
        ):
            raise Mismatch("temporal operand")
        if value.kind == "string":
            raw = value.get(None)
            kind = "timestamp" if "T" in raw.upper() else "date"
            parsed = date.fromisoformat(raw) if kind == "date" else _timestamp(raw)
            return _constant(kind, parsed)
        return value

    # -- values ------------------------------------------------------------------

    def value(self, node: Any) -> Value:
        if node is None:
            return _constant("null", None)
        if isinstance(node, bool):
            return _constant("boolean", node)
        if isinstance(node, int | float):
            return _constant("number", float(node))
        if isinstance(node, str):
            return _constant("string", node)
        if "property" in node:
            name = node["property"]
            if name == "geometry":
                return Value("geometry", False, lambda row: row["geometry"])
            return Value(self.kinds[name], False, lambda row: row[name])
        if "date" in node:
            return _constant("date", date.fromisoformat(node["date"]))
        if "timestamp" in node:
            return _constant("timestamp", _timestamp(node["timestamp"]))
        op = node["op"]
        if op in ("casei", "accenti"):
            inner = _convert(self.value(node["args"][0]), "string")
            return Value("string", False, lambda row: _fold(op, inner.get(row)))
        lhs, rhs = (_convert(self.value(a), "number") for a in node["args"])
        return Value("number", False, lambda row: _arithmetic(op, lhs.get(row), rhs.get(row)))


def _bbox(minx: float, miny: float, maxx: float, maxy: float) -> shapely.Geometry:
    """Return the points a BBOX covers: a box, or a segment or point when it is flat."""
    corners = shapely.multipoints([(minx, miny), (maxx, maxy)])
    return box(minx, miny, maxx, maxy) if minx < maxx and miny < maxy else corners.convex_hull


def _timestamp(text: str, *, strict: bool = True) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        if strict:
            raise
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fold(op: str, text: str | None) -> str | None:
    if text is None:
        return None
    if op == "casei":
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _kleene(op: str, values: list[bool | None]) -> bool | None:
    decisive = op == "or"  # true decides an OR, false an AND
    if any(v is decisive for v in values):
        return decisive
    return None if any(v is None for v in values) else not decisive


def _numeric(value: int | float) -> decimal.Decimal:
    return decimal.Decimal(value) if isinstance(value, int) else decimal.Decimal(f"{value:.15g}")


def _quotient(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):  # bigint / bigint truncates
        return abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return a / b


def _modulo(a: Any, b: Any) -> float:
    return float(decimal.Context(prec=800).remainder(_numeric(a), _numeric(b)))


def _int_div(a: Any, b: Any) -> Any:
    result = _quotient(a, b)
    return float(math.trunc(result)) if isinstance(result, float) else result


OPERATIONS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _quotient,
    "div": _int_div,
    "%": _modulo,
    "^": lambda a, b: math.pow(float(a), float(b)),  # small non-negative integer exponents
}


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None or (op in ("/", "div", "%") and b == 0):
        return None
    result = OPERATIONS[op](a, b)
    if isinstance(result, int) and not -(2**63) <= result < 2**63:
        raise Undefined("bigint out of range")
    if isinstance(result, float) and math.isinf(result):
        raise Undefined("overflow")
    return result
