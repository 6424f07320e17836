"""Vector tiles for one or several layers: version, cache, budget, gzip, ETag.

Framework-free: routes turn a :class:`TileResult` into an HTTP response. Each
layer of a tile is produced by the store when it can (``SupportsMVT``: PostGIS
``ST_AsMVT``) and by ``tiles/vector.py`` otherwise, then cached (gzipped on
disk, both encodings in memory) under a key holding the layer version, so an
upload or edit invalidates it. A client that takes no gzip gets the raw bytes of
a fresh tile, never a zipped-then-unzipped copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from geoservice.catalog.models import LayerDef
from geoservice.errors import TileNotFound
from geoservice.settings import TileSettings
from geoservice.storage.base import FeatureStore
from geoservice.storage.capabilities import EncodedTile, SupportsAsyncMVT, SupportsMVT, TileQuery
from geoservice.tiles.cache import FAST_GZIP_LEVEL, TileBytes, TileCache, cached_tile, gzip_tile
from geoservice.tiles.memory_source import TileSource, TileSources
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs
from geoservice.tiles.vector import tile_from_store
from geoservice.tiles.versions import VersionCache

MVT_MEDIA = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class TileResult:
    """A tile ready to send: ``body`` is gzip-compressed when ``gzipped``."""

    body: bytes
    media_type: str
    etag: str
    gzipped: bool
    versions: tuple[int, ...]

    @property
    def empty(self) -> bool:
        """Tell whether the tile holds no data (sent as 204)."""
        return not self.body


@dataclass(frozen=True)
class TilePlan:
    """What identifies a tile before it is produced."""

    keys: tuple[str, ...]
    versions: tuple[int, ...]
    etag: str


@dataclass(frozen=True)
class LayerPart:
    """A layer of a (possibly multi-layer) tile, with its attributes."""

    layer: LayerDef
    attributes: tuple[str, ...]


class VectorTileService:
    """Produces and caches vector tiles from a store."""

    def __init__(
        self,
        store: FeatureStore,
        settings: TileSettings,
        cache: TileCache | None,
        versions: VersionCache,
        sources: TileSources | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.settings = settings
        self.cache = cache
        self.versions = versions
        self._bytes_per_feature: dict[tuple[str, int | None], float] = {}
        self._in_database = isinstance(store, SupportsMVT)
        self._async_database = isinstance(store, SupportsAsyncMVT)
        # Compressed once and served many times when cached; cheaply otherwise.
        self._gzip_level = 6 if cache is not None else FAST_GZIP_LEVEL
        self._settings_tag = digest(
            settings.extent,
            settings.buffer,
            settings.simplify_units,
            settings.max_features_per_tile,
            settings.max_tile_bytes,
        )[:6]

    def plan(self, parts: Sequence[LayerPart], address: TileAddress) -> TilePlan:
        """Return cache keys, layer versions and the ETag of a tile, without producing it."""
        versions = tuple(self.versions.current(p.layer.id) for p in parts)
        return self._plan(parts, address, versions)

    def quick_plan(self, parts: Sequence[LayerPart], address: TileAddress) -> TilePlan | None:
        """Return the plan if every layer version is known without I/O, else None."""
        versions = tuple(self.versions.peek(p.layer.id) for p in parts)
        if None in versions:
            return None
        return self._plan(parts, address, versions)

    def memory_tile(
        self, parts: Sequence[LayerPart], address: TileAddress, *, gzip_ok: bool, plan: TilePlan
    ) -> TileResult | None:
        """Return a single-layer tile from the in-memory cache (no I/O), or None."""
        if self.cache is None or len(parts) != 1:
            return None
        if not _in_zoom_range(parts[0].layer, address.z):
            return _result([], plan, gzip_ok=gzip_ok)
        hit = self.cache.memory.get(plan.keys[0])
        return _result([hit], plan, gzip_ok=gzip_ok) if isinstance(hit, TileBytes) else None

    def _plan(self, parts, address: TileAddress, versions: tuple[int, ...]) -> TilePlan:
        keys = tuple(self._key(p, address, v) for p, v in zip(parts, versions, strict=True))
        return TilePlan(keys, versions, '"' + digest(*keys)[:24] + '"')

    def tile(
        self,
        parts: Sequence[LayerPart],
        address: TileAddress,
        *,
        gzip_ok: bool,
        plan: TilePlan | None = None,
    ) -> TileResult:
        """Return the tile of ``parts`` at ``address`` (layers outside their zooms skipped)."""
        plan = plan or self.plan(parts, address)
        bodies = [
            self._cached_layer(part, address, version, key)
            for part, version, key in zip(parts, plan.versions, plan.keys, strict=True)
            if _in_zoom_range(part.layer, address.z)
        ]
        return _result(bodies, plan, gzip_ok=gzip_ok)

    def produce(
        self, layer: LayerDef, query: TileQuery, source: TileSource | None = None
    ) -> EncodedTile:
        """Encode one layer, shrinking the feature budget until the size budget holds.

        The bytes per feature of the first over-budget tile of a layer version is
        remembered, so later dense tiles are asked for a fitting number of
        features at once instead of being encoded twice. ``source``: the in-memory
        source the caller already chose.
        """
        encode = self._encoder(layer, query, source)
        limit = self._first_limit(layer, query)
        for _ in range(4):
            tile = encode(replace(query, max_features=limit))
            limit = self._next_limit(layer, query, tile, limit)
            if limit is None:
                break
        return tile

    async def aproduce(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """:meth:`produce` in the event loop, for stores with ``amvt``."""
        limit = self._first_limit(layer, query)
        for _ in range(4):
            tile = await self.store.amvt(layer, replace(query, max_features=limit))
            limit = self._next_limit(layer, query, tile, limit)
            if limit is None:
                break
        return tile

    async def loop_tile(
        self, parts: Sequence[LayerPart], address: TileAddress, *, gzip_ok: bool, plan: TilePlan
    ) -> TileResult | None:
        """Return a single-layer tile made in the event loop, or None (the thread pool's).

        How is decided once per tile, from what is in memory. A tile of a layer
        held in memory with at most ``inline_tile_features`` candidates is encoded
        here: a few milliseconds of array work with no I/O, cheaper than the hop to
        a worker thread and the GIL's hand-offs between threads under load; a
        denser one goes to the thread pool. Any other tile of a store with ``amvt``
        (PostGIS: sparse tiles, layers not in memory yet) is awaited from the
        database. Cache files are small, so they are read and written in the loop;
        eviction runs in a background thread.
        """
        if len(parts) != 1:
            return None
        (part,), (version,), (key,) = parts, plan.versions, plan.keys
        if not _in_zoom_range(part.layer, address.z):
            return _result([], plan, gzip_ok=gzip_ok) if self._async_database else None
        query = self.query_for(part, address, version)
        found = self._memory_source(part.layer, query, build=False)
        if found is not None:
            source, candidates = found
            limit = self.settings.inline_tile_features
            if limit <= 0 or candidates > limit:
                return None
            packed = cached_tile(
                self.cache, key, lambda: self._pack(self.produce(part.layer, query, source).data)
            )
            return _result([packed], plan, gzip_ok=gzip_ok)
        if not self._async_database:
            return None
        if self.sources is not None:  # a no-op once built (or too large to hold)
            self.sources.prepare(part.layer, query, lambda: self._feature_count(part.layer, query))
        packed = self.cache.get_tile(key) if self.cache is not None else None
        if packed is None:
            tile = await self.aproduce(part.layer, query)
            packed = self._pack(tile.data)
            if self.cache is not None:
                self.cache.put_tile(key, packed)
        return _result([packed], plan, gzip_ok=gzip_ok)

    def _first_limit(self, layer: LayerDef, query: TileQuery) -> int:
        learned = self._bytes_per_feature.get((layer.id, query.version))
        if not learned:
            return query.max_features
        return min(query.max_features, max(1, int(self.settings.max_tile_bytes / learned * 0.9)))

    def _next_limit(self, layer, query, tile: EncodedTile, limit: int) -> int | None:
        budget = self.settings.max_tile_bytes
        if len(tile.data) <= budget or tile.features <= 1:
            return None
        self._bytes_per_feature.setdefault(
            (layer.id, query.version), len(tile.data) / tile.features
        )
        return max(1, int(min(limit, tile.features) * budget / len(tile.data) * 0.9))

    def _pack(self, data: bytes) -> TileBytes:
        """Wrap an encoded layer; it is gzipped only when cached or asked for gzipped."""
        return TileBytes(raw=data, level=self._gzip_level)

    def query_for(self, part: LayerPart, address: TileAddress, version: int) -> TileQuery:
        """Return the store-level query of one layer of a tile."""
        s = self.settings
        return TileQuery(
            bounds=tile_bounds(address),
            crs=tms_crs(address.tms),
            attributes=part.attributes,
            extent=s.extent,
            buffer=s.buffer,
            simplify=s.simplify_units,
            max_features=s.max_features_per_tile,
            version=version,
        )

    def _encoder(
        self, layer: LayerDef, query: TileQuery, source: TileSource | None
    ) -> Callable[[TileQuery], EncodedTile]:
        """Return how this tile is encoded: from the layer held in memory, by the
        database, or from a per-tile read (chosen once for every budget try)."""
        if source is None:
            found = self._memory_source(layer, query, build=True)
            source = found[0] if found is not None else None
        if source is not None:
            return partial(source.encode, layer.id)
        if self._in_database:
            return partial(self.store.mvt, layer)
        return partial(tile_from_store, self.store, layer)

    def _memory_source(
        self, layer: LayerDef, query: TileQuery, *, build: bool
    ) -> tuple[TileSource, int] | None:
        """Return the in-memory source to make this tile from and the tile's
        candidate features, or None.

        ``build``: build a missing source now (worker threads), else take only a
        built one (the event loop). The database makes a sparse tile (at most
        ``database_tile_features`` candidates) with less work in this process
        than the encoder; a dense one the encoder makes faster than ``ST_AsMVT``.
        """
        if self.sources is None:
            return None
        if build:
            source = self.sources.get(layer, query, lambda: self._feature_count(layer, query))
        else:
            source = self.sources.ready(layer, query)
        if source is None:
            return None
        candidates = source.candidates(query)
        if self._in_database and candidates <= self.settings.database_tile_features:
            return None
        return source, candidates

    def _feature_count(self, layer: LayerDef, query: TileQuery) -> int:
        info = self.store.current_version(layer.id)
        if query.version is None or info.version == query.version:
            return info.feature_count
        older = [v for v in self.store.versions(layer.id) if v.version == query.version]
        return older[0].feature_count if older else self.sources.max_features + 1

    def _cached_layer(
        self, part: LayerPart, address: TileAddress, version: int, key: str
    ) -> TileBytes:
        def make() -> TileBytes:
            return self._pack(self.produce(part.layer, self.query_for(part, address, version)).data)

        return cached_tile(self.cache, key, make)

    def _key(self, part: LayerPart, address: TileAddress, version: int) -> str:
        params = digest(self._settings_tag, *part.attributes)[:10]
        return (
            f"{part.layer.id}/v{version}/{address.tms}/{address.z}/"
            f"{address.row}/{address.col}-{params}.mvt.gz"
        )


def check_zoom(layer: LayerDef, address: TileAddress) -> None:
    """Raise TileNotFound when a single-layer tile is outside the layer's zooms."""
    if not _in_zoom_range(layer, address.z):
        raise TileNotFound(
            f"collection {layer.id!r} has tiles at zoom {layer.tiles.min_zoom}-"
            f"{layer.tiles.max_zoom} only"
        )


def _in_zoom_range(layer: LayerDef, z: int) -> bool:
    return layer.tiles.min_zoom <= z <= layer.tiles.max_zoom


def _result(bodies: list[TileBytes], plan: TilePlan, *, gzip_ok: bool) -> TileResult:
    """Return the tile of ``plan`` holding ``bodies``, in the encoding the client takes."""
    body = _join(bodies, gzip_ok=gzip_ok)
    return TileResult(body, MVT_MEDIA, plan.etag, gzip_ok and bool(body), plan.versions)


def _join(bodies: list[TileBytes], *, gzip_ok: bool) -> bytes:
    """Return the tile body of one or several layers in the encoding the client takes."""
    present = [b for b in bodies if b]
    if not present:
        return b""
    if len(present) == 1:
        return present[0].gzipped() if gzip_ok else present[0].identity()
    # Protobuf messages concatenate: the layers of a tile are repeated fields.
    raw = b"".join(b.identity() for b in present)
    return gzip_tile(raw, FAST_GZIP_LEVEL) if gzip_ok else raw


def digest(*parts: object) -> str:
    """Return a hex digest of parts' text, for cache keys and ETags."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
