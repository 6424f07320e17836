"""Hostile and odd CQL2 filters on both stores: a 400 with a clear message, or the
same features on GeoPackage and PostGIS; never a 500.

Each case was a 500 (or a silent disagreement between the stores) before the
compiler checked types, arities and literals itself. The layer has one column of
each attribute type, nulls, points and polygons (``typed_layer``); rows are
numbered 1-5 as a person counts them.
"""

from __future__ import annotations

import json

import pytest

from geoservice.errors import InvalidFilter
from geoservice.settings import FilterLimits
from geoservice.storage.base import FeatureQuery
from geoservice.storage.cql import parse_filter
from geoservice.storage.cql_tree import SQL_MAX_NESTING

REFUSED = [
    # arity and shape (CQL2-JSON)
    ('{"op":"=","args":[]}', "takes 2 argument"),
    ('{"op":"and"}', "does not parse"),
    ('{"op":"not","args":[]}', "NOT takes 1"),
    ('{"op":"s_intersects","args":[{"property":"geometry"}]}', "S_INTERSECTS takes 2"),
    ('{"op":"between","args":[{"property":"n"},1]}', "BETWEEN takes 3"),
    ('{"op":"in","args":[{"property":"n"}, 5]}', "IN needs a list"),
    ('{"op":"like","args":[{"property":"code"}]}', "LIKE takes 2"),
    ('{"op":"isNull","args":[]}', "IS NULL takes 1"),
    ('{"op":"t_after","args":[{"property":"d"}]}', "T_AFTER takes 2"),
    ('{"op":"=","args":[{"op":"casei","args":[]}, "x"]}', "CASEI takes 1"),
    ('{"op":"=","args":[{"op":"+","args":[1]}, 1]}', "+ takes 2"),
    ('{"op":"t_after","args":[{"property":"d"}, {"interval":["2020-01-01"]}]}', "INTERVAL takes 2"),
    ('{"op":"=","args":[{"property":"n"}, {"date":5}]}', "not an ISO 8601 date"),
    ('{"op":"and","args":[true, 1]}', "expected a condition"),
    ('{"op":"=","args":[{"property":"code"}, "a\\u0000b"]}', "NUL"),
    ('{"op":"like","args":[{"property":"code"}, {"property":"code"}]}', "text literal"),
    ('{"op":"=","args":[{"property":"geometry"}, 1]}', "spatial operators"),
    ('{"op":"=","args":[{"property":"n"}, [1,2]]}', "unsupported expression"),
    # geometry literals
    ("S_INTERSECTS(geometry, BBOX(1,2,3))", "BBOX takes 4 numbers"),
    ("S_INTERSECTS(geometry, BBOX(0,3,1,2))", "second axis"),
    ("S_INTERSECTS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))", "not valid (Self-intersection"),
    ("S_CONTAINS(geometry, GEOMETRYCOLLECTION(POINT(1 1)))", "GEOMETRYCOLLECTION"),
    ("S_INTERSECTS(geometry, POINT EMPTY)", "does not parse"),
    ("S_INTERSECTS(code, POINT(1 1))", "needs the geometry property"),
    ("S_INTERSECTS(geometry, geometry)", "geometry literal"),
    # types
    ("code = 1.5", "write it as text: '1.5'"),
    ("code = n", "cannot compare property 'code', a string, with property 'n'"),
    ("flag = 1", "property 'flag', a boolean"),
    ("n = 'x'", "the text 'x'"),
    ("n LIKE '1%'", "LIKE needs a string; property 'n'"),
    ("CASEI(n) = 'x'", "CASEI needs a string"),
    ("ACCENTI(confidence) = 'x'", "ACCENTI needs a string"),
    ("n + code > 1", "arithmetic (+) needs a number; property 'code'"),
    ("n IN (1, 'x')", "the text 'x'"),
    ("n BETWEEN 'a' AND 'b'", "BETWEEN"),
    ("flag BETWEEN false AND true", "BETWEEN needs numbers"),
    ("T_AFTER(code, DATE('2020-01-01'))", "property 'code' is a string"),
    ("T_AFTER(n, DATE('2020-01-01'))", "property 'n' is a number"),
    ("T_AFTER(d, t)", "date property with a timestamp property"),
    ("d = TIMESTAMP('2020-01-01T10:00:00Z')", "cannot compare property 'd', a date"),
    ("nope = 1", "unknown property 'nope'"),
    ("f(n) = 1", "'f' cannot be used as a value"),
    ("A_CONTAINS(n, (1, 2))", "'a_contains' is not supported"),
    # literals
    ("n = 1e400", "not finite"),
    ("code LIKE 'abc\\'", "ends with the escape character"),
    ("t = TIMESTAMP('9999-12-31T23:59:59-14:00')", "not an ISO 8601 timestamp"),
    ("d = DATE('2020-02-30')", "not an ISO 8601 date"),
    ("T_INTERSECTS(t, INTERVAL('2021-01-01T00:00:00Z', '2020-01-01T00:00:00Z'))", "starts"),
    # arithmetic that PostgreSQL refuses on these rows (and SQLite now refuses alike)
    ("confidence ^ 1e10 > 1", "cannot be evaluated on this layer's data"),
    ("confidence ^ -1e10 > 1", "overflow"),
    ("n * 1e308 * 10 > 1", "overflow"),
    ("(n - 10) ^ 0.5 > 1", "complex result"),
    ("n * n * n * n > 1", "bigint out of range"),
]


