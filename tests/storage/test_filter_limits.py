"""The pre-scan that bounds a CQL2 filter before the ``cql2`` parser sees it.

The parser recurses per nesting level and per chained operator; past a few
thousand it overflows the thread's stack and the process dies. The scan must
stop every such input, and let every real filter through.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap

import pytest

from geoservice.errors import InvalidFilter
from geoservice.settings import FilterLimits
from geoservice.storage.cql import parse_filter
from geoservice.storage.cql_limits import check_filter, measure_json, measure_text
from tests.storage.test_cql2_conformance import ATS

DEFAULTS = FilterLimits()


def qgis_or(values: list[str]) -> str:
    """Return the OR of values as QGIS writes it: every binary operator parenthesised."""
    text = f"(code = '{values[0]}')"
    for value in values[1:]:
        text = f"({text} OR (code = '{value}'))"
    return text


REAL_FILTERS = [
    # QGIS (qgsoapifcql2textexpressioncompiler.cpp style)
    qgis_or([f"v{i}" for i in range(90)]),
    '((NOT (("pop" >= 100))) AND (CASEI("name") LIKE CASEI(\'b%\')))',
    'S_INTERSECTS("geometry",BBOX(109.8,39.6,110.3,40))',
    "((\"kind\" = 'school') AND (\"opened\" >= TIMESTAMP('2020-01-01T00:00:00.000Z')))",
    '( - ("pop")) < -5',
    # GDAL OAPIF driver style
    "((name = 'Tokyo') AND (pop_max > 1000000)) OR (NOT (name IS NULL))",
    "(name LIKE 'B%') AND (pop_other <= 1038288)",
    # pygeoapi-style and README examples
    "category = 'park' AND S_INTERSECTS(geometry, BBOX(109.8,39.6,110.3,40.0))",
    "name LIKE 'Crater%' AND S_WITHIN(geometry, POLYGON((-180 -90, 180 -90, 180 90, "
    "-180 90, -180 -90)))",
    "T_INTERSECTS(datetime, INTERVAL('2020-01-01T00:00:00Z', ..))",
    "placement_method <> 'rule:symbolic' AND NOT (kind IN ('a', 'b', 'c'))",
    "value BETWEEN -10.5 AND 1e3 AND \"weird name\" = 'it''s (((('",
]


def _ats_predicates() -> list[str]:
    with ATS.open(encoding="utf-8") as f:
        return [row["predicate"] for row in csv.DictReader(f)]


@pytest.mark.parametrize("text", REAL_FILTERS + _ats_predicates())
def test_real_filters_pass_the_default_limits(text):
    shape = check_filter(text, "cql2-text", DEFAULTS)
    assert shape.depth <= DEFAULTS.max_depth and shape.operators <= DEFAULTS.max_operators


@pytest.mark.parametrize(
    ("text", "depth", "operators"),
    [
        ("code = 'x'", 1, 1),
        ("(((a = 1)))", 4, 1),
        ("NOT NOT NOT a = 1", 4, 4),
        ("a = 1 + 1 + 1 + 1", 4, 4),
        ("a = 1 AND b = 2 AND c = 3", 1, 5),  # AND/OR chains are flat
        ("a = - - - - 1", 5, 5),
        ("name = 'it''s (((( NOT NOT'", 1, 1),  # inside a string literal
        ('"we(ird ""NOT""" = 1', 1, 1),  # inside a quoted identifier
        ("S_INTERSECTS(geom, POLYGON((-1 -2, -3 -4, -5 -6, -1 -2)))", 3, 0),  # signs, not ops
        ("S_INTERSECTS(geom, POINT Z (1 2 3))", 2, 0),
        ("a IN (1, -2, 3)", 3, 2),  # IN, its list, the sign
    ],
)
def test_the_scan_measures_nesting_and_operators(text, depth, operators):
    shape = measure_text(text)
    assert (shape.depth, shape.operators) == (depth, operators)


def test_json_nesting_counts_objects_and_arrays_and_op_members():
    text = '{"op" : "and", "args": [{"op":"=","args":[{"property":"a"}, "op"]}]}'
    shape = measure_json(text)
    assert (shape.depth, shape.operators) == (5, 2)
    assert measure_json('{"a": "[[[[{{{{"}').depth == 1  # brackets in strings do not count


