"""Vector tiles encoded by PostGIS (``ST_AsMVTGeom`` + ``ST_AsMVT``), one round trip.

Mixed into :class:`~geoservice.storage.postgis.PostGISStore`; it gives the store
the :class:`~geoservice.storage.capabilities.SupportsMVT` capability. The SQL does
what ``tiles/vector.py`` does in Python, in the same order: bbox filter (GiST
index) on the buffered tile, the budget (largest features first, applied before
any geometry work), transform to the tile CRS, simplification in tile units,
clip and quantise.

A version's table never changes, so for web-mercator tiles the store keeps a
*tile table* per version (``<table>__t3857``): geometries already in EPSG:3857
with their size and span precomputed and a GiST index. It is built in the
background the first time a version is tiled (or by :meth:`prepare_tiles`), and
tiles come from the version table with ``ST_Transform`` until it is ready.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING

from psycopg import OperationalError
from psycopg.errors import UndefinedTable
from psycopg_pool import PoolTimeout

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs
from geoservice.storage.capabilities import SIMPLIFY_MIN_POINTS, EncodedTile, TileQuery
from geoservice.storage.outage import Outage, first_line, lost_connection
from geoservice.storage.postgis_notify import VersionListener, install_trigger
from geoservice.storage.postgis_sql import session_options
from geoservice.storage.schema import GEOMETRY_COLUMN

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)
TILE_SRID = 3857
SIZE = {"polygon": "ST_Area({g})", "line": "ST_Length({g})"}


class PostGISTiles:
    """The ``mvt`` and ``prepare_tiles`` methods of the PostGIS store."""

    pool: ConnectionPool
    schema: str
    outage: Outage
    connect_timeout_s: int

    def mvt(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """Return one layer of a vector tile, encoded by the database."""
        # The store's sessions run without parallel workers, which cost more to
        # start than a tile takes to make (see PostGISStore's session options).
        with self._connection() as conn:
            table = self._tile_table(conn, layer.id, query.version)
            text, params = self._statement(layer, table, query)
            try:
                data, count = conn.execute(text, params, prepare=True).fetchone()
            except UndefinedTable:
                self._forget_tile_table(table)
                text, params = self._statement(layer, table, query, build=False)
                data, count = conn.execute(text, params, prepare=True).fetchone()
        return EncodedTile(bytes(data or b""), int(count))

    async def amvt(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """Return one layer of a vector tile without leaving the event loop.

        ``query.version`` must be set. Uses an asyncio connection pool opened on
        first use in the running loop (close it with :meth:`aclose_tiles`). A lost
        database is a :class:`~geoservice.errors.StoreUnavailable`, as in :meth:`mvt`.
        """
        self.outage.check()
        pool = await self._async_pool()
        try:
            async with pool.connection() as conn:
                return await self._amvt(conn, layer, query)
        except PoolTimeout as exc:
            raise self._pool_timed_out() from exc
        except OperationalError as exc:
            if not lost_connection(exc):
                raise
            self.outage.trip(first_line(exc))
            raise self.outage.error(first_line(exc)) from exc

    async def _amvt(self, conn, layer: LayerDef, query: TileQuery) -> EncodedTile:
        key = (layer.id, query.version)
        table = self._tile_state()["tables"].get(key)
        if table is None:
            row = await (
                await conn.execute(
                    f"SELECT table_name FROM {self._qualified('gs_versions')} "
                    "WHERE layer = %s AND version = %s",
                    key,
                )
            ).fetchone()
            if row is None:
                return self.mvt(layer, query)  # raises the right not-found error
            table = self._tile_state()["tables"].setdefault(key, row[0])
        text, params = self._statement(layer, table, query)
        try:
            cursor = await conn.execute(text, params, prepare=True)
        except UndefinedTable:
            self._forget_tile_table(table)
            text, params = self._statement(layer, table, query, build=False)
            cursor = await conn.execute(text, params, prepare=True)
        data, count = await cursor.fetchone()
        return EncodedTile(bytes(data or b""), int(count))

    def _forget_tile_table(self, table: str) -> bool:
        """Forget the tile table of ``table``, dropped meanwhile; tell if there was one.

        Another worker process drops the tile tables of versions that stopped being
        current; a request of this one planned on the old version then finds the
        tile table gone and is answered from the version table instead. Several
        requests of this process may find it gone at once: each falls back, whether
        or not it was the one to forget the table (only the first one finds it).
        """
        return self._tile_state()["ready"].pop(table, None) is not None

    async def aclose_tiles(self) -> None:
        """Close the asyncio pool of :meth:`amvt`, if it was opened."""
        pool = self.__dict__.pop("_async_tile_pool", None)
        if pool is not None:
            await pool.close()

    async def _async_pool(self):
        pool = self.__dict__.get("_async_tile_pool")
        if pool is not None and self.__dict__.pop("_async_tile_pool_stale", False):
            await pool.drain()  # the database came back: connections made before are dead
        if pool is None:
            from psycopg_pool import AsyncConnectionPool

            pool = AsyncConnectionPool(
                self.pool.conninfo,
                min_size=1,
                max_size=self.pool.max_size,
                kwargs={
                    "autocommit": True,
                    "options": session_options(self.schema),
                    "connect_timeout": self.connect_timeout_s,
                },
                open=False,
                timeout=self.pool.timeout,
                reconnect_timeout=self.pool.reconnect_timeout,
            )
            self.__dict__["_async_tile_pool"] = pool
            await pool.open()
        return pool

    def _statement(
        self, layer: LayerDef, table: str, query: TileQuery, *, build: bool = True
    ) -> tuple[str, tuple]:
        state = self._tile_state()
        target = resolve_crs(query.crs).srid
        tiles_table = state["ready"].get(table) if target == TILE_SRID else None
        if tiles_table is None and target == TILE_SRID and build:
            self._schedule_tile_table(layer, table)
        text = cached_tile_sql(layer, self._qualified(tiles_table or table), query)
        params = (
            *query.bounds,
            query.buffer * query.unit,
            *query.buffered_bounds,
            query.max_features,
        )
        return text, params

    def watch_versions(self, on_change, on_reset) -> VersionListener:
        """Call ``on_change(layer, version)`` whenever a layer's current version changes.

        Installs the notifying trigger on ``gs_layers`` and starts a listener
        thread; see :mod:`geoservice.storage.postgis_notify`.
        """
        with self._connection() as conn:
            install_trigger(conn, self.schema)
        return VersionListener(
            self.pool.conninfo,
            self.schema,
            on_change,
            on_reset,
            max_pause_s=self.outage.interval_s,
            connect_timeout_s=self.connect_timeout_s,
        ).start()

    def prepare_tiles(self, layer: LayerDef, version: int | None = None) -> str:
        """Build the web-mercator tile table of a version now; return its name."""
        with self._connection() as conn:
            table = self._tile_table(conn, layer.id, version)
        return self._build_tile_table(layer, table)

    # -- internals ---------------------------------------------------------------

    def _qualified(self, table: str) -> str:
        return f'"{self.schema}"."{table}"'

    def _tile_state(self) -> dict:
        state = self.__dict__.get("_tiles_state")
        if state is None:
            state = self.__dict__.setdefault(
                "_tiles_state",
                {
                    "tables": {},
                    "ready": {},
                    "building": set(),
                    "threads": [],
                    "lock": threading.Lock(),
                },
            )
        return state

    def _tile_table(self, conn: Connection, layer_id: str, version: int | None) -> str:
        # (layer, version) -> table never changes, so it is looked up once.
        tables = self._tile_state()["tables"]
        if version is not None and (layer_id, version) in tables:
            return tables[(layer_id, version)]
        info = self._version(conn, layer_id, version)  # type: ignore[attr-defined]
        tables[(layer_id, info.version)] = info.table
        return info.table

    def _schedule_tile_table(self, layer: LayerDef, table: str) -> None:
        state = self._tile_state()
        with state["lock"]:
            if table in state["building"]:
                return
            state["building"].add(table)
            thread = threading.Thread(
                target=self._build_quietly, args=(layer, table), daemon=True, name="tile-table"
            )
            # Finished builders are let go: one a version would pile up under uploads.
            state["threads"] = [t for t in state["threads"] if t.is_alive()] + [thread]
        thread.start()

    def wait_for_tile_tables(self, timeout: float = 60.0) -> None:
        """Let tile tables being built finish (before the pool closes under them)."""
        for thread in list(self._tile_state()["threads"]):
            thread.join(timeout)

    def _build_quietly(self, layer: LayerDef, table: str) -> None:
        try:
            self._build_tile_table(layer, table)
        except Exception:  # the fallback path keeps serving; say why it stays slower
            log.exception("could not build the tile table of %s", table)

    def _build_tile_table(self, layer: LayerDef, table: str) -> str:
        state = self._tile_state()
        name = tile_table_name(table)
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"gs-tiles:{name}",))
            exists = conn.execute("SELECT to_regclass(%s)", (self._qualified(name),)).fetchone()
            if exists[0] is None:
                conn.execute(tile_table_sql(layer, self._qualified(table), self._qualified(name)))
                conn.execute(f"CREATE INDEX ON {self._qualified(name)} USING gist (geom)")
                conn.execute(f"ANALYZE {self._qualified(name)}")
            self._drop_stale_tile_tables(conn, layer.id, keep=name)
        state["ready"][table] = name
        return name

    def _drop_stale_tile_tables(self, conn: Connection, layer_id: str, keep: str) -> None:
        # Tile tables are a cache of the current version only; older ones (and
        # those of deleted layers, whose version table is gone) are dropped.
        pattern = layer_id.replace("_", r"\_") + r"\_\_v%\_\_t3857"
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s "
            "AND (tablename LIKE %s OR tablename LIKE 'gs\\_t3857\\_%%')",
            (self.schema, pattern),
        ).fetchall()
        for (stale,) in rows:
            if stale != keep and (
                stale.startswith(f"{layer_id}__v") or not self._base_exists(conn, stale)
            ):
                conn.execute(f"DROP TABLE IF EXISTS {self._qualified(stale)}")
                state = self._tile_state()
                for base, built in list(state["ready"].items()):
                    if built == stale:
                        state["ready"].pop(base, None)

    def _base_exists(self, conn: Connection, tile_table: str) -> bool:
        base = tile_table.removesuffix("__t3857")
        if base == tile_table:  # a hashed name: keep it, its base is unknown
            return True
        found = conn.execute("SELECT to_regclass(%s)", (self._qualified(base),)).fetchone()
        return found[0] is not None


def tile_table_name(table: str) -> str:
    """Return the name of a version table's tile table (at most 63 bytes)."""
    name = f"{table}__t3857"
    if len(name.encode()) > 63:
        name = f"gs_t3857_{hashlib.blake2b(table.encode(), digest_size=12).hexdigest()}"
    return name


