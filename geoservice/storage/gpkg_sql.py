"""SQL of the GeoPackage store: bootstrap DDL, R-tree DDL, SQL functions, dialect.

The spatial SQL functions are registered on every connection because Python's
``sqlite3`` cannot load SpatiaLite here (no ``enable_load_extension``). The R-tree
triggers of the GeoPackage spec call ``ST_MinX`` and friends; CQL2 predicates call
``gs_s_*``. Predicates only run on rows that survive the R-tree envelope test.

CQL2 arithmetic and text functions behave as PostgreSQL's do, so both stores
answer a filter alike: arithmetic raises where PostgreSQL's raises (a bigint or
double precision overflow, an underflow, a complex power) instead of returning
infinity, ``%`` and ``div`` follow ``mod(numeric)`` and ``trunc(/)``, division by
zero is NULL in both, ``CASEI`` is ``lower()`` and LIKE is case-sensitive (SQLite's
own LIKE ignores ASCII case).
"""

from __future__ import annotations

import decimal
import math
import operator
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache

import shapely
from pyproj import CRS

from geoservice.storage import gpkg_blob
from geoservice.storage.schema import GEOMETRY_COLUMN, iso_datetime
from geoservice.storage.sqlfragment import Fragment

BOOTSTRAP_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
   'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
   'undefined geographic coordinate reference system');
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE IF NOT EXISTS gs_versions (
  layer TEXT NOT NULL, version INTEGER NOT NULL, table_name TEXT NOT NULL,
  created_at TEXT NOT NULL, author TEXT NOT NULL, action TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '', feature_count INTEGER NOT NULL,
  minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE,
  PRIMARY KEY (layer, version));
CREATE TABLE IF NOT EXISTS gs_layers (
  layer TEXT PRIMARY KEY, current_version INTEGER NOT NULL);
"""


def rtree_name(table: str) -> str:
    """Return the name of a table's R-tree index (GeoPackage convention)."""
    return f"rtree_{table}_{GEOMETRY_COLUMN}"


def rtree_statements(table: str, column: str) -> list[str]:
    """Return DDL statements creating, filling and maintaining a table's R-tree.

    The triggers are those of the GeoPackage spec (F.3), so that QGIS or GDAL
    editing the file later keep the index right. Statements are returned one by
    one because ``executescript`` would commit the caller's transaction.
    """
    rtree = f'"rtree_{table}_{column}"'
    t, c = f'"{table}"', f'"{column}"'
    envelope = f"ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})"
    filled = f"NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c})"
    emptied = f"NEW.{c} IS NULL OR ST_IsEmpty(NEW.{c})"
    upsert = f"INSERT OR REPLACE INTO {rtree} VALUES (NEW.fid, {envelope})"
    trigger = f'CREATE TRIGGER "rtree_{table}_{column}_{{name}}" AFTER {{event}} ON {t}'
    return [
        f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)",
        f"INSERT INTO {rtree} SELECT fid, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), "
        f"ST_MaxY({c}) FROM {t} WHERE {c} NOT NULL AND NOT ST_IsEmpty({c})",
        f"INSERT OR IGNORE INTO gpkg_extensions VALUES ('{table}', '{column}', "
        "'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
        "'write-only')",
        trigger.format(name="insert", event="INSERT") + f" WHEN ({filled}) BEGIN {upsert}; END",
        trigger.format(name="update1", event=f"UPDATE OF {c}")
        + f" WHEN OLD.fid = NEW.fid AND ({filled}) BEGIN {upsert}; END",
        trigger.format(name="update2", event=f"UPDATE OF {c}")
        + f" WHEN OLD.fid = NEW.fid AND ({emptied}) "
        f"BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END",
        trigger.format(name="update3", event="UPDATE") + f" WHEN OLD.fid != NEW.fid AND ({filled}) "
        f"BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; {upsert}; END",
        trigger.format(name="update4", event="UPDATE")
        + f" WHEN OLD.fid != NEW.fid AND ({emptied}) "
        f"BEGIN DELETE FROM {rtree} WHERE id IN (OLD.fid, NEW.fid); END",
        trigger.format(name="delete", event="DELETE")
        + f" WHEN OLD.{c} NOT NULL BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END",
    ]


def srs_row(srs_id: int) -> tuple:
    """Return the gpkg_spatial_ref_sys row of an EPSG code."""
    crs = CRS.from_epsg(srs_id)
    return (crs.name, srs_id, "EPSG", srs_id, crs.to_wkt("WKT1_GDAL"), crs.name)


# -- SQL functions -----------------------------------------------------------------


def _envelope_part(index: int):
    def func(blob: bytes | None) -> float | None:
        env = gpkg_blob.envelope(blob)
        return None if env is None else env[index]

    return func


