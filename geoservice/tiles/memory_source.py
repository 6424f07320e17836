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
        self._building: dict[tuple, object] = {}  # keys being built
        self._skipped: set[tuple] = set()  # (layer, version): too large, or failed to build

    def get(
        self, layer: LayerDef, query: TileQuery, feature_count: Callable[[], int]
    ) -> TileSource | None:
        """Return the source of ``query``'s layer version, building it on first use;
        None when the layer is larger than the budget (tiles read it per tile).

        ``feature_count()`` gives the version's size; it is asked once per version.
        """
        if self.max_features <= 0:
            return None
        key = (layer.id, query.version, query.crs)
        with self._lock:
            source = self._sources.get(key)
            if source is not None:
                self._sources.move_to_end(key)
                return source
            if (layer.id, query.version) in self._skipped:
                return None
        if feature_count() > self.max_features:
            self._skip(key)
            return None
        if self.background:
            self._build_later(key, layer, query)
            return None
        self._build(key, layer, query)
        with self._lock:
            return self._sources.get(key)

    def ready(self, layer: LayerDef, query: TileQuery) -> TileSource | None:
        """Return the source of ``query``'s layer version if it is built, without I/O."""
        key = (layer.id, query.version, query.crs)
        with self._lock:
            source = self._sources.get(key)
            if source is not None:
                self._sources.move_to_end(key)
            return source

    def prepare(self, layer: LayerDef, query: TileQuery, feature_count: Callable[[], int]) -> None:
        """Start building the source of ``query``'s layer version in the background,
        counting its features there too; for callers that must not block (the
        event loop), which meanwhile make their tiles another way."""
        if self.max_features <= 0:
            return
        key = (layer.id, query.version, query.crs)
        with self._lock:
            if key in self._sources or (layer.id, query.version) in self._skipped:
                return

        def count_then_build() -> None:
            try:
                too_large = feature_count() > self.max_features
            except Exception:  # the store reports it on the tile's own read
                too_large = True
            if too_large:
                self._skip(key)
                with self._lock:
                    self._building.pop(key, None)
                return
            self._build(key, layer, query)

        self._build_later(key, layer, query, target=count_then_build)

    def _build_later(
        self, key: tuple, layer: LayerDef, query: TileQuery, target: Callable | None = None
    ) -> None:
        """Build in a thread of its own (once per key); tiles are read meanwhile.

        The first tiles after an upload must not wait seconds for a whole layer.
        """
        with self._lock:
            if self._building:  # one build at a time: each reads a whole layer
                return
            self._building[key] = True
        if target is None:
            thread = threading.Thread(
                target=self._build, args=(key, layer, query), daemon=True, name="tile-source"
            )
        else:
            thread = threading.Thread(target=target, daemon=True, name="tile-source")
        thread.start()

    def _build(self, key: tuple, layer: LayerDef, query: TileQuery) -> None:
        try:
            source = build_source(
                self.store, layer, query.crs, layer.attribute_names, query.version
            )
            self._keep(key, source)
        except Exception:  # the per-tile read stays for this version; it reports the fault
            log.warning("no in-memory tile source for %s v%s", key[0], key[1], exc_info=True)
            self._skip(key)
        finally:
            with self._lock:
                self._building.pop(key, None)

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