def tile_table_sql(layer: LayerDef, table: str, name: str) -> str:
    """Return CREATE TABLE AS for a tile table: 3857 geometry, size, span, points."""
    g = GEOMETRY_COLUMN
    srid = resolve_crs(layer.storage_crs).srid
    geom = g if srid == TILE_SRID else f"ST_Transform({g}, {TILE_SRID})"
    size = SIZE.get(layer.geometry_type.family, "0").format(g=g)  # storage CRS, as in-process
    columns = "".join(f', "{a}"' for a in layer.attribute_names)
    return (
        f"CREATE TABLE {name} AS SELECT fid{columns}, m AS geom, {size} AS gs_size, "
        "greatest(ST_XMax(m) - ST_XMin(m), ST_YMax(m) - ST_YMin(m)) AS gs_span, "
        f"ST_NPoints(m) AS gs_points FROM (SELECT *, {geom} AS m FROM {table}) s ORDER BY fid"
    )


_SQL_CACHE: dict[tuple, str] = {}


def cached_tile_sql(layer: LayerDef, table: str, query: TileQuery) -> str:
    """Return :func:`tile_sql`, built once per layer, table, zoom and options."""
    prepared = table.endswith('__t3857"') or '"gs_t3857_' in table
    key = (
        layer.id,
        layer.storage_crs,
        layer.geometry_type,
        table,
        tuple(query.attributes),
        query.crs,
        query.extent,
        query.buffer,
        query.simplify,
        query.unit,
        prepared,
    )
    text = _SQL_CACHE.get(key)
    if text is None:
        if len(_SQL_CACHE) > 512:
            _SQL_CACHE.clear()
        text = _SQL_CACHE[key] = tile_sql(layer, table, query, prepared=prepared)
    return text