@pytest.mark.parametrize(("text", "words"), REFUSED, ids=[t for t, _ in REFUSED])
def test_bad_filters_are_refused_with_a_clear_message_on_both_stores(
    store, typed_layer, text, words
):
    layer, frame = typed_layer
    store.write(layer, frame)
    with pytest.raises(InvalidFilter) as caught:
        _matches(store, layer, text)
    assert words in caught.value.message, caught.value.message


ANSWERED = [
    # literals converted to the property's type when exact (as GeoServer does)
    ("code = 150602", [1]),
    ("code IN (150602, 'abc')", [1, 2]),
    ("n = '150602'", [5]),
    ("n > '1'", [2, 5]),
    ("flag = 'TRUE'", [1, 4]),
    ("d = TIMESTAMP('2020-01-01T00:00:00Z')", [1, 5]),
    ("t = DATE('2020-01-01')", [1, 5]),
    ("d > '2020-01-01'", [2]),
    ("t > '2020-01-01T00:00:00Z'", [2]),
    ("T_AFTER(d, TIMESTAMP('2020-06-01T00:00:00Z'))", [2]),
    # SQL semantics both stores share
    ("n BETWEEN 10 AND 1", []),
    ("confidence / 0 > 1 OR n div 0 = 1 OR n % 0 = 1", []),
    ("confidence % 0.3 > 0.1", [1, 4]),  # numeric modulo: 1.5 % 0.3 is 0
    ("n div 2 = -2", [4]),
    ("n ^ 2 = 4", [2]),
    ("code > 'Z'", [2]),
    ("code LIKE 'ABC'", []),  # case-sensitive on both (SQLite's LIKE is not)
    ("code LIKE 'a_c' AND code LIKE '%c'", [2]),
    ("CASEI(name) = casei('STRASSE')", []),  # lower(), not casefold(): ß stays ß
    ("CASEI(name) = casei('straße')", [1]),
    ("CASEI(name) LIKE casei('AB%')", [2, 5]),
    ("name IS NULL", [3]),
    ('{"op":"isNull","args":[{"property":"geometry"}]}', [5]),
    ('{"op":"isNull","args":[null]}', [1, 2, 3, 4, 5]),
    ('{"op":"and","args":[]}', [1, 2, 3, 4, 5]),
    ('{"op":"in","args":[{"property":"n"}, []]}', []),
    ("NOT NOT NOT (n = 1)", [2, 4, 5]),
    ("1 = 1", [1, 2, 3, 4, 5]),
    ("flag", [1, 4]),
    ("S_INTERSECTS(geometry, BBOX(0.5,0.5,1.5,1.5))", [1, 2]),
    ("S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 1), POINT(5 5)))", [1, 2, 3, 4]),
    ("S_DISJOINT(geometry, BBOX(-1,-1,3,3))", [3, 4]),
]


