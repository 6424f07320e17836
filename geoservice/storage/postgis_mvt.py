"""Vector tiles encoded by PostGIS (``ST_AsMVTGeom`` + ``ST_AsMVT``), one round trip.

Mixed into :class:`~geoservice.storage.postgis.PostGISStore`; it gives the store
the :class:`~geoservice.storage.capabilities.SupportsMVT` capability. The SQL does
what ``tiles/vector.py`` does in Python, in the same order: bbox filter (GiST
index) on the buffered tile, the budget (largest features first), transform to
the tile CRS, simplification in tile units, clip and quantise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoservice.catalog.models import LayerDef
from geoservice.crs import resolve_crs
from geoservice.storage.capabilities import EncodedTile, TileQuery
from geoservice.storage.schema import GEOMETRY_COLUMN

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

PRIORITY = {"polygon": "ST_Area({g}) DESC, ", "line": "ST_Length({g}) DESC, "}


class PostGISTiles:
    """The ``mvt`` method of the PostGIS store."""

    pool: ConnectionPool
    _tables: dict[tuple[str, int], str]

    def _t(self, table: str) -> str:  # provided by the store
        raise NotImplementedError

    def mvt(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """Return one layer of a vector tile, encoded by the database."""
        with self.pool.connection() as conn:
            table = self._tile_table(conn, layer.id, query.version)
            text = tile_sql(layer, self._t(table), query)
            params = (*query.bounds, *query.buffered_bounds, query.max_features)
            data, count = conn.execute(text, params, prepare=True).fetchone()
        return EncodedTile(bytes(data or b""), int(count))

    def _tile_table(self, conn, layer_id: str, version: int | None) -> str:
        # A version's table never changes, so (layer, version) -> table is cached.
        tables = self.__dict__.setdefault("_tables", {})
        if version is not None and (layer_id, version) in tables:
            return tables[(layer_id, version)]
        info = self._version(conn, layer_id, version)  # type: ignore[attr-defined]
        tables[(layer_id, info.version)] = info.table
        return info.table


def tile_sql(layer: LayerDef, table: str, query: TileQuery) -> str:
    """Return the SQL of one tile layer; parameters: bounds, buffered bounds, limit."""
    storage = resolve_crs(layer.storage_crs).srid
    target = resolve_crs(query.crs).srid
    g = GEOMETRY_COLUMN
    geom = g if storage == target else f"ST_Transform({g}, {target})"
    if query.simplify > 0:
        tolerance = query.simplify * query.unit
        geom = f"ST_Simplify({geom}, {tolerance!r}, true)"
    env = f"ST_MakeEnvelope(%s, %s, %s, %s, {target})"
    search = f"ST_MakeEnvelope(%s, %s, %s, %s, {target})"
    if storage != target:
        span = query.buffered_bounds[2] - query.buffered_bounds[0]
        search = f"ST_Transform(ST_Segmentize({search}, {span / 8!r}), {storage})"
    order = PRIORITY.get(layer.geometry_type.family, "").format(g=g)
    columns = "".join(f', "{a}"' for a in query.attributes)
    name = layer.id.replace("'", "''")
    return (
        f"SELECT ST_AsMVT(t, '{name}', {query.extent}, 'geom', 'fid'), count(*) FROM ("
        f"SELECT fid{columns}, "
        f"ST_AsMVTGeom({geom}, {env}, {query.extent}, {query.buffer}, true) AS geom "
        f"FROM {table} WHERE {g} && {search} ORDER BY {order}fid LIMIT %s"
        ") t WHERE t.geom IS NOT NULL"
    )