@lru_cache(maxsize=256)
def _prepared_literal(wkb: bytes) -> shapely.Geometry:
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _predicate(name: str):
    test = getattr(shapely, name)

    def func(blob: bytes | None, literal: bytes) -> int | None:
        if blob is None:
            return None
        return int(test(gpkg_blob.decode_one(blob), _prepared_literal(literal)))

    return func


def casei(value: str | None) -> str | None:
    """Return the text in lower case (as PostgreSQL's ``lower()``)."""
    return None if value is None else str(value).lower()


def accenti(value: str | None) -> str | None:
    """Return the text without combining accents (Unicode decomposition)."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class FunctionError(ValueError):
    """An SQL function met a value it cannot compute (sqlite3 hides the message)."""


_failure = threading.local()


def function_error() -> str | None:
    """Return (and forget) why an SQL function last failed on this thread."""
    message = getattr(_failure, "message", None)
    _failure.message = None
    return message


def _fail(message: str) -> FunctionError:
    _failure.message = message
    return FunctionError(message)


def _power(base: float | None, exponent: float | None) -> float | None:
    """Return ``base ^ exponent``, failing where PostgreSQL's ``power()`` fails."""
    if base is None or exponent is None:
        return None
    x, y = float(base), float(exponent)
    if math.isnan(x) or math.isnan(y):
        return 1.0 if (y == 0 or x == 1) else math.nan
    if x == 0 and y < 0:
        raise _fail("zero raised to a negative power is undefined")
    if x < 0 and math.isfinite(y) and math.floor(y) != y:
        raise _fail("a negative number raised to a non-integer power yields a complex result")
    if math.isinf(x) or math.isinf(y):
        return x**y
    try:
        result = math.pow(x, y)
    except OverflowError:
        raise _fail("value out of range: overflow") from None
    if result == 0 and x != 0:
        raise _fail("value out of range: underflow")
    return result


BIGINT = 2**63


def _checked(result: float | int, *inputs: float | int) -> float | int:
    """Raise where PostgreSQL's bigint or double precision arithmetic raises."""
    if isinstance(result, int):
        if not -BIGINT <= result < BIGINT:
            raise _fail("bigint out of range")
        return result
    if math.isinf(result) and all(math.isfinite(v) for v in inputs):
        raise _fail("value out of range: overflow")
    return result


def _arithmetic(operator):
    def func(lhs: float | int | None, rhs: float | int | None) -> float | int | None:
        if lhs is None or rhs is None:
            return None
        return _checked(operator(lhs, rhs), lhs, rhs)

    return func


def _multiply(lhs: float | int, rhs: float | int) -> float | int:
    result = lhs * rhs
    if result == 0 and lhs != 0 and rhs != 0 and isinstance(result, float):
        raise _fail("value out of range: underflow")
    return result


def _quotient(lhs: float | int | None, rhs: float | int | None) -> float | int | None:
    """Return ``lhs / nullif(rhs, 0)``: integers divide as PostgreSQL's bigints do."""
    if lhs is None or rhs is None or rhs == 0:
        return None
    if isinstance(lhs, int) and isinstance(rhs, int):
        quotient = abs(lhs) // abs(rhs)
        return _checked(quotient if (lhs < 0) == (rhs < 0) else -quotient)
    result = float(lhs) / float(rhs)
    if result == 0 and lhs != 0 and math.isfinite(rhs):
        raise _fail("value out of range: underflow")
    return _checked(result, lhs, rhs)


