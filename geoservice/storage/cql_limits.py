"""Measure a CQL2 filter before it is parsed: length, nesting and operator count.

The ``cql2`` parser (Rust) recurses for every nesting level and every operator of
a chain, and a stack overflow there is not an exception: it kills the process.
One GET with 3 000 parentheses, 10 000 ``NOT``s or a long ``1+1+…`` chain did. So
the text is scanned first, with regular expressions that skip string literals
(``'it''s'``) and quoted identifiers (``"a ""b"" c"``), and refused with a 400 that
names the limit and what was found.

Depth is measured as an upper bound on the parse tree the text would build:

* every open parenthesis or bracket is one level;
* inside a level, every operator since the last ``AND``, ``OR`` or comma adds one
  (``NOT NOT NOT x``, ``- - - 1``, ``1 + 1 + 1`` nest once per operator; an
  ``AND``/``OR`` chain is flattened by the parser, so it does not nest);
* coordinates of geometry literals (``POLYGON((-1 -2, …))``) count their
  parentheses only: their minus signs are part of numbers.

A CQL2-JSON filter nests through objects and arrays; its operators are its
``"op"`` members. (The JSON parser of ``cql2`` also stops at 128 levels.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoservice.errors import InvalidFilter
from geoservice.settings import FilterLimits

_TEXT_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'[^']*(?:''[^']*)*'?)
  | (?P<ident>"[^"]*(?:""[^"]*)*"?)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.:]*)
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<operator><>|<=|>=|!=|[=<>+\-*/%^])
  | (?P<comma>,)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_PARENS = re.compile(r"[()\[\]]")
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}:]|[^"\[\]{}:]+', re.DOTALL)

GEOMETRY_WORDS = frozenset(
    {
        "POINT",
        "LINESTRING",
        "POLYGON",
        "MULTIPOINT",
        "MULTILINESTRING",
        "MULTIPOLYGON",
        "GEOMETRYCOLLECTION",
        "BBOX",
        "ENVELOPE",
    }
)
"""Words followed by a parenthesised list of coordinates (or BBOX numbers)."""
_DIMENSION_WORDS = frozenset({"Z", "M", "ZM"})
_CHAIN_BREAKS = frozenset({"AND", "OR"})
_OPERATOR_WORDS = frozenset({"NOT", "DIV", "LIKE", "BETWEEN", "IN", "IS"})


@dataclass(frozen=True)
class FilterShape:
    """What the scan found: characters, nesting depth and operators."""

    chars: int
    depth: int
    operators: int


@dataclass
class _Level:
    chain: int = 0


class _TextScan:
    """One pass over CQL2 text; see the module docstring for what counts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.levels = [_Level()]
        self.chained = 0  # sum of the open levels' chains
        self.depth = 0
        self.operators = 0
        self.geometry_next = False

    def run(self) -> FilterShape:
        position = 0
        while match := _TEXT_TOKEN.match(self.text, position):
            position = match.end()
            kind = match.lastgroup
            if kind == "space":
                continue
            if kind == "open" and self.geometry_next:
                position = self._skip_geometry(match.start())
                self.geometry_next = False
                continue
            self._token(kind, match.group())
        return FilterShape(len(self.text), self.depth, self.operators)

    def _token(self, kind: str, value: str) -> None:
        if kind == "word":
            self._word(value.upper())
            return
        self.geometry_next = False
        if kind == "open":
            self.levels.append(_Level())
            self._measure()
        elif kind == "close" and len(self.levels) > 1:
            self.chained -= self.levels.pop().chain
        elif kind == "operator":
            self._operator()
        elif kind == "comma":
            self._break_chain()

    def _word(self, word: str) -> None:
        if word in GEOMETRY_WORDS:
            self.geometry_next = True
        elif word not in _DIMENSION_WORDS:
            self.geometry_next = False
        if word in _CHAIN_BREAKS:
            self.operators += 1
            self._break_chain()
        elif word in _OPERATOR_WORDS:
            self._operator()

    def _operator(self) -> None:
        self.operators += 1
        self.levels[-1].chain += 1
        self.chained += 1
        self._measure()

    def _break_chain(self) -> None:
        self.chained -= self.levels[-1].chain
        self.levels[-1].chain = 0

    def _measure(self) -> None:
        self.depth = max(self.depth, len(self.levels) - 1 + self.chained)

    def _skip_geometry(self, start: int) -> int:
        """Measure a geometry literal's parentheses; return the index after it."""
        base = len(self.levels) - 1 + self.chained
        nesting = 0
        for paren in _PARENS.finditer(self.text, start):
            nesting += 1 if paren.group() in "([" else -1
            self.depth = max(self.depth, base + nesting)
            if nesting == 0:
                return paren.end()
        return len(self.text)  # unbalanced: the parser will say where


def measure_text(text: str) -> FilterShape:
    """Return the shape of a CQL2-text filter (no parsing, linear time)."""
    return _TextScan(text).run()


def measure_json(text: str) -> FilterShape:
    """Return the shape of a CQL2-JSON filter: object/array nesting and ``"op"`` members."""
    depth = nesting = operators = 0
    key_op = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "[{":
            nesting += 1
            depth = max(depth, nesting)
        elif first in "]}":
            nesting -= 1
        elif first == ":" and key_op:
            operators += 1
        if not token.isspace():
            key_op = token == '"op"'
    return FilterShape(len(text), depth, operators)


def check_filter(text: str, lang: str, limits: FilterLimits) -> FilterShape:
    """Refuse a filter that is too long, too deep or has too many operators.

    Raises
    ------
    InvalidFilter
        Naming the limit, its setting and what the filter has.
    """
    if len(text) > limits.max_chars:
        raise InvalidFilter(
            f"filter is {len(text):,} characters long; at most {limits.max_chars:,} are "
            "accepted (setting api.filters.max_chars)"
        )
    shape = measure_json(text) if lang == "cql2-json" else measure_text(text)
    if shape.depth > limits.max_depth:
        what = "objects and arrays" if lang == "cql2-json" else "parentheses and operators"
        raise InvalidFilter(
            f"filter nests {shape.depth} levels deep ({what}); at most {limits.max_depth} "
            "are accepted (setting api.filters.max_depth). Flatten it, e.g. a long OR of "
            "values as IN (...)"
        )
    if shape.operators > limits.max_operators:
        raise InvalidFilter(
            f"filter has {shape.operators:,} operators; at most {limits.max_operators:,} are "
            "accepted (setting api.filters.max_operators). A long list of values belongs "
            "in IN (...)"
        )
    return shape
