"""The embedded store: one GeoPackage file, read and written with SQLite directly.

Why not GDAL for everything: a version must become current in the same SQLite
transaction that wrote it, and filters must run inside SQLite. So this module
writes standard GeoPackage tables itself (contents, geometry columns, R-tree
index with the spec's triggers) and registers the few SQL functions the R-tree
triggers and CQL2 predicates need on each connection. The file stays a valid
GeoPackage that QGIS and GDAL open (tests check it with pyogrio).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd

from geoservice.catalog.models import LayerDef
from geoservice.crs import CRS84_URI, reproject_geometries, resolve_crs
from geoservice.encoding.geojson import encode_feature_array
from geoservice.errors import FeatureNotFound, LayerNotFound, VersionNotFound
from geoservice.features import FeatureRows
from geoservice.storage import gpkg_blob
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
from geoservice.storage.gpkg_bbox import bbox_fragment, bbox_page, bbox_page_text
from geoservice.storage.gpkg_faults import translate_store_faults
from geoservice.storage.gpkg_features import has_json, json_table
from geoservice.storage.gpkg_sql import BOOTSTRAP_SQL, SqliteDialect, register_functions
from geoservice.storage.gpkg_values import from_sqlite
from geoservice.storage.gpkg_write import (
    copy_version,
    create_table,
    current_table,
    delete_rows,
    drop_table,
    insert_rows,
    missing_ids,
    publish,
    record_version,
)
from geoservice.storage.querybuild import (
    build_where,
    counted_page_ctes,
    order_by,
    storage_boxes,
)
from geoservice.storage.schema import GEOMETRY_COLUMN, check_columns, ids_from_index
from geoservice.storage.versions import (
    VERSION_COLUMNS,
    check_expected_version,
    next_table_name,
    no_data,
    version_from_row,
)
from geoservice.storage.wal_token import WalChangeToken


def _bbox_only(query: FeatureQuery) -> bool:
    return query.bbox is not None and query.cql is None and not query.equals and not query.sortby


EXPORT_CHUNK = 5_000
CRS84_NAMES = (CRS84_URI, "OGC:CRS84", "CRS84", None)


@translate_store_faults
class GeoPackageStore(StoreDefaults):
    """A :class:`~geoservice.storage.base.FeatureStore` on one GeoPackage file."""

    kind = "geopackage"

    def __init__(
        self,
        path: Path,
        *,
        concurrent_reads: int = 1,
        prebuilt_geojson: bool = True,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.prebuilt_geojson = prebuilt_geojson
        self.busy_timeout_s = busy_timeout_s
        self._reads = threading.BoundedSemaphore(concurrent_reads)
        self._change_token = WalChangeToken(self.path)
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._open(create=True)
        self._local.held = held = _Held(conn)
        self._held.add(held)
        conn.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        conn.execute("PRAGMA user_version = 10400")
        conn.executescript(f"BEGIN IMMEDIATE;{BOOTSTRAP_SQL}COMMIT;")

    def change_token(self) -> tuple:
        """Return what changes with every commit to the file, by any process.

        The WAL's shared commit counter, read from memory (``storage/wal_token.py``).
        """
        return self._change_token()

    # -- connections -------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on the thread's first call.

        The connection lives in thread-local storage inside a holder whose
        finalizer closes it: when a worker thread retires (the server's thread
        pool lets idle threads go), its local storage is dropped and the file
        handle and SQLite's page cache with it. Nothing else keeps a reference:
        streams that outlive one call use a connection of their own.
        """
        held = getattr(self._local, "held", None)
        if held is None:
            held = _Held(self._open())
            self._local.held = held
            with self._lock:
                self._held.add(held)
        return held.conn

    def _open(self, *, create: bool = False) -> sqlite3.Connection:
        # Only the constructor may create the file: a thread opening it later
        # must not make an empty one if it was deleted (that is a 503, not a
        # store without tables).
        target = str(self.path) if create else f"{self.path.absolute().as_uri()}?mode=rw"
        conn = sqlite3.connect(
            target,
            uri=not create,
            check_same_thread=False,
            isolation_level=None,
            timeout=self.busy_timeout_s,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA case_sensitive_like=ON")
        register_functions(conn)
        return conn

    @contextmanager
    def _stream_conn(self) -> Iterator[sqlite3.Connection]:
        """A connection for one stream: its chunks may be read from several threads."""
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    def open_connections(self) -> int:
        """Return how many per-thread connections are open (for tests and health)."""
        return len(self._held)

    def check_health(self) -> dict:
        """Read the store's own table on a fresh connection; raise if the file cannot be.

        A fresh connection, with a short wait for locks, answers for the file as a
        new worker thread would find it (deleted, unreadable, damaged, locked).
        """
        conn = self._open()
        try:
            conn.execute("PRAGMA busy_timeout = 1000")
            (layers,) = conn.execute("SELECT count(*) FROM gs_layers").fetchone()
        finally:
            conn.close()
        return {"layers": layers, "connections": self.open_connections()}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for held in list(self._held):
                held.conn.close()
            self._held = weakref.WeakSet()
        self._local = threading.local()
        self._change_token.close()

    # -- versions ----------------------------------------------------------------

    def layer_ids(self) -> list[str]:
        """Return the ids of layers that have a current version."""
        rows = self._conn().execute("SELECT layer FROM gs_layers ORDER BY layer")
        return [r[0] for r in rows]

    def has_layer(self, layer_id: str) -> bool:
        """Tell whether a layer has data."""
        row = (
            self._conn().execute("SELECT 1 FROM gs_layers WHERE layer = ?", (layer_id,)).fetchone()
        )
        return row is not None

    def current_version(self, layer_id: str) -> VersionInfo:
        """Return the current version of a layer."""
        row = (
            self._conn()
            .execute(
                f"SELECT {VERSION_COLUMNS}, 1 FROM gs_versions v JOIN gs_layers l "
                "ON l.layer = v.layer AND l.current_version = v.version WHERE v.layer = ?",
                (layer_id,),
            )
            .fetchone()
        )
        if row is None:
            raise no_data(layer_id)
        return version_from_row(row)

    def missing_attributes(self, layer: LayerDef) -> list[str]:
        """Return the declared attributes the current version has no column for."""
        table = self.current_version(layer.id).table
        stored = {row[1] for row in self._conn().execute(f'PRAGMA table_info("{table}")')}
        return [name for name in layer.attribute_names if name not in stored]

    def versions(self, layer_id: str) -> list[VersionInfo]:
        """Return every version of a layer, oldest first."""
        rows = (
            self._conn()
            .execute(
                f"SELECT {VERSION_COLUMNS}, v.version = l.current_version FROM gs_versions v "
                "JOIN gs_layers l ON l.layer = v.layer WHERE v.layer = ? ORDER BY v.version",
                (layer_id,),
            )
            .fetchall()
        )
        if not rows:
            raise no_data(layer_id)
        return [version_from_row(r) for r in rows]

    def _version(self, layer_id: str, version: int | None) -> VersionInfo:
        if version is None:
            return self.current_version(layer_id)
        row = (
            self._conn()
            .execute(
                f"SELECT {VERSION_COLUMNS}, v.version = l.current_version FROM gs_versions v "
                "JOIN gs_layers l ON l.layer = v.layer WHERE v.layer = ? AND v.version = ?",
                (layer_id, version),
            )
            .fetchone()
        )
        if row is None:
            self.current_version(layer_id)  # a layer without data says so first
            raise VersionNotFound(f"collection {layer_id!r} has no version {version}")
        return version_from_row(row)

    # -- reading -----------------------------------------------------------------

    @translate_filter_errors
    def query(self, layer: LayerDef, query: FeatureQuery) -> FeaturePage:
        """Return a page of features matching ``query``."""
        info = self._version(layer.id, query.version)
        with self._reads:
            return self._page(layer, info, query)

    @translate_filter_errors
    def query_geojson(self, layer: LayerDef, query: FeatureQuery) -> GeoJSONPage:
        """Return a page of features encoded as GeoJSON.

        A bbox page in CRS84 with every property is joined from the version's
        stored GeoJSON (``gpkg_features``); anything else is encoded here.
        Pages are read ``concurrent_reads`` at a time (see the setting): the wait is
        shorter than the GIL hand-offs of many threads stepping SQLite together.
        Exports (``iter_geojson``) are not gated: a long one must not stall pages.
        """
        info = self._version(layer.id, query.version)
        with self._reads:
            if _bbox_only(query) and self._prebuilt(info, query):
                features, returned, matched = bbox_page_text(
                    self._conn(),
                    info.table,
                    json_table(info.table),
                    storage_boxes(query, layer.storage_crs),
                    limit=query.limit,
                    offset=query.offset,
                )
                return GeoJSONPage(features, returned, matched, version=info.version)
            page = self._page(layer, info, query)
        north_first = resolve_crs(query.crs).north_first
        return GeoJSONPage(
            encode_feature_array(page.rows, north_first=north_first),
            page.number_returned,
            page.number_matched,
            version=info.version,
        )

    def _prebuilt(self, info: VersionInfo, query: FeatureQuery) -> bool:
        """Tell whether the stored GeoJSON answers ``query`` (CRS84, all properties)."""
        if query.properties is not None or query.crs not in CRS84_NAMES:
            return False
        # Asked each time (10 µs): table names come back after delete_layer, and
        # another process may write versions without stored GeoJSON.
        return has_json(self._conn(), info.table)

    def _page(self, layer: LayerDef, info: VersionInfo, query: FeatureQuery) -> FeaturePage:
        if _bbox_only(query):
            return self._bbox_page(layer, info, query)
        cap = query.count_cap or 0
        if is_filtered(query) and cap and query.limit is not None:
            # Count (up to the cap) in the same statement that finds the page.
            rows = self._conn().execute(*self._counted_select(layer, info, query, cap)).fetchall()
            total = rows[0][-1]
            if total <= cap:
                page_rows = [r[:-1] for r in rows if r[0] is not None]
                feature_rows = self._rows(layer, page_rows, query.properties, info, query.crs)
                return FeaturePage(feature_rows, total)
        sql, params = self._select(layer, info, query)
        rows = self._conn().execute(sql, params).fetchall()
        feature_rows = self._rows(layer, rows, query.properties, info, query.crs)
        return FeaturePage(feature_rows, self._count(layer, info, query, len(rows)))

    def _bbox_page(self, layer: LayerDef, info: VersionInfo, query: FeatureQuery) -> FeaturePage:
        # The commonest request (a map view): matches are found, counted exactly and
        # paged by id without a per-row Python call inside SQLite.
        rows, matched = bbox_page(
            self._conn(),
            info.table,
            storage_boxes(query, layer.storage_crs),
            columns=self._select_columns(layer, query.properties),
            limit=query.limit,
            offset=query.offset,
        )
        feature_rows = self._rows(layer, rows, query.properties, info, query.crs)
        return FeaturePage(feature_rows, matched)

    def _counted_select(
        self, layer: LayerDef, info: VersionInfo, query: FeatureQuery, cap: int
    ) -> tuple[str, tuple]:
        dialect = SqliteDialect(info.table)
        where = build_where(layer, query, dialect, self._bbox_fragment(layer, info, query))
        ctes = counted_page_ctes(f'"{info.table}"', where, query, dialect, cap=cap)
        columns = ", ".join(
            f"t.{c.strip()}" for c in self._select_columns(layer, query.properties).split(",")
        )
        # The one-row count joined to the page keeps the count when the page is empty.
        sql = (
            f"{ctes.sql}SELECT {columns}, n.total FROM (SELECT count(*) AS total FROM matched) n "
            f'LEFT JOIN page ON 1 = 1 LEFT JOIN "{info.table}" t ON t.fid = page.fid '
            "ORDER BY page.ord"
        )
        return sql, ctes.params

    @translate_filter_errors
    def iter_geojson(self, layer: LayerDef, query: FeatureQuery) -> Iterator[bytes]:
        """Yield the features of a whole result as comma-separated JSON chunks."""
        info = self._version(layer.id, query.version)
        if not is_filtered(query) and not query.sortby and self._prebuilt(info, query):
            yield from self._iter_prebuilt(info, query)
            return
        sql, params = self._select(layer, info, query)
        north_first = resolve_crs(query.crs).north_first
        with self._stream_conn() as conn:
            cursor = conn.execute(sql, params)
            first = True
            while batch := cursor.fetchmany(EXPORT_CHUNK):
                rows = self._rows(layer, batch, query.properties, info, query.crs)
                chunk = encode_feature_array(rows, north_first=north_first)
                yield chunk if first else b"," + chunk
                first = False

    def _iter_prebuilt(self, info: VersionInfo, query: FeatureQuery) -> Iterator[bytes]:
        limit = -1 if query.limit is None else query.limit
        with self._stream_conn() as conn:
            cursor = conn.execute(
                f'SELECT feature FROM "{json_table(info.table)}" ORDER BY fid LIMIT ? OFFSET ?',
                (limit, query.offset),
            )
            first = True
            while batch := cursor.fetchmany(EXPORT_CHUNK):
                chunk = b",".join(t for (t,) in batch)
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
        info = self._version(layer.id, version)
        cols = self._select_columns(layer, None)
        row = (
            self._conn()
            .execute(f'SELECT {cols} FROM "{info.table}" WHERE fid = ?', (fid,))
            .fetchone()
        )
        if row is None:
            raise FeatureNotFound(
                f"collection {layer.id!r} has no feature {fid}"
                + (f" in version {version}" if version else "")
            )
        return self._rows(layer, [row], None, info, crs)

    def _select_columns(self, layer: LayerDef, properties: Sequence[str] | None) -> str:
        names = layer.attribute_names if properties is None else list(properties)
        return ", ".join(["fid", GEOMETRY_COLUMN, *(f'"{n}"' for n in names)])

    def _select(self, layer: LayerDef, info: VersionInfo, query: FeatureQuery) -> tuple[str, tuple]:
        dialect = SqliteDialect(info.table)
        where = build_where(layer, query, dialect, self._bbox_fragment(layer, info, query))
        columns = self._select_columns(layer, query.properties)
        sql = f'SELECT {columns} FROM "{info.table}" WHERE {where.sql} {order_by(query, dialect)}'
        params = where.params
        if query.limit is not None or query.offset:
            sql += " LIMIT ? OFFSET ?"
            params += (-1 if query.limit is None else query.limit, query.offset)
        return sql, params

    def _bbox_fragment(
        self, layer: LayerDef, info: VersionInfo, query: FeatureQuery
    ) -> Fragment | None:
        boxes = storage_boxes(query, layer.storage_crs)
        return bbox_fragment(info.table, boxes, points=layer.geometry_type.family == "point")

    def _count(
        self, layer: LayerDef, info: VersionInfo, query: FeatureQuery, returned: int
    ) -> int | None:
        known = known_count(info, query, returned)
        if known is not None or not query.count_cap:
            return known
        dialect = SqliteDialect(info.table)
        where = build_where(layer, query, dialect, self._bbox_fragment(layer, info, query))
        cap = query.count_cap
        (count,) = (
            self._conn()
            .execute(
                f'SELECT count(*) FROM (SELECT 1 FROM "{info.table}" WHERE {where.sql} LIMIT ?)',
                (*where.params, cap + 1),
            )
            .fetchone()
        )
        return None if count > cap else count

    def _rows(
        self,
        layer: LayerDef,
        rows: list[tuple],
        properties: Sequence[str] | None,
        info: VersionInfo,
        crs: str,
    ) -> FeatureRows:
        names = layer.attribute_names if properties is None else list(properties)
        columns = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(names))
        geoms = gpkg_blob.decode(columns[1])
        geoms = reproject_geometries(geoms, layer.storage_crs, crs)
        props = {
            name: from_sqlite(layer, name, list(values))
            for name, values in zip(names, columns[2:], strict=True)
        }
        return FeatureRows(list(columns[0]), geoms, props, crs)

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
        """Store frames, one after the other, as one new version in one transaction.

        An exception raised while ``batches`` is consumed (a refused upload, a
        killed process) rolls everything back: the previous version stays current.
        """
        with self._transaction() as conn:
            previous = current_table(conn, layer.id)
            source = previous if mode == "append" else None
            with_json = self._with_json(conn, source)
            table, version = next_table_name(conn, layer.id, "?")
            create_table(conn, layer, table, with_json=with_json)
            if source is not None:
                copy_version(conn, source, table, with_json=with_json)
            for frame in batches:
                check_columns(layer, [c for c in frame.columns if c != frame.geometry.name])
                insert_rows(conn, layer, table, frame, keep_ids=False, with_json=with_json)
            return publish(
                conn, layer, table, version, author=author, action=action, message=message
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
        """Apply feature edits as a new version (copy on write).

        Rows of ``upserts`` whose index is a feature id replace that feature; rows
        with a missing (NaN/negative) index are inserted with new ids, returned.
        With ``expected_version``, the edit is refused (PreconditionFailed) if
        another version became current in the meantime.
        """
        with self._transaction() as conn:
            current = current_table(conn, layer.id)
            if current is None:
                raise LayerNotFound(f"collection {layer.id!r} has no data to edit")
            check_expected_version(conn, layer.id, expected_version, "?")
            with_json = self._with_json(conn, current)
            table, version = next_table_name(conn, layer.id, "?")
            create_table(conn, layer, table, with_json=with_json)
            copy_version(conn, current, table, with_json=with_json)
            (next_id,) = conn.execute(f'SELECT coalesce(max(fid), 0) + 1 FROM "{table}"').fetchone()
            missing = missing_ids(conn, table, [*deletes, *_existing_ids(upserts)])
            if missing:
                raise FeatureNotFound(f"collection {layer.id!r} has no feature(s) {missing}")
            if deletes:
                delete_rows(conn, table, deletes, with_json=with_json)
            new_ids: list[int] = []
            if upserts is not None and len(upserts):
                new_ids = insert_rows(
                    conn, layer, table, upserts, keep_ids=True, with_json=with_json, next_id=next_id
                )
            info = publish(
                conn, layer, table, version, author=author, action="edit", message=message
            )
        return info, new_ids

    def _with_json(self, conn: sqlite3.Connection, source: str | None) -> bool:
        """Tell whether a new version keeps stored GeoJSON: only when the setting asks
        for it and the version table it starts from (if any) has its texts."""
        return self.prebuilt_geojson and (source is None or has_json(conn, source))

    def rollback(self, layer: LayerDef, version: int, *, author: str = "system") -> VersionInfo:
        """Make a new current version that reuses the immutable table of ``version``."""
        target = self._version(layer.id, version)
        with self._transaction() as conn:
            _, new_version = next_table_name(conn, layer.id, "?")
            return record_version(
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
        """Remove a layer, its versions and their tables."""
        with self._transaction() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT table_name FROM gs_versions WHERE layer = ?",
                    (layer_id,),
                )
            ]
            for table in tables:
                drop_table(conn, table)
            conn.execute("DELETE FROM gs_versions WHERE layer = ?", (layer_id,))
            conn.execute("DELETE FROM gs_layers WHERE layer = ?", (layer_id,))


def _existing_ids(frame: gpd.GeoDataFrame | None) -> list[int]:
    return [i for i in ids_from_index(frame) if i is not None]


class _Held:
    """Holds one thread's connection; closing it when the thread's storage is dropped."""

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        weakref.finalize(self, conn.close)