_DECIMALS = decimal.Context(prec=800, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _numeric(value: int | float) -> decimal.Decimal:
    """Return a value as PostgreSQL's ``::numeric`` makes it (floats: 15 digits)."""
    if isinstance(value, int):
        return decimal.Decimal(value)
    return decimal.Decimal(f"{value:.15g}") if math.isfinite(value) else decimal.Decimal(value)


def _whole(value: int | float) -> int | None:
    """Return a whole number as an int (exactly representable), else None."""
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return None


def _mod(lhs: float | None, rhs: float | None) -> float | None:
    """Return ``mod(lhs::numeric, nullif(rhs::numeric, 0))`` as PostgreSQL does."""
    if lhs is None or rhs is None:
        return None
    a, b = _whole(lhs), _whole(rhs)
    if a is not None and b is not None:  # the common case, exact without Decimal
        if b == 0:
            return None
        remainder = abs(a) % abs(b)
        return float(remainder if a >= 0 else -remainder)
    a, b = _numeric(lhs), _numeric(rhs)
    if b == 0:
        return None
    if not (a.is_finite() and b.is_finite()):
        return math.nan if not a.is_finite() or b.is_nan() else float(a)
    return float(_DECIMALS.remainder(a, b))


def _div(lhs: float | None, rhs: float | None) -> float | int | None:
    """Return ``trunc(lhs / nullif(rhs, 0))`` as PostgreSQL does (integers stay exact)."""
    result = _quotient(lhs, rhs)
    if isinstance(result, float) and math.isfinite(result):
        return float(math.trunc(result))
    return result


PREDICATES = {
    "s_intersects": "intersects",
    "s_disjoint": "disjoint",
    "s_equals": "equals",
    "s_touches": "touches",
    "s_within": "within",
    "s_overlaps": "overlaps",
    "s_crosses": "crosses",
    "s_contains": "contains",
}


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the GeoPackage and CQL2 SQL functions on a connection."""
    det = {"deterministic": True}
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _envelope_part(i), **det)
    conn.create_function("ST_IsEmpty", 1, lambda b: int(gpkg_blob.is_empty(b)), **det)
    for op, name in PREDICATES.items():
        conn.create_function(f"gs_{op}", 2, _predicate(name), **det)
    conn.create_function("gs_casei", 1, casei, **det)
    conn.create_function("gs_power", 2, _power, **det)
    conn.create_function("gs_mod", 2, _mod, **det)
    conn.create_function("gs_add", 2, _arithmetic(operator.add), **det)
    conn.create_function("gs_sub", 2, _arithmetic(operator.sub), **det)
    conn.create_function("gs_mul", 2, _arithmetic(_multiply), **det)
    conn.create_function("gs_quot", 2, _quotient, **det)
    conn.create_function("gs_div", 2, _div, **det)
    conn.create_function("gs_accenti", 1, accenti, **det)


ARITHMETIC_FUNCTIONS = {
    "+": "gs_add",
    "-": "gs_sub",
    "*": "gs_mul",
    "/": "gs_quot",
    "%": "gs_mod",
    "div": "gs_div",
    "^": "gs_power",
}


class SqliteDialect:
    """CQL2 compilation target for the GeoPackage store."""

    placeholder = "?"

    def __init__(self, table: str) -> None:
        self.table = table

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def spatial(
        self, op: str, column: str, geometry: shapely.Geometry, *, prefilter: bool = True
    ) -> Fragment:
        """Return an R-tree prefilter plus the exact predicate (NULL for no geometry).

        The prefilter is false, not NULL, for a feature without geometry: under NOT
        (``prefilter=False``) only the exact predicate is used.
        """
        exact = Fragment(f"gs_{op}({self.ident(column)}, ?)", (shapely.to_wkb(geometry),))
        if op == "s_disjoint" or geometry.is_empty or not prefilter:
            return exact
        minx, miny, maxx, maxy = geometry.bounds
        envelope = Fragment(
            f'fid IN (SELECT id FROM "{rtree_name(self.table)}" WHERE maxx >= ? '
            "AND minx <= ? AND maxy >= ? AND miny <= ?)",
            (minx, maxx, miny, maxy),
        )
        return Fragment("(") + envelope + Fragment(" AND ") + exact + Fragment(")")

    def casei(self, expr: Fragment) -> Fragment:
        """Lower-case with Python's Unicode rules (SQLite's lower() is ASCII only)."""
        return Fragment("gs_casei(") + expr + Fragment(")")

    def accenti(self, expr: Fragment) -> Fragment:
        """Strip accents (Unicode decomposition)."""
        return Fragment("gs_accenti(") + expr + Fragment(")")

    def null(self, kind: str) -> str:
        """SQLite's NULL has no type."""
        return "NULL"

    def ordered(self, expr: Fragment) -> Fragment:
        """Text columns already order by code point (BINARY collation)."""
        return expr

    def like(self, lhs: Fragment, pattern: str, wrappers: Sequence[str]) -> Fragment:
        """Return a case-sensitive GLOB equivalent to the LIKE pattern."""
        for name in wrappers:
            pattern = casei(pattern) if name == "casei" else accenti(pattern)
        return Fragment("(") + lhs + Fragment(" GLOB ?)", (like_to_glob(pattern),))

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Arithmetic as PostgreSQL computes it (see the module docstring)."""
        function = ARITHMETIC_FUNCTIONS[op]
        return Fragment(f"{function}(") + lhs + Fragment(", ") + rhs + Fragment(")")

    def temporal_literal(self, value: date | datetime) -> str:
        """Format dates and timestamps as the GeoPackage stores them."""
        if isinstance(value, datetime):
            return iso_datetime(value)
        return value.isoformat()


_GLOB_SPECIAL = re.compile(r"[*?\[]")


def like_to_glob(pattern: str) -> str:
    """Translate a CQL2 LIKE pattern (``%``, ``_``, ``\\`` escapes) to a GLOB pattern."""
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "")
            out.append(_GLOB_SPECIAL.sub(lambda m: f"[{m.group()}]", ch))
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(_GLOB_SPECIAL.sub(lambda m: f"[{m.group()}]", ch))
    return "".join(out)
