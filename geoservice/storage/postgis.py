"""The PostGIS store: version tables in one schema, a view per layer, SQL push-down.

Pages of GeoJSON are assembled by PostgreSQL itself (``ST_AsGeoJSON`` and
``row_to_json``) so Python only forwards text. A write creates the new version's
table, fills it with ``COPY``, indexes it and moves the layer's view and current
pointer in one transaction: a failed or killed write leaves nothing visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg_pool import ConnectionPool

from geoservice.catalog.models import LayerDef
from geoservice.crs import reproject_bbox, resolve_crs, same_crs
from geoservice.errors import (
    FeatureNotFound,
    LayerNotFound,
    StoreUnavailable,
    VersionNotFound,
)
from geoservice.storage.base import (
    BBox,
    FeaturePage,
    FeatureQuery,
    FeatureRows,
    GeoJSONPage,
    VersionInfo,
    WriteMode,
)
from geoservice.storage.cql import Fragment, binary
from geoservice.storage.postgis_mvt import PostGISTiles
from geoservice.storage.querybuild import (
    build_where,
    counted_page_ctes,
    is_filtered,
    order_by,
    storage_boxes,
)
from geoservice.storage.schema import (
    GEOMETRY_COLUMN,
    POSTGRES_TYPES,
    check_columns,
    column_values,
    conform_geometries,
    geometry_type_name,
    ids_from_index,
)
from geoservice.storage.versions import (
    VERSION_COLUMNS,
    check_expected_version,
    next_table_name,
    version_from_row,
)

EXPORT_CHUNK = 10_000


class PostgresDialect:
    """CQL2 compilation target for PostGIS."""

    placeholder = "%s"

    def __init__(self, srid: int) -> None:
        self.srid = srid

    def ident(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def spatial(self, op: str, column: str, geometry: shapely.Geometry) -> Fragment:
        """Return ``ST_<Op>(column, literal)``; the GiST index serves it."""
        function = "ST_" + op.removeprefix("s_").capitalize()
        return Fragment(
            f"{function}({self.ident(column)}, ST_GeomFromWKB(%s, {self.srid}))",
            (shapely.to_wkb(geometry),),
        )

    def casei(self, expr: Fragment) -> Fragment:
        """Case-fold (PostgreSQL lower() is Unicode-aware with a UTF-8 database)."""
        return Fragment("lower(") + expr + Fragment(")")

    def accenti(self, expr: Fragment) -> Fragment:
        """Strip accents with the ``unaccent`` extension."""
        return Fragment("unaccent(") + expr + Fragment(")")

    def temporal_literal(self, value: date | datetime) -> Any:
        """Dates and timestamps travel as typed parameters."""
        return value

    def arithmetic(self, op: str, lhs: Fragment, rhs: Fragment) -> Fragment:
        """Arithmetic: power(), truncated division and numeric modulo."""
        if op == "^":
            return Fragment("power(") + lhs + Fragment(", ") + rhs + Fragment(")")
        if op == "div":
            return Fragment("trunc(") + binary(lhs, "/", rhs) + Fragment(")")
        if op == "%":  # numeric: CQL2 numbers arrive as floats
            return (
                Fragment("mod((") + lhs + Fragment(")::numeric, (") + rhs + Fragment(")::numeric)")
            )
        return binary(lhs, op, rhs)


def _session_options(schema: str) -> str:
    # Requests are small indexed lookups: starting parallel workers costs far more
    # (10-20 ms) than the ~1 ms of work they would share.
    return f"-c search_path={schema},public -c max_parallel_workers_per_gather=0"


class PostGISStore(PostGISTiles):
    """A :class:`~geoservice.storage.base.FeatureStore` on a PostGIS database."""

    kind = "postgis"

    def __init__(self, url: str, *, pool_size: int = 16, schema: str = "geoservice") -> None:
        self.schema = schema
        try:
            self.pool = ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "options": _session_options(schema)},
                open=True,
                timeout=30,
            )
            self.pool.wait(timeout=10)
        except (psycopg.OperationalError, Exception) as exc:  # pool wraps errors
            raise StoreUnavailable(f"cannot reach PostGIS at the configured URL: {exc}") from exc
        with self.pool.connection() as conn:
            self._bootstrap(conn)

    def _bootstrap(self, conn: psycopg.Connection) -> None:
        s = self.schema
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(s)))
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".gs_versions ('
                "layer text NOT NULL, version int NOT NULL, table_name text NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now(), author text NOT NULL, "
                "action text NOT NULL, message text NOT NULL DEFAULT '', "
                "feature_count bigint NOT NULL, minx float8, miny float8, maxx float8, "
                "maxy float8, PRIMARY KEY (layer, version))"
            )
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{s}".gs_layers ('
                "layer text PRIMARY KEY, current_version int NOT NULL)"
            )

    def close(self) -> None:
        """Close the connection pool."""
        self.pool.close()

    def _t(self, table: str) -> str:
        return f'"{self.schema}"."{table}"'

    # -- versions ----------------------------------------------------------------

    def layer_ids(self) -> list[str]:
        """Return the ids of layers that have a current version."""
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT layer FROM {self._t('gs_layers')} ORDER BY layer")
            return [r[0] for r in rows]

    def has_layer(self, layer_id: str) -> bool:
        """Tell whether a layer has data."""
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT 1 FROM {self._t('gs_layers')} WHERE layer = %s", (layer_id,)
            ).fetchone()
        return row is not None

    def current_version(self, layer_id: str) -> VersionInfo:
        """Return the current version of a layer."""
        with self.pool.connection() as conn:
            return self._current(conn, layer_id)

    def _current(self, conn: psycopg.Connection, layer_id: str) -> VersionInfo:
        row = conn.execute(
            f"SELECT {VERSION_COLUMNS}, true FROM {self._t('gs_versions')} v "
            f"JOIN {self._t('gs_layers')} l ON l.layer = v.layer "
            "AND l.current_version = v.version WHERE v.layer = %s",
            (layer_id,),
        ).fetchone()
        if row is None:
            raise LayerNotFound(
                f"collection {layer_id!r} has no data yet: build the sample store "
                "(geoservice data build) or upload a file"
            )
        return version_from_row(row)

    def versions(self, layer_id: str) -> list[VersionInfo]:
        """Return every version of a layer, oldest first."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {VERSION_COLUMNS}, v.version = l.current_version "
                f"FROM {self._t('gs_versions')} v JOIN {self._t('gs_layers')} l "
                "ON l.layer = v.layer WHERE v.layer = %s ORDER BY v.version",
                (layer_id,),
            ).fetchall()
        if not rows:
            raise LayerNotFound(
                f"collection {layer_id!r} has no data yet: build the sample store "
                "(geoservice data build) or upload a file"
            )
        return [version_from_row(r) for r in rows]

    def _version(self, conn: psycopg.Connection, layer_id: str, version: int | None) -> VersionInfo:
        if version is None:
            return self._current(conn, layer_id)
        row = conn.execute(
            f"SELECT {VERSION_COLUMNS}, v.version = l.current_version "
            f"FROM {self._t('gs_versions')} v JOIN {self._t('gs_layers')} l "
            "ON l.layer = v.layer WHERE v.layer = %s AND v.version = %s",
            (layer_id, version),
        ).fetchone()
        if row is None:
            self._current(conn, layer_id)
            raise VersionNotFound(f"collection {layer_id!r} has no version {version}")
        return version_from_row(row)

    # -- reading -----------------------------------------------------------------

    def query(self, layer: LayerDef, query: FeatureQuery) -> FeaturePage:
        """Return a page of features matching ``query``."""
        names = self._names(layer, query.properties)
        with self.pool.connection() as conn:
            info = self._version(conn, layer.id, query.version)
            where = self._where(layer, query)
            geom = self._geometry_expr(layer, query.crs, north_first=False)
            cols = ", ".join([f"fid, ST_AsBinary({geom})", *(f'"{n}"' for n in names)])
            text, params = self._paged(f"SELECT {cols} FROM {self._t(info.table)}", where, query)
            rows = conn.execute(text, params).fetchall()
            matched = self._count(conn, info, where, query, len(rows))
        return FeaturePage(_rows(rows, names, query.crs), matched)

    def query_geojson(self, layer: LayerDef, query: FeatureQuery) -> GeoJSONPage:
        """Return a page of features encoded as GeoJSON by PostgreSQL.

        Matches are found and counted (up to the cap) in one statement, and JSON is
        built only for the page's rows.
        """
        with self.pool.connection() as conn:
            info = self._version(conn, layer.id, query.version)
            where = self._where(layer, query)
            cap = query.count_cap or 0
            if is_filtered(query) and cap and query.limit is not None:
                text, params = self._counted_page_sql(layer, info, query, where, cap)
                features, returned, total = conn.execute(text, params).fetchone()
                if total <= cap:
                    return GeoJSONPage(features.encode(), returned, total, version=info.version)
            inner, params = self._paged(self._feature_select(layer, info, query), where, query)
            features, returned = conn.execute(
                f"SELECT coalesce(string_agg(f, ','), ''), count(*) FROM ({inner}) s", params
            ).fetchone()
            matched = self._count(conn, info, where, query, returned)
        return GeoJSONPage(features.encode(), returned, matched, version=info.version)

    def _counted_page_sql(
        self, layer: LayerDef, info: VersionInfo, query: FeatureQuery, where: Fragment, cap: int
    ) -> tuple[str, tuple]:
        table = self._t(info.table)
        ctes = counted_page_ctes(table, where, query, PostgresDialect(0), cap=cap)
        feature = self._feature_expr(layer, query)
        return (
            f"{ctes.sql}SELECT coalesce(string_agg({feature}, ',' ORDER BY page.ord), ''), "
            f"count(*), (SELECT count(*) FROM matched) FROM page JOIN {table} t "
            "ON t.fid = page.fid",
            ctes.params,
        )

    def iter_geojson(self, layer: LayerDef, query: FeatureQuery) -> Iterator[bytes]:
        """Stream a whole result as GeoJSON features through a server-side cursor."""
        with self.pool.connection() as conn, conn.transaction():
            info = self._version(conn, layer.id, query.version)
            where = self._where(layer, query)
            text, params = self._paged(self._feature_select(layer, info, query), where, query)
            with conn.cursor(name="gs_export") as cursor:
                cursor.itersize = EXPORT_CHUNK
                cursor.execute(text, params)
                first = True
                while batch := cursor.fetchmany(EXPORT_CHUNK):
                    chunk = ",".join(r[0] for r in batch).encode()
                    yield chunk if first else b"," + chunk
                    first = False

    def get_feature(
        self,
        layer: LayerDef,
        fid: int,
        *,
        crs: str = "OGC:CRS84",
        version: int | None = None,
    ) -> FeatureRows:
        """Return one feature by id."""
        names = layer.attribute_names
        with self.pool.connection() as conn:
            info = self._version(conn, layer.id, version)
            geom = self._geometry_expr(layer, crs, north_first=False)
            cols = ", ".join([f"fid, ST_AsBinary({geom})", *(f'"{n}"' for n in names)])
            row = conn.execute(
                f"SELECT {cols} FROM {self._t(info.table)} WHERE fid = %s", (fid,)
            ).fetchone()
        if row is None:
            raise FeatureNotFound(f"collection {layer.id!r} has no feature {fid}")
        return _rows([row], names, crs)

    def read_frame(
        self,
        layer: LayerDef,
        *,
        version: int | None = None,
        bbox: BBox | None = None,
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return a whole layer (optionally what a storage-CRS bbox touches)."""
        query = FeatureQuery(
            bbox=bbox,
            bbox_crs=layer.storage_crs,
            properties=columns,
            limit=None,
            crs=layer.storage_crs,
            count_cap=0,
            version=version,
        )
        return self.query(layer, query).rows.to_frame()

    def bounds(self, layer: LayerDef) -> BBox | None:
        """Return the CRS84 extent of the current version."""
        info = self.current_version(layer.id)
        if info.bbox is None:
            return None
        return reproject_bbox(info.bbox, layer.storage_crs, "OGC:CRS84")

    def _names(self, layer: LayerDef, properties: Sequence[str] | None) -> list[str]:
        return layer.attribute_names if properties is None else list(properties)

    def _geometry_expr(self, layer: LayerDef, crs: str, *, north_first: bool) -> str:
        expr = GEOMETRY_COLUMN
        if not same_crs(layer.storage_crs, crs):
            expr = f"ST_Transform({expr}, {resolve_crs(crs).srid})"
        if north_first:
            expr = f"ST_FlipCoordinates({expr})"
        return expr

    def _feature_expr(self, layer: LayerDef, query: FeatureQuery) -> str:
        names = self._names(layer, query.properties)
        north_first = resolve_crs(query.crs).north_first
        geom = self._geometry_expr(layer, query.crs, north_first=north_first)
        props = ", ".join(f't."{n}"' for n in names)
        properties = f"(SELECT row_to_json(p) FROM (SELECT {props}) p)::text" if names else "'{}'"
        return (
            '\'{"type":"Feature","id":\' || t.fid || \',"geometry":\' || '
            f"coalesce(ST_AsGeoJSON({geom}, 9), 'null') || ',\"properties\":' || "
            f"{properties} || '}}'"
        )

    def _feature_select(self, layer: LayerDef, info: VersionInfo, query: FeatureQuery) -> str:
        return f"SELECT {self._feature_expr(layer, query)} AS f FROM {self._t(info.table)} t"

    def _where(self, layer: LayerDef, query: FeatureQuery) -> Fragment:
        srid = resolve_crs(layer.storage_crs).srid
        boxes = storage_boxes(query, layer.storage_crs)
        bbox = None
        if boxes:
            test = f"ST_Intersects({GEOMETRY_COLUMN}, ST_MakeEnvelope(%s, %s, %s, %s, {srid}))"
            bbox = Fragment(
                "(" + " OR ".join([test] * len(boxes)) + ")",
                tuple(v for b in boxes for v in b),
            )
        return build_where(layer, query, PostgresDialect(srid), bbox)

    def _paged(self, select: str, where: Fragment, query: FeatureQuery) -> tuple[str, tuple]:
        text = f"{select} WHERE {where.sql} {order_by(query, PostgresDialect(0))}"
        params = where.params
        if query.limit is not None:
            text += " LIMIT %s"
            params += (query.limit,)
        if query.offset:
            text += " OFFSET %s"
            params += (query.offset,)
        return text, params

    def _count(
        self,
        conn: psycopg.Connection,
        info: VersionInfo,
        where: Fragment,
        query: FeatureQuery,
        returned: int,
    ) -> int | None:
        if not is_filtered(query):
            return info.feature_count
        if query.limit is not None and returned < query.limit and (returned or not query.offset):
            return query.offset + returned
        if not query.count_cap:
            return None
        (count,) = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {self._t(info.table)} "
            f"WHERE {where.sql} LIMIT %s) s",
            (*where.params, query.count_cap + 1),
        ).fetchone()
        return None if count > query.count_cap else count

    # -- writing -----------------------------------------------------------------

    def write(
        self,
        layer: LayerDef,
        frame: gpd.GeoDataFrame,
        *,
        mode: WriteMode = "replace",
        author: str = "system",
        action: str = "write",
        message: str = "",
    ) -> VersionInfo:
        """Store ``frame`` (in the layer's storage CRS) as a new current version."""
        return self.write_batches(
            layer, [frame], mode=mode, author=author, action=action, message=message
        )

    def write_batches(
        self,
        layer: LayerDef,
        batches: Iterable[gpd.GeoDataFrame],
        *,
        mode: WriteMode = "replace",
        author: str = "system",
        action: str = "write",
        message: str = "",
    ) -> VersionInfo:
        """COPY frames, one after the other, into one new version in one transaction.

        An exception raised while ``batches`` is consumed (a refused upload, a
        killed client) rolls everything back: the previous version stays current.
        """
        with self.pool.connection() as conn, conn.transaction():
            self._lock(conn, layer.id)
            previous = self._current_table(conn, layer.id)
            table, version = next_table_name(conn, layer.id, "%s")
            self._create_table(conn, layer, table)
            start = 1
            if mode == "append" and previous:
                conn.execute(f"INSERT INTO {self._t(table)} SELECT * FROM {self._t(previous)}")
                start = self._max_fid(conn, table) + 1
            for frame in batches:
                check_columns(layer, [c for c in frame.columns if c != frame.geometry.name])
                ids = list(range(start, start + len(frame)))
                self._copy(conn, layer, table, frame, ids)
                start += len(frame)
            return self._publish(conn, layer, table, version, author, action, message)

    def edit(
        self,
        layer: LayerDef,
        *,
        upserts: gpd.GeoDataFrame | None = None,
        deletes: Sequence[int] = (),
        author: str = "system",
        message: str = "",
        expected_version: int | None = None,
    ) -> tuple[VersionInfo, list[int]]:
        """Apply feature edits as a new version (copy on write); return new ids.

        With ``expected_version``, the edit is refused (PreconditionFailed) if
        another version became current in the meantime.
        """
        with self.pool.connection() as conn, conn.transaction():
            self._lock(conn, layer.id)
            current = self._current_table(conn, layer.id)
            if current is None:
                raise LayerNotFound(f"collection {layer.id!r} has no data to edit")
            check_expected_version(conn, layer.id, expected_version, "%s", self._t("gs_layers"))
            table, version = next_table_name(conn, layer.id, "%s")
            self._create_table(conn, layer, table)
            conn.execute(f"INSERT INTO {self._t(table)} SELECT * FROM {self._t(current)}")
            next_id = self._max_fid(conn, table) + 1
            given = ids_from_index(upserts)
            wanted = [int(d) for d in deletes] + [i for i in given if i is not None]
            present = {
                r[0]
                for r in conn.execute(
                    f"SELECT fid FROM {self._t(table)} WHERE fid = ANY(%s)", (wanted,)
                )
            }
            missing = sorted(set(wanted) - present)
            if missing:
                raise FeatureNotFound(f"collection {layer.id!r} has no feature(s) {missing}")
            ids_to_clear = [int(d) for d in deletes] + [i for i in given if i is not None]
            if ids_to_clear:
                conn.execute(f"DELETE FROM {self._t(table)} WHERE fid = ANY(%s)", (ids_to_clear,))
            new_ids: list[int] = []
            if upserts is not None and len(upserts):
                fresh = iter(range(next_id, next_id + given.count(None)))
                ids = [next(fresh) if i is None else i for i in given]
                new_ids = [i for i, g in zip(ids, given, strict=True) if g is None]
                self._copy(conn, layer, table, upserts, ids)
            info = self._publish(conn, layer, table, version, author, "edit", message)
        return info, new_ids

    def rollback(self, layer: LayerDef, version: int, *, author: str = "system") -> VersionInfo:
        """Make a new current version that reuses the immutable table of ``version``."""
        with self.pool.connection() as conn, conn.transaction():
            self._lock(conn, layer.id)
            target = self._version(conn, layer.id, version)
            _, new_version = next_table_name(conn, layer.id, "%s")
            self._point_view(conn, layer.id, target.table)
            return self._record(
                conn,
                layer.id,
                new_version,
                target.table,
                author,
                "rollback",
                f"content of version {version}",
                target.feature_count,
                target.bbox,
            )

    def delete_layer(self, layer_id: str) -> None:
        """Remove a layer, its view, versions and tables."""
        with self.pool.connection() as conn, conn.transaction():
            self._lock(conn, layer_id)
            tables = [
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT table_name FROM {self._t('gs_versions')} WHERE layer = %s",
                    (layer_id,),
                )
            ]
            conn.execute(f"DROP VIEW IF EXISTS {self._t(layer_id)}")
            for table in tables:
                conn.execute(f"DROP TABLE IF EXISTS {self._t(table)}")
            conn.execute(f"DELETE FROM {self._t('gs_versions')} WHERE layer = %s", (layer_id,))
            conn.execute(f"DELETE FROM {self._t('gs_layers')} WHERE layer = %s", (layer_id,))

    def _lock(self, conn: psycopg.Connection, layer_id: str) -> None:
        # Writers of one layer queue up; readers are never blocked.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"gs:{layer_id}",))

    def _current_table(self, conn: psycopg.Connection, layer_id: str) -> str | None:
        row = conn.execute(
            f"SELECT v.table_name FROM {self._t('gs_layers')} l JOIN {self._t('gs_versions')} v "
            "ON v.layer = l.layer AND v.version = l.current_version WHERE l.layer = %s",
            (layer_id,),
        ).fetchone()
        return row[0] if row else None

    def _max_fid(self, conn: psycopg.Connection, table: str) -> int:
        (top,) = conn.execute(f"SELECT coalesce(max(fid), 0) FROM {self._t(table)}").fetchone()
        return int(top)

    def _create_table(self, conn: psycopg.Connection, layer: LayerDef, table: str) -> None:
        srid = resolve_crs(layer.storage_crs).srid
        geom_type = geometry_type_name(layer.geometry_type)
        columns = "".join(f', "{a.name}" {POSTGRES_TYPES[a.type]}' for a in layer.attributes)
        conn.execute(
            f"CREATE TABLE {self._t(table)} (fid bigint PRIMARY KEY, "
            f"{GEOMETRY_COLUMN} geometry({geom_type}, {srid}){columns})"
        )

    def _copy(
        self,
        conn: psycopg.Connection,
        layer: LayerDef,
        table: str,
        frame: gpd.GeoDataFrame,
        ids: list[int],
    ) -> None:
        srid = resolve_crs(layer.storage_crs).srid
        geoms = conform_geometries(frame.geometry.values, layer.geometry_type)
        wkb = shapely.to_wkb(
            shapely.set_srid(np.asarray(geoms, dtype=object), srid),
            hex=True,
            include_srid=True,
        )
        values = column_values(layer, frame)
        names = ", ".join(["fid", GEOMETRY_COLUMN, *(f'"{n}"' for n in layer.attribute_names)])
        with conn.cursor().copy(f"COPY {self._t(table)} ({names}) FROM STDIN") as copy:
            for row in zip(ids, wkb, *values, strict=True):
                copy.write_row(row)

    def _publish(self, conn, layer, table, version, author, action, message) -> VersionInfo:
        t = self._t(table)
        conn.execute(f"CREATE INDEX ON {t} USING gist ({GEOMETRY_COLUMN})")
        conn.execute(f"ANALYZE {t}")
        count, minx, miny, maxx, maxy = conn.execute(
            "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            f"(SELECT count(*) n, ST_Extent({GEOMETRY_COLUMN}) e FROM {t}) s"
        ).fetchone()
        bbox = None if minx is None else (minx, miny, maxx, maxy)
        self._point_view(conn, layer.id, table)
        return self._record(conn, layer.id, version, table, author, action, message, count, bbox)

    def _point_view(self, conn: psycopg.Connection, layer_id: str, table: str) -> None:
        # Other tools (QGIS, tipg, psql users) see the current version under the
        # layer's own name.
        conn.execute(f"DROP VIEW IF EXISTS {self._t(layer_id)}")
        conn.execute(f"CREATE VIEW {self._t(layer_id)} AS SELECT * FROM {self._t(table)}")

    def _record(self, conn, layer_id, version, table, author, action, message, count, bbox):
        conn.execute(
            f"INSERT INTO {self._t('gs_versions')} (layer, version, table_name, author, "
            "action, message, feature_count, minx, miny, maxx, maxy) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                layer_id,
                version,
                table,
                author,
                action,
                message,
                count,
                *(bbox or (None,) * 4),
            ),
        )
        conn.execute(
            f"INSERT INTO {self._t('gs_layers')} VALUES (%s, %s) ON CONFLICT (layer) "
            "DO UPDATE SET current_version = excluded.current_version",
            (layer_id, version),
        )
        row = conn.execute(
            f"SELECT {VERSION_COLUMNS}, true FROM {self._t('gs_versions')} v "
            "WHERE layer = %s AND version = %s",
            (layer_id, version),
        ).fetchone()
        return version_from_row(row)


def _rows(rows: list[tuple], names: list[str], crs: str) -> FeatureRows:
    columns = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(names))
    wkb = np.asarray([None if b is None else bytes(b) for b in columns[1]], dtype=object)
    geoms = shapely.from_wkb(wkb)
    props = {n: list(v) for n, v in zip(names, columns[2:], strict=True)}
    return FeatureRows(list(columns[0]), geoms, props, crs)