def tile_sql(layer: LayerDef, table: str, query: TileQuery, *, prepared: bool) -> str:
    """Return the SQL of one tile layer.

    Parameters, in order: the tile bounds, the buffer span (features narrower
    than it are not clipped), the buffered bounds, the feature limit.

    The count is ``count(*)``, the rows handed to ``ST_AsMVT`` (the budget's
    measure), not ``count(geom)``: PostgreSQL flattens the subquery, so naming
    ``geom`` in a second aggregate computes every ``ST_AsMVTGeom`` twice, which
    made a z14 tile cost the database 1.7x what it does without.
    """
    target = resolve_crs(query.crs).srid
    search = f"ST_MakeEnvelope(%s, %s, %s, %s, {target})"
    if prepared:
        geom, size, span, points = "geom", "gs_size", "gs_span", "gs_points"
    else:
        storage = resolve_crs(layer.storage_crs).srid
        geom = GEOMETRY_COLUMN if storage == target else f"ST_Transform(geom, {target})"
        size = SIZE.get(layer.geometry_type.family, "").format(g=GEOMETRY_COLUMN)
        span = f"greatest(ST_XMax({geom}) - ST_XMin({geom}), ST_YMax({geom}) - ST_YMin({geom}))"
        points = "ST_NPoints(geom)"
        if storage != target:
            width = query.buffered_bounds[2] - query.buffered_bounds[0]
            search = f"ST_Transform(ST_Segmentize({search}, {width / 8!r}), {storage})"
    attrs = "".join(f', "{a}"' for a in query.attributes)
    shape = "g"
    if query.simplify > 0:
        tolerance = query.simplify * query.unit
        simplified = f"ST_Simplify(g, {tolerance!r}, true)"
        shape = f"CASE WHEN np > {SIMPLIFY_MIN_POINTS} THEN {simplified} ELSE g END"
    name = layer.id.replace("'", "''")
    order = f"{size} DESC, " if size else ""
    return (
        f"SELECT ST_AsMVT(t, '{name}', {query.extent}, 'geom', 'fid'), count(*) FROM ("
        f"SELECT fid{attrs}, ST_AsMVTGeom({shape}, ST_MakeEnvelope(%s, %s, %s, %s, {target}), "
        f"{query.extent}, {query.buffer}, sp > %s) AS geom FROM ("
        f"SELECT fid{attrs}, {geom} AS g, {span} AS sp, {points} AS np "
        f"FROM {table} WHERE {GEOMETRY_COLUMN} && {search} ORDER BY {order}fid LIMIT %s"
        ") c) t"
    )
