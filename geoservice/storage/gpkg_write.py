"""Writing versions into the GeoPackage store, inside the caller's transaction.

Each function takes the open connection; none commits. A version is written as a
new table (GeoPackage feature table, R-tree index and triggers of the spec) and
recorded in ``gs_versions``/``gs_layers`` in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import geopandas as gpd

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs
from geoservice.features import BBox
from geoservice.storage import gpkg_blob
from geoservice.storage.base import VersionInfo
from geoservice.storage.gpkg_features import (
    copy_json,
    create_json,
    delete_json,
    drop_json,
    store_json,
)
from geoservice.storage.gpkg_sql import rtree_name, rtree_statements, srs_row
from geoservice.storage.gpkg_values import to_sqlite
from geoservice.storage.schema import (
    GEOMETRY_COLUMN,
    SQLITE_TYPES,
    column_values,
    conform_geometries,
    geometry_type_name,
    ids_from_index,
    iso_datetime,
)
from geoservice.storage.versions import VERSION_COLUMNS, version_from_row


def current_table(conn: sqlite3.Connection, layer_id: str) -> str | None:
    """Return the table of a layer's current version (None for a new layer)."""
    row = conn.execute(
        "SELECT v.table_name FROM gs_layers l JOIN gs_versions v ON "
        "v.layer = l.layer AND v.version = l.current_version WHERE l.layer = ?",
        (layer_id,),
    ).fetchone()
    return row[0] if row else None


def create_table(conn: sqlite3.Connection, layer: LayerDef, table: str, *, with_json: bool) -> None:
    """Create an empty feature table and register it as GeoPackage content.

    With ``with_json``, the table gets its (empty) stored GeoJSON table too.
    """
    srs_id = resolve_crs(layer.storage_crs).srid
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs_row(srs_id)
    )
    columns = ", ".join(f'"{a.name}" {SQLITE_TYPES[a.type]}' for a in layer.attributes)
    geom_type = geometry_type_name(layer.geometry_type)
    conn.execute(
        f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, '
        f"{GEOMETRY_COLUMN} {geom_type}{', ' + columns if columns else ''})"
    )
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        "VALUES (?, 'features', ?, ?)",
        (table, table, srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (table, GEOMETRY_COLUMN, geom_type, srs_id),
    )
    if with_json:
        create_json(conn, table)


def copy_version(conn: sqlite3.Connection, source: str, target: str, *, with_json: bool) -> None:
    """Copy every row of a version table (and, with ``with_json``, its texts) into a new one."""
    conn.execute(f'INSERT INTO "{target}" SELECT * FROM "{source}"')
    if with_json:
        copy_json(conn, source, target)


def insert_rows(
    conn: sqlite3.Connection,
    layer: LayerDef,
    table: str,
    frame: gpd.GeoDataFrame,
    *,
    keep_ids: bool,
    with_json: bool,
    next_id: int = 1,
) -> list[int]:
    """Insert a frame; with ``keep_ids`` its index ids replace those rows.

    Rows without an id get new ones (at least ``next_id``), which are returned.
    With ``with_json``, the rows' GeoJSON texts are stored too.
    """
    srs_id = resolve_crs(layer.storage_crs).srid
    geoms = conform_geometries(frame.geometry.values, layer.geometry_type)
    blobs = gpkg_blob.encode(geoms, srs_id)
    values = [to_sqlite(col) for col in column_values(layer, frame)]
    names = ", ".join(["fid", GEOMETRY_COLUMN, *(f'"{n}"' for n in layer.attribute_names)])
    marks = ", ".join("?" * (2 + len(layer.attribute_names)))
    ids = ids_from_index(frame) if keep_ids else [None] * len(frame)
    (top,) = conn.execute(f'SELECT coalesce(max(fid), 0) FROM "{table}"').fetchone()
    top = max(top, next_id - 1)
    new_ids = list(range(top + 1, top + 1 + sum(i is None for i in ids)))
    fresh = iter(new_ids)
    ids = [next(fresh) if i is None else i for i in ids]
    rows = zip(ids, blobs, *values, strict=True)
    conn.executemany(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', rows)
    if with_json:
        store_json(conn, layer, table, ids, geoms, values)
    return new_ids


def delete_rows(
    conn: sqlite3.Connection, table: str, ids: Sequence[int], *, with_json: bool
) -> None:
    """Delete features (and, with ``with_json``, their texts) by id."""
    conn.executemany(f'DELETE FROM "{table}" WHERE fid = ?', [(int(i),) for i in ids])
    if with_json:
        delete_json(conn, table, ids)


def missing_ids(conn: sqlite3.Connection, table: str, ids: list[int]) -> list[int]:
    """Return those of ``ids`` that are not features of ``table``."""
    return [
        int(fid)
        for fid in ids
        if conn.execute(f'SELECT 1 FROM "{table}" WHERE fid=?', (int(fid),)).fetchone() is None
    ]


def publish(
    conn: sqlite3.Connection,
    layer: LayerDef,
    table: str,
    version: int,
    *,
    author: str,
    action: str,
    message: str,
) -> VersionInfo:
    """Index a filled table and make it the layer's current version."""
    for statement in rtree_statements(table, GEOMETRY_COLUMN):
        conn.execute(statement)
    # The R-tree rounds bounds outwards to float32; the extent is exact.
    g = GEOMETRY_COLUMN
    rows, minx, maxx, miny, maxy = conn.execute(
        f"SELECT count(*), min(ST_MinX({g})), max(ST_MaxX({g})), min(ST_MinY({g})), "
        f'max(ST_MaxY({g})) FROM "{table}"'
    ).fetchone()
    bbox = None if minx is None else (minx, miny, maxx, maxy)
    conn.execute(
        "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
        "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
        (*(bbox or (None,) * 4), table),
    )
    return record_version(conn, layer.id, version, table, author, action, message, rows, bbox)


def record_version(
    conn: sqlite3.Connection,
    layer_id: str,
    version: int,
    table: str,
    author: str,
    action: str,
    message: str,
    count: int,
    bbox: BBox | None,
) -> VersionInfo:
    """Record a version and point the layer at it."""
    now = iso_datetime(datetime.now().astimezone())
    conn.execute(
        "INSERT INTO gs_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (layer_id, version, table, now, author, action, message, count, *(bbox or (None,) * 4)),
    )
    conn.execute(
        "INSERT INTO gs_layers (layer, current_version) VALUES (?, ?) "
        "ON CONFLICT(layer) DO UPDATE SET current_version = excluded.current_version",
        (layer_id, version),
    )
    row = conn.execute(
        f"SELECT {VERSION_COLUMNS}, 1 FROM gs_versions v WHERE layer=? AND version=?",
        (layer_id, version),
    ).fetchone()
    return version_from_row(row)


def drop_table(conn: sqlite3.Connection, table: str) -> None:
    """Drop a version table, its R-tree and its GeoPackage registrations."""
    conn.execute(f'DROP TABLE IF EXISTS "{rtree_name(table)}"')
    conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    drop_json(conn, table)
    for meta in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions"):
        conn.execute(f"DELETE FROM {meta} WHERE table_name = ?", (table,))
