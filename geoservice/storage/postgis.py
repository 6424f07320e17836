"""The PostGIS store: version tables in one schema, a view per layer, SQL push-down.

Pages of GeoJSON are assembled by PostgreSQL itself (``ST_AsGeoJSON`` and
``row_to_json``) so Python only forwards text. A write creates the new version's
table, fills it with ``COPY``, indexes it and moves the layer's view and current
pointer in one transaction: a failed or killed write leaves nothing visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from geoservice.catalog.models import LayerDef
from geoservice.errors import (
    FeatureNotFound,
    LayerNotFound,
    StoreUnavailable,
    VersionNotFound,
)
from geoservice.features import FeatureRows
from geoservice.storage.base import (
    FeaturePage,
    FeatureQuery,
    GeoJSONPage,
    StoreDefaults,
    VersionInfo,
    WriteMode,
    is_filtered,
    known_count,
)
from geoservice.storage.cql import Fragment
from geoservice.storage.filter_errors import translate_filter_errors
from geoservice.storage.outage import Outage, first_line, lost_connection
from geoservice.storage.postgis_mvt import PostGISTiles
from geoservice.storage.postgis_sql import (
    PostgresDialect,
    feature_expr,
    geometry_expr,
    paged,
    property_names,
    session_options,
    where_clause,
)
from geoservice.storage.postgis_write import (
    copy_rows,
    create_table,
    current_table,
    lock_layer,
    max_fid,
    point_view,
    publish,
    record_version,
)
from geoservice.storage.querybuild import counted_page_ctes
from geoservice.storage.schema import (
    check_columns,
    ids_from_index,
)
from geoservice.storage.versions import (
    VERSION_COLUMNS,
    check_expected_version,
    next_table_name,
    no_data,
    version_from_row,
)

EXPORT_CHUNK = 10_000


class PostGISStore(StoreDefaults, PostGISTiles):
    """A :class:`~geoservice.storage.base.FeatureStore` on a PostGIS database."""

    kind = "postgis"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 16,
        schema: str = "geoservice",
        pool_timeout_s: float = 5.0,
        connect_timeout_s: int = 3,
        probe_interval_s: float = 2.0,
    ) -> None:
        self.schema = schema
        self.connect_timeout_s = connect_timeout_s
        self.outage = Outage(
            self._probe,
            interval_s=probe_interval_s,
            on_recover=self._renew_connections,
            name="the PostGIS database",
        )
        self._failed_connects = 0
        try:
            self.pool = ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={
                    "autocommit": True,
                    "options": session_options(schema),
                    "connect_timeout": connect_timeout_s,
                },
                open=True,
                timeout=pool_timeout_s,
                # The pool's own retries back off for minutes; past this it gives
                # up, the outage is tripped and probed here instead.
                reconnect_timeout=max(pool_timeout_s, probe_interval_s),
                reconnect_failed=lambda _pool: self.outage.trip("no connection could be made"),
            )
            self.pool.wait(timeout=10)
        except (psycopg.OperationalError, Exception) as exc:  # pool wraps errors
            raise StoreUnavailable(f"cannot reach PostGIS at the configured URL: {exc}") from exc
        with self._connection() as conn:
            self._bootstrap(conn)

    # -- connections -------------------------------------------------------------

    @contextmanager
    def _connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection]:
        """Lend a pooled connection; a lost database becomes :class:`StoreUnavailable`.

        While the database is known to be down this fails at once, without
        queueing on the pool (see :mod:`geoservice.storage.outage`).
        """
        self.outage.check()
        try:
            with self.pool.connection(timeout=timeout) as conn:
                yield conn
        except PoolTimeout as exc:
            raise self._pool_timed_out() from exc
        except psycopg.OperationalError as exc:
            if not lost_connection(exc):
                raise
            self.outage.trip(first_line(exc))
            raise self.outage.error(first_line(exc)) from exc

    def _pool_timed_out(self) -> StoreUnavailable:
        """Tell a dead database (connection attempts failing) from a busy pool."""
        failed = self.pool.get_stats().get("connections_errors", 0)
        if failed > self._failed_connects:
            self._failed_connects = failed
            self.outage.trip("connection attempts fail")
            return self.outage.error("connection attempts fail")
        return StoreUnavailable(
            "every PostGIS connection is busy; nothing was changed, try again shortly",
            details={"part": "store", "reason": "connection pool exhausted"},
            retry_after_s=1,
        )

    def _probe(self) -> None:
        """Connect afresh and run a trivial query (raises while the database is away)."""
        with psycopg.connect(
            self.pool.conninfo, autocommit=True, connect_timeout=self.connect_timeout_s
        ) as conn:
            conn.execute("SELECT 1")

    def _renew_connections(self) -> None:
        """Replace every pooled connection: those made before the outage are dead."""
        self._failed_connects = self.pool.get_stats().get("connections_errors", 0)
        self.pool.drain()
        self.__dict__["_async_tile_pool_stale"] = True  # renewed in its own event loop

    def check_health(self) -> dict:
        """Return how the database answers now; raise :class:`StoreUnavailable` if not."""
        with self._connection(timeout=self.connect_timeout_s) as conn:
            conn.execute("SELECT 1")
        stats = self.pool.get_stats()
        return {"connections": stats.get("pool_size", 0), "idle": stats.get("pool_available", 0)}

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
        """Close the connection pool, once tile tables being built are done."""
        self.outage.close()
        self.wait_for_tile_tables()
        self.pool.close()

    def _t(self, table: str) -> str:
        return f'"{self.schema}"."{table}"'

    # -- versions ----------------------------------------------------------------

    def layer_ids(self) -> list[str]:
        """Return the ids of layers that have a current version."""
        with self._connection() as conn:
            rows = conn.execute(f"SELECT layer FROM {self._t('gs_layers')} ORDER BY layer")
            return [r[0] for r in rows]

    def has_layer(self, layer_id: str) -> bool:
        """Tell whether a layer has data."""
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT 1 FROM {self._t('gs_layers')} WHERE layer = %s", (layer_id,)
            ).fetchone()
        return row is not None

    def current_version(self, layer_id: str) -> VersionInfo:
        """Return the current version of a layer."""
        with self._connection() as conn:
            return self._current(conn, layer_id)

    def missing_attributes(self, layer: LayerDef) -> list[str]:
        """Return the declared attributes the current version has no column for."""
        with self._connection() as conn:
            table = self._current(conn, layer.id).table
            rows = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                (self.schema, table),
            ).fetchall()
        stored = {row[0] for row in rows}
        return [name for name in layer.attribute_names if name not in stored]

    def _current(self, conn: psycopg.Connection, layer_id: str) -> VersionInfo:
        row = conn.execute(
            f"SELECT {VERSION_COLUMNS}, true FROM {self._t('gs_versions')} v "
            f"JOIN {self._t('gs_layers')} l ON l.layer = v.layer "
            "AND l.current_version = v.version WHERE v.layer = %s",
            (layer_id,),
        ).fetchone()
        if row is None:
            raise no_data(layer_id)
        return version_from_row(row)

    def versions(self, layer_id: str) -> list[VersionInfo]:
        """Return every version of a layer, oldest first."""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {VERSION_COLUMNS}, v.version = l.current_version "
                f"FROM {self._t('gs_versions')} v JOIN {self._t('gs_layers')} l "
                "ON l.layer = v.layer WHERE v.layer = %s ORDER BY v.version",
                (layer_id,),
            ).fetchall()
        if not rows:
            raise no_data(layer_id)
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

    @translate_filter_errors
    def query(self, layer: LayerDef, query: FeatureQuery) -> FeaturePage:
        """Return a page of features matching ``query``."""
        names = property_names(layer, query.properties)
        with self._connection() as conn:
            info = self._version(conn, layer.id, query.version)
            where = where_clause(layer, query)
            geom = geometry_expr(layer, query.crs, north_first=False)
            cols = ", ".join([f"fid, ST_AsBinary({geom})", *(f'"{n}"' for n in names)])
            text, params = paged(f"SELECT {cols} FROM {self._t(info.table)}", where, query)
            rows = conn.execute(text, params).fetchall()
            matched = self._count(conn, info, where, query, len(rows))
        return FeaturePage(_rows(rows, names, query.crs), matched)

    @translate_filter_errors
    def query_geojson(self, layer: LayerDef, query: FeatureQuery) -> GeoJSONPage:
        """Return a page of features encoded as GeoJSON by PostgreSQL.

        Matches are found and counted (up to the cap) in one statement, and JSON is
        built only for the page's rows.
        """
        with self._connection() as conn:
            info = self._version(conn, layer.id, query.version)
            where = where_clause(layer, query)
            cap = query.count_cap or 0
            if is_filtered(query) and cap and query.limit is not None:
                text, params = self._counted_page_sql(layer, info, query, where, cap)
                features, returned, total = conn.execute(text, params).fetchone()
                if total <= cap:
                    return GeoJSONPage(features.encode(), returned, total, version=info.version)
            inner, params = paged(self._feature_select(layer, info, query), where, query)
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
        feature = feature_expr(layer, query)
        return (
            f"{ctes.sql}SELECT coalesce(string_agg({feature}, ',' ORDER BY page.ord), ''), "
            f"count(*), (SELECT count(*) FROM matched) FROM page JOIN {table} t "
            "ON t.fid = page.fid",
            ctes.params,
        )

    @translate_filter_errors
    def iter_geojson(self, layer: LayerDef, query: FeatureQuery) -> Iterator[bytes]:
        """Stream a whole result as GeoJSON features through a server-side cursor."""
        with self._connection() as conn, conn.transaction():
            info = self._version(conn, layer.id, query.version)
            where = where_clause(layer, query)
            text, params = paged(self._feature_select(layer, info, query), where, query)
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
        with self._connection() as conn:
            info = self._version(conn, layer.id, version)
            geom = geometry_expr(layer, crs, north_first=False)
            cols = ", ".join([f"fid, ST_AsBinary({geom})", *(f'"{n}"' for n in names)])
            row = conn.execute(
                f"SELECT {cols} FROM {self._t(info.table)} WHERE fid = %s", (fid,)
            ).fetchone()
        if row is None:
            raise FeatureNotFound(f"collection {layer.id!r} has no feature {fid}")
        return _rows([row], names, crs)

    def _feature_select(self, layer: LayerDef, info: VersionInfo, query: FeatureQuery) -> str:
        return f"SELECT {feature_expr(layer, query)} AS f FROM {self._t(info.table)} t"

    def _count(
        self,
        conn: psycopg.Connection,
        info: VersionInfo,
        where: Fragment,
        query: FeatureQuery,
        returned: int,
    ) -> int | None:
        known = known_count(info, query, returned)
        if known is not None or not query.count_cap:
            return known
        (count,) = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {self._t(info.table)} "
            f"WHERE {where.sql} LIMIT %s) s",
            (*where.params, query.count_cap + 1),
        ).fetchone()
        return None if count > query.count_cap else count

    # -- writing -----------------------------------------------------------------

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
        with self._connection() as conn, conn.transaction():
            lock_layer(conn, layer.id)
            previous = current_table(conn, self.schema, layer.id)
            table, version = next_table_name(conn, layer.id, "%s")
            create_table(conn, self.schema, layer, table)
            start = 1
            if mode == "append" and previous:
                conn.execute(f"INSERT INTO {self._t(table)} SELECT * FROM {self._t(previous)}")
                start = max_fid(conn, self.schema, table) + 1
            for frame in batches:
                check_columns(layer, [c for c in frame.columns if c != frame.geometry.name])
                ids = list(range(start, start + len(frame)))
                copy_rows(conn, self.schema, layer, table, frame, ids)
                start += len(frame)
            return publish(
                conn,
                self.schema,
                layer,
                table,
                version,
                author=author,
                action=action,
                message=message,
            )

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
        with self._connection() as conn, conn.transaction():
            lock_layer(conn, layer.id)
            current = current_table(conn, self.schema, layer.id)
            if current is None:
                raise LayerNotFound(f"collection {layer.id!r} has no data to edit")
            check_expected_version(conn, layer.id, expected_version, "%s", self._t("gs_layers"))
            table, version = next_table_name(conn, layer.id, "%s")
            create_table(conn, self.schema, layer, table)
            conn.execute(f"INSERT INTO {self._t(table)} SELECT * FROM {self._t(current)}")
            next_id = max_fid(conn, self.schema, table) + 1
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
            if wanted:  # deleted, or replaced: COPY cannot overwrite a row
                conn.execute(f"DELETE FROM {self._t(table)} WHERE fid = ANY(%s)", (wanted,))
            new_ids: list[int] = []
            if upserts is not None and len(upserts):
                fresh = iter(range(next_id, next_id + given.count(None)))
                ids = [next(fresh) if i is None else i for i in given]
                new_ids = [i for i, g in zip(ids, given, strict=True) if g is None]
                copy_rows(conn, self.schema, layer, table, upserts, ids)
            info = publish(
                conn,
                self.schema,
                layer,
                table,
                version,
                author=author,
                action="edit",
                message=message,
            )
        return info, new_ids

    def rollback(self, layer: LayerDef, version: int, *, author: str = "system") -> VersionInfo:
        """Make a new current version that reuses the immutable table of ``version``."""
        with self._connection() as conn, conn.transaction():
            lock_layer(conn, layer.id)
            target = self._version(conn, layer.id, version)
            _, new_version = next_table_name(conn, layer.id, "%s")
            point_view(conn, self.schema, layer.id, target.table)
            return record_version(
                conn,
                self.schema,
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
        with self._connection() as conn, conn.transaction():
            lock_layer(conn, layer_id)
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


def _rows(rows: list[tuple], names: list[str], crs: str) -> FeatureRows:
    columns = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(names))
    wkb = np.asarray([None if b is None else bytes(b) for b in columns[1]], dtype=object)
    geoms = shapely.from_wkb(wkb)
    props = {n: list(v) for n, v in zip(names, columns[2:], strict=True)}
    return FeatureRows(list(columns[0]), geoms, props, crs)
