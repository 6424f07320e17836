"""Writing versions into the PostGIS store, inside the caller's transaction.

Each function takes the open connection and the store's schema; none commits. A
version is a new table filled with ``COPY``, indexed, then published: the layer's
view and current-version pointer move in the same transaction.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import psycopg
import shapely

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs
from geoservice.features import BBox
from geoservice.storage.base import VersionInfo
from geoservice.storage.schema import (
    GEOMETRY_COLUMN,
    POSTGRES_TYPES,
    column_values,
    conform_geometries,
    geometry_type_name,
)
from geoservice.storage.versions import VERSION_COLUMNS, version_from_row


def qualified(schema: str, table: str) -> str:
    """Return ``"schema"."table"``."""
    return f'"{schema}"."{table}"'


def lock_layer(conn: psycopg.Connection, layer_id: str) -> None:
    """Queue writers of one layer behind each other; readers are never blocked."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"gs:{layer_id}",))


def current_table(conn: psycopg.Connection, schema: str, layer_id: str) -> str | None:
    """Return the table of a layer's current version (None for a new layer)."""
    row = conn.execute(
        f"SELECT v.table_name FROM {qualified(schema, 'gs_layers')} l "
        f"JOIN {qualified(schema, 'gs_versions')} v "
        "ON v.layer = l.layer AND v.version = l.current_version WHERE l.layer = %s",
        (layer_id,),
    ).fetchone()
    return row[0] if row else None


def max_fid(conn: psycopg.Connection, schema: str, table: str) -> int:
    """Return the largest feature id of a table (0 when empty)."""
    (top,) = conn.execute(
        f"SELECT coalesce(max(fid), 0) FROM {qualified(schema, table)}"
    ).fetchone()
    return int(top)


def create_table(conn: psycopg.Connection, schema: str, layer: LayerDef, table: str) -> None:
    """Create an empty version table with a typed geometry column."""
    srid = resolve_crs(layer.storage_crs).srid
    geom_type = geometry_type_name(layer.geometry_type)
    columns = "".join(f', "{a.name}" {POSTGRES_TYPES[a.type]}' for a in layer.attributes)
    conn.execute(
        f"CREATE TABLE {qualified(schema, table)} (fid bigint PRIMARY KEY, "
        f"{GEOMETRY_COLUMN} geometry({geom_type}, {srid}){columns})"
    )


def copy_rows(
    conn: psycopg.Connection,
    schema: str,
    layer: LayerDef,
    table: str,
    frame: gpd.GeoDataFrame,
    ids: list[int],
) -> None:
    """COPY a frame into a table with the given feature ids."""
    srid = resolve_crs(layer.storage_crs).srid
    geoms = conform_geometries(frame.geometry.values, layer.geometry_type)
    wkb = shapely.to_wkb(
        shapely.set_srid(np.asarray(geoms, dtype=object), srid), hex=True, include_srid=True
    )
    values = column_values(layer, frame)
    names = ", ".join(["fid", GEOMETRY_COLUMN, *(f'"{n}"' for n in layer.attribute_names)])
    with conn.cursor().copy(f"COPY {qualified(schema, table)} ({names}) FROM STDIN") as copy:
        for row in zip(ids, wkb, *values, strict=True):
            copy.write_row(row)


def publish(
    conn: psycopg.Connection,
    schema: str,
    layer: LayerDef,
    table: str,
    version: int,
    *,
    author: str,
    action: str,
    message: str,
) -> VersionInfo:
    """Index a filled table and make it the layer's current version."""
    t = qualified(schema, table)
    conn.execute(f"CREATE INDEX ON {t} USING gist ({GEOMETRY_COLUMN})")
    conn.execute(f"ANALYZE {t}")
    count, minx, miny, maxx, maxy = conn.execute(
        "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        f"(SELECT count(*) n, ST_Extent({GEOMETRY_COLUMN}) e FROM {t}) s"
    ).fetchone()
    bbox = None if minx is None else (minx, miny, maxx, maxy)
    point_view(conn, schema, layer.id, table)
    return record_version(
        conn, schema, layer.id, version, table, author, action, message, count, bbox
    )


def point_view(conn: psycopg.Connection, schema: str, layer_id: str, table: str) -> None:
    """Point the view named after the layer at a version table.

    Other tools (QGIS, tipg, psql users) see the current version under the
    layer's own name.
    """
    conn.execute(f"DROP VIEW IF EXISTS {qualified(schema, layer_id)}")
    conn.execute(
        f"CREATE VIEW {qualified(schema, layer_id)} AS SELECT * FROM {qualified(schema, table)}"
    )


def record_version(
    conn: psycopg.Connection,
    schema: str,
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
    conn.execute(
        f"INSERT INTO {qualified(schema, 'gs_versions')} (layer, version, table_name, author, "
        "action, message, feature_count, minx, miny, maxx, maxy) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (layer_id, version, table, author, action, message, count, *(bbox or (None,) * 4)),
    )
    conn.execute(
        f"INSERT INTO {qualified(schema, 'gs_layers')} VALUES (%s, %s) ON CONFLICT (layer) "
        "DO UPDATE SET current_version = excluded.current_version",
        (layer_id, version),
    )
    row = conn.execute(
        f"SELECT {VERSION_COLUMNS}, true FROM {qualified(schema, 'gs_versions')} v "
        "WHERE layer = %s AND version = %s",
        (layer_id, version),
    ).fetchone()
    return version_from_row(row)