@pytest.mark.parametrize(
    ("text", "lang", "words"),
    [
        ("(" * 101 + "a = 1" + ")" * 101, "cql2-text", ["nests 102 levels", "at most 100"]),
        ("NOT " * 150 + "a = 1", "cql2-text", ["nests 151", "max_depth"]),
        ("a = " + "+".join(["1"] * 120), "cql2-text", ["nests 120", "max_depth"]),
        (" OR ".join(["a = 1"] * 600), "cql2-text", ["1,199 operators", "max_operators"]),
        ('{"op":"not","args":[' * 60 + "true" + "]}" * 60, "cql2-json", ["nests 120"]),
        ("a IN (" + ",".join(["1"] * 140_000) + ")", "cql2-text", ["characters long", "max_chars"]),
    ],
)
def test_filters_over_a_limit_are_refused_naming_it(text, lang, words):
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text, lang)
    for word in words:
        assert word in caught.value.message, caught.value.message


def test_limits_are_settings():
    strict = FilterLimits(max_chars=30, max_depth=2, max_operators=2)
    assert parse_filter("(a = 1)", "cql2-text", strict) is not None
    for text in ("((a = 1))", "a = 1 AND b = 2", "name = '" + "x" * 30 + "'"):
        with pytest.raises(InvalidFilter):
            parse_filter(text, "cql2-text", strict)
    with pytest.raises(ValueError):
        FilterLimits(max_depth=10_000)  # past what an 8 MB thread stack survives


def test_a_long_or_from_qgis_is_simplified_to_one_level():
    tree = parse_filter(qgis_or([f"v{i}" for i in range(90)]), "cql2-text")
    assert tree["op"] == "or" and len(tree["args"]) == 90


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CRASHERS = {
    "parentheses": "'(' * 10_000 + \"code = 'x'\" + ')' * 10_000",
    "not chain": "'NOT ' * 10_000 + \"code = 'x'\"",
    "arithmetic chain": "'a = ' + ' + '.join(['1'] * 20_000)",
}


@pytest.mark.parametrize("name", CRASHERS)
def test_inputs_the_pre_scan_stops_would_crash_the_parser(name):
    """The raw parser dies on these (the reason for the scan); parse_filter answers 400."""
    raw = _run(f"import cql2; cql2.parse_text({CRASHERS[name]}).to_json()")
    assert raw.returncode < 0, f"cql2 no longer crashes on {name}: {raw.returncode}"
    guarded = _run(
        f"""
        from geoservice.errors import InvalidFilter
        from geoservice.storage.cql import parse_filter
        try:
            parse_filter({CRASHERS[name]}, "cql2-text")
        except InvalidFilter as exc:
            print("refused:", exc.message)
        """
    )
    assert guarded.returncode == 0, guarded.stderr
    assert "refused:" in guarded.stdout and "api.filters." in guarded.stdout


def test_the_worst_filters_within_the_limits_parse_on_a_1_mb_thread_stack():
    """Everything the default limits let through fits a small thread stack."""
    at_limits = [
        "'(' * 99 + ' AND '.join(['a = 1'] * 499) + ')' * 99",
        "'NOT ' * 99 + 'a = 1'",
        "'a = ' + '-' * 98 + '1'",
        "'a = ' + ' + '.join(['1'] * 99)",
        "'a = ' + 'CASEI(' * 99 + 'b' + ')' * 99",
        "'A_CONTAINS(a, ' + '(' * 98 + '1' + ')' * 98 + ')'",
    ]
    result = _run(
        f"""
        import threading
        from geoservice.errors import InvalidFilter
        from geoservice.storage.cql import parse_filter
        threading.stack_size(1024 * 1024)
        outcomes = []
        def parse_all():
            for text in [{", ".join(at_limits)}]:
                try:
                    parse_filter(text, "cql2-text")
                    outcomes.append("parsed")
                except InvalidFilter as exc:
                    outcomes.append("refused: " + exc.message[:60])
        worker = threading.Thread(target=parse_all)
        worker.start()
        worker.join()
        print(outcomes)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("'") >= 2 * len(at_limits), result.stdout
    assert "api.filters" not in result.stdout  # none was over the pre-scan's limits