@pytest.mark.parametrize(("text", "rows"), ANSWERED, ids=[t for t, _ in ANSWERED])
def test_odd_but_valid_filters_match_the_same_rows_on_both_stores(store, typed_layer, text, rows):
    layer, frame = typed_layer
    store.write(layer, frame)
    assert _matches(store, layer, text) == rows


def _deep(levels: int, shape: str) -> dict:
    """Return a filter ``levels`` deep once simplified, in one of the costly shapes."""
    leaf = {"op": "=", "args": [{"property": "n"}, 1]}
    if shape == "arithmetic":
        value: object = 1
        for _ in range(levels - 1):
            value = {"op": "-", "args": [1, value]}
        return {"op": "=", "args": [{"property": "n"}, value]}
    if shape == "functions":
        value = {"property": "code"}
        for _ in range(levels - 1):
            value = {"op": "casei", "args": [value]}
        return {"op": "=", "args": [value, "abc"]}
    node = leaf
    for i in range(levels - 1):
        if shape == "not-and" and i % 2:
            node = {"op": "not", "args": [node]}
        else:
            op = "and" if i % 2 == 0 else "or"
            node = {"op": op, "args": [dict(leaf), node]}
    return node


@pytest.mark.parametrize("shape", ["and-or", "not-and", "arithmetic", "functions"])
def test_nesting_up_to_the_limit_runs_and_beyond_is_refused_on_both_stores(
    store, typed_layer, shape
):
    """SQLite's parser has a stack of 100 entries: the limit keeps within it."""
    layer, frame = typed_layer
    store.write(layer, frame)
    query = FeatureQuery(cql=_deep(SQL_MAX_NESTING, shape), limit=3, bbox=(-10, -10, 10, 10))
    store.query(layer, query)
    store.query_geojson(layer, query)
    with pytest.raises(InvalidFilter, match="once simplified"):
        store.query(layer, FeatureQuery(cql=_deep(SQL_MAX_NESTING + 1, shape)))


def test_long_and_or_chains_are_grouped_for_sqlite(store, typed_layer):
    """SQLite refuses expressions 1 000 deep; a flat OR of 2 000 terms still runs."""
    layer, frame = typed_layer
    store.write(layer, frame)
    text = " OR ".join(f"n = {i}" for i in range(-1000, 1000))
    assert _matches(store, layer, text, FilterLimits(max_operators=6000)) == [1, 2, 4]


def test_an_in_list_longer_than_a_query_can_bind_is_refused(store, typed_layer):
    layer, frame = typed_layer
    store.write(layer, frame)
    values = json.dumps({"op": "in", "args": [{"property": "n"}, list(range(30_001))]})
    with pytest.raises(InvalidFilter, match="30,001 values"):
        _matches(store, layer, values)


def _matches(store, layer, text: str, limits: FilterLimits | None = None) -> list[int]:
    lang = "cql2-json" if text.lstrip().startswith("{") else "cql2-text"
    every = store.query(layer, FeatureQuery(limit=None, count_cap=0)).rows.ids
    row_of = {fid: i + 1 for i, fid in enumerate(sorted(every))}
    cql = parse_filter(text, lang, limits or FilterLimits())
    page = store.query(layer, FeatureQuery(cql=cql, limit=None, count_cap=0))
    return sorted(row_of[fid] for fid in page.rows.ids)
