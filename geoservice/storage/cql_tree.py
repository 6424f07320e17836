"""CQL2-JSON trees: simplify them and measure how deep they nest, without recursion.

A parsed filter may still be hundreds of levels deep (QGIS writes an OR of n
values as n nested parentheses), deeper than Python's recursion limit allows a
recursive walk to be safe. These walks keep their own stack.

Simplifying is what makes such filters cheap: ``(a OR b) OR c`` becomes one OR of
three, ``NOT NOT x`` becomes ``x`` (also in SQL's three-valued logic) and ``true``
inside an AND (``false`` inside an OR) is dropped. What is left is the nesting the SQL
engines see, bounded by :data:`SQL_MAX_NESTING`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoservice.errors import InvalidFilter

SQL_MAX_NESTING = 16
"""Levels of the simplified tree a filter may have (each operator, function and
AND/OR group is one). SQLite's parser keeps a stack of 100 entries (a compile-time
constant, YYSTACKDEPTH) and a nested expression spends 2 to 5 of them per level;
PostgreSQL allows far more, but both stores must accept the same filters."""

CHUNK = 32
"""AND/OR terms grouped per parenthesis: SQLite nests a chain of n terms n deep
and refuses expressions deeper than 1 000."""


def children(node: Any) -> list[Any]:
    """Return the sub-expressions of a node (empty for literals and leaves)."""
    if isinstance(node, list):
        return node
    if isinstance(node, dict) and "op" in node and isinstance(node.get("args"), list):
        return node["args"]
    return []


def fold(node: Any, combine: Callable[[Any, list[Any]], Any]) -> Any:
    """Return ``combine(node, [folded children])`` computed bottom-up, iteratively."""
    # Frames of [node, iterator over its children, values of the children done].
    stack: list[list[Any]] = [[node, iter(children(node)), []]]
    while True:
        frame = stack[-1]
        for kid in frame[1]:
            grandchildren = children(kid)
            if grandchildren:
                stack.append([kid, iter(grandchildren), []])
                break
            frame[2].append(combine(kid, []))
        else:
            stack.pop()
            value = combine(frame[0], frame[2])
            if not stack:
                return value
            stack[-1][2].append(value)


def op_of(node: Any) -> str | None:
    """Return a node's operator, lower case (``isNull`` keeps its CQL2 spelling)."""
    if not isinstance(node, dict) or "op" not in node:
        return None
    op = node["op"]
    if not isinstance(op, str):
        raise InvalidFilter(f"'op' must be a string, got {op!r}")
    return op if op == "isNull" else op.lower()


def _simplify_node(node: Any, kids: list[Any]) -> Any:
    if isinstance(node, list):
        return kids
    op = op_of(node)
    if op is None:
        return node
    if op in ("and", "or"):
        return _simplify_junction(op, kids)
    if op == "not" and len(kids) == 1:
        (inner,) = kids
        if isinstance(inner, bool):
            return not inner
        if op_of(inner) == "not" and len(children(inner)) == 1:
            return children(inner)[0]
    return {**node, "op": op, "args": kids} if "args" in node else {**node, "op": op}


def _simplify_junction(op: str, kids: list[Any]) -> Any:
    neutral = op == "and"  # true changes nothing in an AND, false nothing in an OR
    flat: list[Any] = []
    for kid in kids:
        if kid is neutral:
            continue
        if op_of(kid) == op:
            flat.extend(children(kid))
        else:
            flat.append(kid)
    # An absorbing literal (false in an AND) stays: folding the whole junction away
    # would skip checking its other terms, and a bad term must be a 400 all the same.
    if not flat:
        return neutral
    return flat[0] if len(flat) == 1 else {"op": op, "args": flat}


def simplify(tree: Any) -> Any:
    """Return the tree with AND/OR chains flattened, double NOTs and booleans folded."""
    return fold(tree, _simplify_node)


def junction_levels(terms: int) -> int:
    """Return the parenthesis levels an AND/OR of ``terms`` terms takes in SQL."""
    levels = 1
    while terms > CHUNK:
        terms = -(-terms // CHUNK)
        levels += 1
    return levels


def _depth_node(node: Any, kids: list[int]) -> int:
    deepest = max(kids, default=0)
    if isinstance(node, list):
        return deepest
    op = op_of(node)
    if op is None:
        return 0
    if op in ("and", "or"):
        return deepest + junction_levels(len(kids))
    if op.startswith("t_"):
        return deepest + 2  # a temporal operator compiles to an AND of comparisons
    return deepest + 1


def nesting(tree: Any) -> int:
    """Return how many levels the tree nests, as the SQL compiled from it will."""
    return fold(tree, _depth_node)


def operators(tree: Any) -> int:
    """Return the number of operator nodes of a tree."""
    return fold(tree, lambda node, kids: sum(kids) + (op_of(node) is not None))


def check_nesting(tree: Any) -> None:
    """Refuse a (simplified) tree that nests deeper than both SQL engines accept."""
    found = nesting(tree)
    if found > SQL_MAX_NESTING:
        raise InvalidFilter(
            f"filter nests {found} levels deep once simplified (each operator, function "
            f"and AND/OR group is a level); the databases accept at most {SQL_MAX_NESTING}"
        )
