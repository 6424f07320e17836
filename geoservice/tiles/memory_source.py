"""Layer versions held in memory, ready for tiles: the embedded store's fast path.

A GeoPackage tile used to read its features (SQLite, WKB decoding, Python rows),
reproject them and normalise their values on every request: two thirds of the
time of a dense tile. A layer version never changes, so the first tile of a
version reads the whole layer once and keeps it as a tile source: geometries in
the tile matrix set's CRS, an STRtree over them, each feature's rank in the
feature budget (by size in the storage CRS, then id, as ``ST_AsMVT`` orders in
PostGIS, so both stores keep the same features) and attribute values already
factorized and encoded. A tile is then an index query, a slice and the encoder.

Sources are bounded by their total feature count (``tiles.memory_source_features``;
a layer above it keeps the per-tile read), least recently used first out, and a
new version of a layer pushes out its older ones.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geoservice.catalog.models import LayerDef
from geoservice.crs import reproject_geometries
from geoservice.encoding.mvt import (
    POLYGON,
    FactorizedColumn,
    Segments,
    encode_streams,
    factorize_column,
    geometry_streams,
)
from geoservice.storage.base import FeatureStore
from geoservice.storage.capabilities import EncodedTile, TileQuery
from geoservice.tiles.flat_rings import FlatRings, flat_rings, flat_streams
from geoservice.tiles.vector import budget_order, encode_mvt, plain_value, to_tile_units

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TileSource:
    """One layer version in one CRS with every attribute (a tile takes those it asks for)."""

    geometries: np.ndarray  # shapely geometries in the tile CRS
    tree: shapely.STRtree
    ids: np.ndarray
    rank: np.ndarray  # position of each feature in the budget order (0 first)
    columns: dict[str, FactorizedColumn]  # values as codes into encoded value fields
    flat: FlatRings | None = None  # simple polygons, for the flat path

    @property
    def size(self) -> int:
        """Return the number of features held."""
        return len(self.ids)

    def candidates(self, query: TileQuery) -> int:
        """Return how many features the buffered tile of ``query`` touches (before the budget)."""
        return len(self.tree.query(shapely.box(*query.buffered_bounds)))

    def encode(self, name: str, query: TileQuery) -> EncodedTile:
        """Encode the tile ``query`` asks for (its bounds are in this source's CRS)."""
        hits = self.tree.query(shapely.box(*query.buffered_bounds))
        if not len(hits):
            return EncodedTile(b"", 0)
        hits = hits[np.argsort(self.rank[hits], kind="stable")][: query.max_features]
        props = {name: self.columns[name].take(hits) for name in query.attributes}
        if self.flat is None:
            return encode_mvt(name, self.ids[hits], self.geometries[hits], props, query, plain=True)
        fast, fast_streams = flat_streams(self.flat, hits, query)
        family = np.full(len(hits), POLYGON, dtype=np.int64)
        streams = Segments.empty(len(hits)).put(np.flatnonzero(fast), fast_streams)
        slow = np.flatnonzero(~fast)
        if len(slow):
            slow_family, slow_streams = geometry_streams(
                to_tile_units(self.geometries[hits[slow]], query)
            )
            family[slow] = slow_family
            streams = streams.put(slow, slow_streams)
        data, count = encode_streams(
            name, self.ids[hits], family, streams, props, extent=query.extent
        )
        return EncodedTile(data, count)


def build_source(
    store: FeatureStore, layer: LayerDef, crs: str, attributes: Sequence[str], version: int | None
) -> TileSource:
    """Read a whole layer version once and prepare it for tiles in ``crs``."""
    frame = store.read_frame(layer, version=version, columns=list(attributes))
    stored = np.asarray(frame.geometry.to_numpy(), dtype=object)
    ids = frame.index.to_numpy(dtype="int64")
    order = budget_order(stored, ids, layer.geometry_type.family)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    geometries = np.asarray(reproject_geometries(stored, layer.storage_crs, crs), dtype=object)
    columns = {
        name: factorize_column([plain_value(v) for v in frame[name].tolist()])
        for name in attributes
    }
    flat = flat_rings(geometries) if layer.geometry_type.family == "polygon" else None
    return TileSource(geometries, shapely.STRtree(geometries), ids, rank, columns, flat)


class TileSources:
    """The tile sources of recently tiled layer versions, bounded by feature count."""

    def __init__(self, store: FeatureStore, max_features: int, *, background: bool = True) -> None:
        """``background``: build sources in a thread (tiles are read meanwhile);
        False builds on the first tile's request, as tests need."""
        self.store = store
        self.max_features = max_features
        self.background = background
        self._sources: OrderedDict[tuple, TileSource] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self._building: tuple | None = None  # the key being built: one build at a time
        self._skipped: set[tuple] = set()  # (layer, version): too large, or failed to build

    def get(
        self, layer: LayerDef, query: TileQuery, feature_count: Callable[[], int]
    ) -> TileSource | None:
        """Return the source of ``query``'s layer version, building it on first use;
        None when the layer is larger than the budget (tiles read it per tile) or,
        building in the background, until it is built.

        ``feature_count()`` gives the version's size; it is asked once per version.
        """
        source = self.ready(layer, query)
        if source is not None or not self._wanted(layer, query):
            return source
        if self.background:
            self.prepare(layer, query, feature_count)
            return None
        self._count_then_build(_key(layer, query), layer, query, feature_count)
        return self.ready(layer, query)

    def ready(self, layer: LayerDef, query: TileQuery) -> TileSource | None:
        """Return the source of ``query``'s layer version if it is built, without I/O."""
        key = _key(layer, query)
        with self._lock:
            source = self._sources.get(key)
            if source is not None:
                self._sources.move_to_end(key)
            return source

    def prepare(self, layer: LayerDef, query: TileQuery, feature_count: Callable[[], int]) -> None:
        """Start counting and building the source of ``query``'s layer version in a
        thread of its own (one build at a time: each reads a whole layer); tiles are
        made another way meanwhile, so neither the first tiles after an upload nor
        the event loop wait seconds for a whole layer."""
        if self.ready(layer, query) is not None or not self._wanted(layer, query):
            return
        key = _key(layer, query)
        with self._lock:
            if self._building is not None:
                return
            self._building = key

        def run() -> None:
            try:
                self._count_then_build(key, layer, query, feature_count)
            except Exception:  # counting failed: the store reports it on the tile's own read
                self._skip(key)

        threading.Thread(target=run, daemon=True, name="tile-source").start()

    def _wanted(self, layer: LayerDef, query: TileQuery) -> bool:
        """Tell whether a source of this layer version may be built at all."""
        with self._lock:
            return self.max_features > 0 and (layer.id, query.version) not in self._skipped

    def _count_then_build(
        self, key: tuple, layer: LayerDef, query: TileQuery, feature_count: Callable[[], int]
    ) -> None:
        try:
            if feature_count() > self.max_features:
                self._skip(key)
                return
            try:
                source = build_source(
                    self.store, layer, query.crs, layer.attribute_names, query.version
                )
            except Exception:  # the per-tile read stays for this version; it reports the fault
                log.warning("no in-memory tile source for %s v%s", key[0], key[1], exc_info=True)
                self._skip(key)
                return
            self._keep(key, source)
        finally:
            with self._lock:
                if self._building == key:
                    self._building = None

    def _skip(self, key: tuple) -> None:
        """Serve this layer version by per-tile reads from now on."""
        with self._lock:
            if len(self._skipped) > 10_000:
                self._skipped.clear()
            self._skipped.add(key[:2])

    def _keep(self, key: tuple, source: TileSource) -> None:
        with self._lock:
            for old in [k for k in self._sources if k[0] == key[0] and k[1] != key[1]]:
                self._held -= self._sources.pop(old).size  # an older version of the layer
            self._sources[key] = source
            self._held += source.size
            while self._held > self.max_features and len(self._sources) > 1:
                _, dropped = self._sources.popitem(last=False)
                self._held -= dropped.size

    def clear(self) -> None:
        """Forget every source."""
        with self._lock:
            self._sources.clear()
            self._held = 0


def _key(layer: LayerDef, query: TileQuery) -> tuple:
    return (layer.id, query.version, query.crs)
