"""Every feature of a GeoPackage version as CRS84 GeoJSON text, kept beside its table.

Why: the commonest requests (a map view's ``items?bbox=...``, a whole-layer
GeoJSON download) are answered in CRS84 with every property. Building that text
means decoding each row's geometry, reprojecting it and encoding it in Python,
with the GIL held: a one-worker server tops out near 200 pages a second. PostGIS
does that work in the database; here it is done once, when a version is
written, and a page becomes a join of stored texts.

The text is exactly what the read path would produce from the stored row (same
geometry, same reprojection, same encoder; values as SQLite gives them back), so
both paths answer byte for byte the same (tested). The table,
``gs_json_<version table>``, is internal: it is not registered in
``gpkg_contents``, so QGIS and GDAL list only the layer. A version without one
(a store written before this existed) is simply served by the read path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from geoservice.catalog.models import LayerDef
from geoservice.crs import reproject_geometries
from geoservice.encoding.geojson import encode_features
from geoservice.features import FeatureRows
from geoservice.storage.gpkg_values import from_sqlite

CRS84 = "OGC:CRS84"


def json_table(table: str) -> str:
    """Return the name of the GeoJSON table of a version table."""
    return f"gs_json_{table}"


def has_json(conn: sqlite3.Connection, table: str) -> bool:
    """Tell whether a version table has its GeoJSON table."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (json_table(table),)
    ).fetchone()
    return row is not None


def create_json(conn: sqlite3.Connection, table: str) -> None:
    """Create the (empty) GeoJSON table of a new version table."""
    conn.execute(
        f'CREATE TABLE "{json_table(table)}" (fid INTEGER PRIMARY KEY, feature BLOB NOT NULL)'
    )


def copy_json(conn: sqlite3.Connection, source: str, target: str) -> None:
    """Copy a version's texts into a new version's GeoJSON table."""
    conn.execute(f'INSERT INTO "{json_table(target)}" SELECT * FROM "{json_table(source)}"')


def delete_json(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> None:
    """Forget the texts of deleted features."""
    conn.executemany(f'DELETE FROM "{json_table(table)}" WHERE fid = ?', [(int(i),) for i in ids])


def drop_json(conn: sqlite3.Connection, table: str) -> None:
    """Drop the GeoJSON table of a version table, if any."""
    conn.execute(f'DROP TABLE IF EXISTS "{json_table(table)}"')


def store_json(
    conn: sqlite3.Connection,
    layer: LayerDef,
    table: str,
    ids: Sequence[int],
    geometries: np.ndarray,
    values: Sequence[Sequence[Any]],
) -> None:
    """Encode rows as they were just stored (geometries in the storage CRS, values as
    written to SQLite) and keep their texts, replacing those of the same ids."""
    properties = {
        name: from_sqlite(layer, name, list(column))
        for name, column in zip(layer.attribute_names, values, strict=True)
    }
    lonlat = reproject_geometries(np.asarray(geometries, dtype=object), layer.storage_crs, CRS84)
    texts = encode_features(FeatureRows(list(ids), lonlat, properties, CRS84))
    conn.executemany(
        f'INSERT OR REPLACE INTO "{json_table(table)}" VALUES (?, ?)',
        zip(ids, texts, strict=True),
    )
