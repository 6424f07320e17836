"""What the tile routes need, built once in the app's lifespan.

:class:`TileRuntime` holds the vector tile service, the PNG renderers and the
cache they share. Graduated style classes computed from data are kept per layer
version (:class:`ClassCache`), so every PNG tile and style document of a version
uses the same breaks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from geoservice.catalog.models import ClassBreak, LayerDef, StyleDef
from geoservice.settings import Settings
from geoservice.storage.base import FeatureStore
from geoservice.storage.capabilities import SupportsAsyncMVT
from geoservice.styling import resolve_classes
from geoservice.tiles.cache import TileCache, cached
from geoservice.tiles.memory_source import TileSources
from geoservice.tiles.raster import RasterLayer, RasterRenderer
from geoservice.tiles.render import render_png
from geoservice.tiles.service import LayerPart, TileResult, VectorTileService, digest
from geoservice.tiles.tms import TileAddress
from geoservice.tiles.versions import VersionCache

PNG_MEDIA = "image/png"


class ClassCache:
    """Style classes per (layer, version); computed breaks read the whole layer once."""

    def __init__(self, store: FeatureStore) -> None:
        self.store = store
        self._known: dict[tuple[str, int], list[ClassBreak]] = {}
        self._lock = threading.Lock()

    def classes(self, layer: LayerDef, style: StyleDef, version: int) -> list[ClassBreak]:
        """Return the classes of ``style`` for this version of ``layer``."""
        classify = style.classify
        if classify is None or classify.type == "categorical" or classify.scheme == "fixed":
            return resolve_classes(style)
        key = (layer.id, version)
        with self._lock:
            if key not in self._known:
                frame = self.store.read_frame(layer, version=version, columns=[classify.property])
                self._known[key] = resolve_classes(style, frame[classify.property].tolist())
            return self._known[key]


@dataclass(frozen=True)
class PreparedTile:
    """A PNG tile whose ETag is known before it is rendered (for 304s)."""

    runtime: TileRuntime
    key: str
    versions: tuple[int, ...]
    produce: Callable[[], bytes]

    @property
    def etag(self) -> str:
        """Return the strong ETag of the tile."""
        return f'"{digest(self.key)[:24]}"'

    def result(self) -> TileResult:
        """Render the tile (or take it from the cache)."""
        body = cached(self.runtime.cache, self.key, self.produce)
        return TileResult(body, PNG_MEDIA, self.etag, False, self.versions)


@dataclass
class TileRuntime:
    """Tile services sharing one cache."""

    settings: Settings
    vector: VectorTileService
    classes: ClassCache
    rasters: RasterRenderer
    cache: TileCache | None

    def map_tile(self, layer: LayerDef, style: StyleDef, address: TileAddress) -> PreparedTile:
        """Prepare a PNG tile of a vector layer drawn with its style."""
        part = LayerPart(layer, _render_attributes(layer, style))
        version = self.vector.versions.current(layer.id)
        classes = self.classes.classes(layer, style, version)
        tag = digest(style.model_dump_json(), *(c.model_dump_json() for c in classes))
        key = f"{layer.id}/v{version}/{address.tms}/{address.z}/{address.row}/{address.col}"
        key += f"-{tag[:10]}.png"

        def produce() -> bytes:
            mvt = self.vector.tile([part], address, gzip_ok=False).body
            if not mvt:
                return b""
            return render_png(mvt, layer.id, style, classes, extent=self.settings.tiles.extent)

        return PreparedTile(self, key, (version,), produce)

    def raster_tile(self, raster: RasterLayer, address: TileAddress) -> PreparedTile:
        """Prepare a PNG tile of a COG drawn with its colormap and rescale."""
        key = f"rasters/{raster.id}/{raster.version}/{address}.png"
        return PreparedTile(self, key, (), lambda: self.rasters.render(raster, address))

    async def aclose(self) -> None:
        """Stop background work (version notifications) and the store's async pool."""
        self.vector.versions.close()
        if isinstance(self.vector.store, SupportsAsyncMVT):
            await self.vector.store.aclose_tiles()


def build_tile_runtime(settings: Settings, store: FeatureStore) -> TileRuntime:
    """Build the tile services over ``store`` as ``settings`` say."""
    tiles = settings.tiles
    cache = None
    if tiles.cache:
        cache = TileCache(settings.tile_cache_dir, tiles.cache_max_bytes, tiles.memory_cache_bytes)
    versions = VersionCache(store, tiles.version_ttl_s, tiles.version_backstop_s)
    return TileRuntime(
        settings=settings,
        vector=VectorTileService(
            store, tiles, cache, versions, TileSources(store, tiles.memory_source_features)
        ),
        classes=ClassCache(store),
        rasters=RasterRenderer(),
        cache=cache,
    )


def _render_attributes(layer: LayerDef, style: StyleDef) -> tuple[str, ...]:
    wanted = [style.classify.property] if style.classify else []
    if layer.attribute("geometry_quality"):
        wanted.append("geometry_quality")
    return tuple(dict.fromkeys(wanted))
