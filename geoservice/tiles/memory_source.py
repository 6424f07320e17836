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
    path_streams,
)
from geoservice.storage.base import FeatureStore
from geoservice.storage.capabilities import EncodedTile, TileQuery
from geoservice.tiles.vector import (
    budget_order,
    encode_mvt,
    plain_value,
    to_tile_units,
    within_frame,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlatRings:
    """The layer's simple polygons (one ring, 3 or 4 corners: grid cells, most
    parcels) as flat coordinates, wound so that the tile's y flip gives MVT's order.

    Such a polygon needs no simplification (too few vertices), no clipping while
    it is narrower than the tile buffer, and stays valid after rounding while it
    stays strictly convex: its command stream is array arithmetic on these
    coordinates, with no geometry object made per tile.
    """

    member: np.ndarray  # bool per feature
    start: np.ndarray  # per feature: index of its first coordinate (members only)
    count: np.ndarray  # per feature: its coordinates, the closing one included
    coords: np.ndarray  # (n, 2) float64 in the tile CRS
    bounds: np.ndarray  # (features, 4) in the tile CRS


def flat_rings(geometries: np.ndarray) -> FlatRings:
    """Return the flat form of the simple polygons among ``geometries``."""
    n = len(geometries)
    kinds = shapely.get_type_id(geometries)
    polygons = geometries.copy()
    multi = (kinds == 6) & (shapely.get_num_geometries(geometries) == 1)
    polygons[multi] = shapely.get_geometry(geometries[multi], 0)
    single = (kinds == 3) | multi
    corners = shapely.get_num_coordinates(polygons)
    holes = np.zeros(n, dtype=np.int64)
    holes[single] = shapely.get_num_interior_rings(polygons[single])
    member = single & (holes == 0) & (corners >= 4) & (corners <= 5)
    rows = np.flatnonzero(member)
    rings = shapely.get_exterior_ring(shapely.orient_polygons(polygons[rows], exterior_cw=True))
    coords, of = shapely.get_coordinates(rings, return_index=True)
    count = np.zeros(n, dtype=np.int64)
    count[rows] = np.bincount(of, minlength=len(rows))
    start = np.zeros(n, dtype=np.int64)
    start[rows] = np.cumsum(count[rows]) - count[rows]
    return FlatRings(member, start, count, coords, shapely.bounds(geometries))


def flat_streams(
    flat: FlatRings, rows: np.ndarray, query: TileQuery
) -> tuple[np.ndarray, Segments]:
    """Return which of ``rows`` the flat path encodes, and their command streams.

    A row is encoded here when it is a simple polygon that clipping leaves as it
    is (narrower than the buffer, or within the frame: see ``tiles/vector.py``)
    and that is still strictly convex, wound as MVT wants, once its corners are
    rounded to tile units; the others go the general way.
    """
    unit = query.unit
    x0, _, _, y1 = query.bounds
    box_ = flat.bounds[rows]
    with np.errstate(invalid="ignore"):
        left, right = (box_[:, 0] - x0) / unit, (box_[:, 2] - x0) / unit
        top, bottom = (y1 - box_[:, 3]) / unit, (y1 - box_[:, 1]) / unit
        narrow = np.fmax(right - left, bottom - top) <= query.buffer
    framed = within_frame(np.column_stack((left, top, right, bottom)), query)
    candidate = flat.member[rows] & (narrow | framed)
    chosen = rows[candidate]
    count = flat.count[chosen]
    if not len(chosen):
        return candidate, Segments.empty(0)
    first = np.repeat(flat.start[chosen], count)
    rank = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    xy = flat.coords[first + rank]
    # As to_tile_units does it: the same affine, then GEOS's rounding (half up).
    tile = np.column_stack(((xy[:, 0] - x0) / unit, (y1 - xy[:, 1]) / unit))
    tile = np.floor(tile + 0.5).astype(np.int64)
    convex = np.zeros(len(chosen), dtype=bool)
    ends = np.cumsum(count)
    for corners in (3, 4):  # ring sizes without the closing coordinate
        group = np.flatnonzero(count == corners + 1)
        if not len(group):
            continue
        index = (ends[group] - count[group])[:, None] + np.arange(corners)[None, :]
        ring = tile[index]  # (m, corners, 2)
        edge = np.roll(ring, -1, axis=1) - ring
        turn = (
            edge[..., 0] * np.roll(edge, -1, axis=1)[..., 1]
            - edge[..., 1] * np.roll(edge, -1, axis=1)[..., 0]
        )
        convex[group] = (turn > 0).all(axis=1)
    candidate[np.flatnonzero(candidate)[~convex]] = False
    if not convex.any():
        return candidate, Segments.empty(0)
    keep = np.repeat(convex, count)
    path_of = np.repeat(np.arange(len(chosen)), count)[keep]
    kept = int(convex.sum())
    renumber = np.cumsum(convex) - 1
    streams = path_streams(tile[keep], renumber[path_of], np.arange(kept), kept, closed=True)
    return candidate, streams


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

    def _build_later(self, key: tuple, layer: LayerDef, query: TileQuery) -> None:
        """Build in a thread of its own (once per key); tiles are read meanwhile.

        The first tiles after an upload must not wait seconds for a whole layer.
        """
        with self._lock:
            if self._building:  # one build at a time: each reads a whole layer
                return
            self._building[key] = True
        thread = threading.Thread(
            target=self._build, args=(key, layer, query), daemon=True, name="tile-source"
        )
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
