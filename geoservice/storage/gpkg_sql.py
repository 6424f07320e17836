"""SQL of the GeoPackage store: bootstrap DDL, R-tree DDL, SQL functions, dialect.

The spatial SQL functions are registered on every connection because Python's
``sqlite3`` cannot load SpatiaLite here (no ``enable_load_extension``). The R-tree
triggers of the GeoPackage spec call ``ST_MinX`` and friends; CQL2 predicates call
``gs_s_*``. Predicates only run on rows that survive the R-tree envelope test.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import shapely
from pyproj import CRS

from geoservice.storage import gpkg_blob
from geoservice.storage.cql import Fragment, binary
from geoservice.storage.schema import GEOMETRY_COLUMN, iso_datetime

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


def _casei(value: str | None) -> str | None:
    return None if value is None else str(value).casefold()


def _accenti(value: str | None) -> str | None:
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _power(base: float | None, exponent: float | None) -> float | None:
    if base is None or exponent is None:
        return None
    return float(base) ** float(exponent)


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
    conn.create_function("gs_casei", 1, _casei, **det)
    conn.create_function("gs_power", 2, _power, **det)
    conn.create_function("gs_accenti", 1, _accenti, **det)


class SqliteDialect:
    """CQL2 compilation target for the GeoPackage store."""

    placeholder = "?"

    def __init__(self, table: str) -> None:
        self.table = table

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def spatial(self, op: str, column: str, geometry: shapely.Geometry) -> Fragment:
        """Return an R-tree prefilter plus the exact predicate."""
        exact = Fragment(f"gs_{op}({self.ident(column)}, ?)", (shapely.to_wkb(geometry),))
        if op == "s_disjoint" or geometry.is_empty:
            return exact
        minx, miny, maxx, maxy = geometry.bounds
        envelope = Fragment(
            f'fid IN (SELECT id FROM "{rtree_name(self.table)}" WHERE maxx >= ? '
            "AND minx <= ? AND maxy >= ? AND miny <= ?)",
            (minx, maxx, miny, maxy),
        )
        return Fragment("(") + envelope + Fragment(" AND ") + exact + Fragment(")")

    def casei(self, expr: Fragment) -> Fragment:
        """Case-fold with Python's Unicode rules (SQLite's lower() is ASCII only)."""
        return Fragment("gs_casei(") + expr + Fragment(")")

    def accenti(self, expr: Fragment) -> Fragment:
        """Strip accents (Unicode decomposition)."""
        return Fragment("gs_accenti(") + expr + Fragment(")")

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Arithmetic; power is a registered function, div truncates like CQL2's."""
        if op == "^":
            return Fragment("gs_power(") + lhs + Fragment(", ") + rhs + Fragment(")")
        if op == "div":
            return Fragment("CAST(") + binary(lhs, "/", rhs) + Fragment(" AS INTEGER)")
        return binary(lhs, op, rhs)

    def temporal_literal(self, value: date | datetime) -> str:
        """Format dates and timestamps as the GeoPackage stores them."""
        if isinstance(value, datetime):
            return iso_datetime(value)
        return value.isoformat()
