"""Optional store capabilities: what a backend can do better than the generic path.

``tiles/`` asks ``isinstance(store, SupportsMVT)``; a store without the capability
gets its tiles from the in-process encoder (``tiles/vector.py``), fed by
``store.query``. Both paths take the same :class:`TileQuery`, so they apply the
same clip, buffer, simplification and feature budget, and their tiles decode to
the same features.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from geoservice.catalog.models import LayerDef
from geoservice.features import BBox

SIMPLIFY_MIN_POINTS = 16
"""Geometries with at most this many vertices (squares, short lines) are not simplified."""


@dataclass(frozen=True)
class TileQuery:
    """One layer of one vector tile, independent of any tile-matrix-set library.

    Parameters
    ----------
    bounds : tuple of float
        The tile's extent in ``crs`` (GIS axis order: minx, miny, maxx, maxy).
    crs : str
        The tile matrix set's CRS (``EPSG:3857``, ``OGC:CRS84``...).
    attributes : sequence of str
        Attributes written to the tile, in this order.
    extent : int
        Tile coordinate space (4096 by MVT convention).
    buffer : int
        Margin in tile units kept around the tile so strokes join across tiles.
    simplify : float
        Douglas-Peucker tolerance in tile units (0 disables); it scales with the
        zoom level because a tile unit does.
    max_features : int
        Feature budget: the largest features (area, then length) are kept first.
    version : int or None
        Layer version to read (None: the current one).
    """

    bounds: BBox
    crs: str
    attributes: Sequence[str]
    extent: int = 4096
    buffer: int = 64
    simplify: float = 1.0
    max_features: int = 20_000
    version: int | None = None

    @property
    def unit(self) -> float:
        """Return the size of one tile unit in ``crs`` units."""
        return (self.bounds[2] - self.bounds[0]) / self.extent

    @property
    def buffered_bounds(self) -> BBox:
        """Return the tile bounds grown by the buffer."""
        margin = self.buffer * self.unit
        x0, y0, x1, y1 = self.bounds
        return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


@dataclass(frozen=True)
class EncodedTile:
    """A single-layer MVT (uncompressed) and how many features were handed to the
    encoder (the tile budget's measure; a few may clip to nothing)."""

    data: bytes
    features: int


@runtime_checkable
class SupportsMVT(Protocol):
    """A store that encodes vector tiles itself (PostGIS: ``ST_AsMVT``)."""

    def mvt(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """Return one layer of a vector tile, named after the layer id."""
        ...


@runtime_checkable
class SupportsAsyncMVT(SupportsMVT, Protocol):
    """A store that encodes vector tiles without leaving the event loop (PostGIS).

    The store owns an asyncio connection pool opened on first use; the tile
    services close it with :meth:`aclose_tiles` when the app stops.
    """

    async def amvt(self, layer: LayerDef, query: TileQuery) -> EncodedTile:
        """Return one layer of a vector tile; ``query.version`` must be set."""
        ...

    async def aclose_tiles(self) -> None:
        """Close the asyncio pool of :meth:`amvt`, if it was opened."""
        ...


class VersionWatch(Protocol):
    """A running subscription to version changes (see :class:`SupportsVersionWatch`)."""

    @property
    def alive(self) -> bool:
        """Tell whether notifications are arriving."""
        ...

    def stop(self) -> None:
        """Stop listening."""
        ...


@runtime_checkable
class SupportsVersionWatch(Protocol):
    """A store that pushes current-version changes (PostGIS: LISTEN/NOTIFY).

    Stores without it (GeoPackage) are asked for a layer's version instead,
    trusted for ``tiles.version_ttl_s``.
    """

    def watch_versions(
        self, on_change: Callable[[str, int], None], on_reset: Callable[[], None]
    ) -> VersionWatch:
        """Call ``on_change(layer, version)`` on every change; ``on_reset`` if it may
        have missed some."""
        ...


@runtime_checkable
class SupportsChangeToken(Protocol):
    """A store that tells, without a query, whether anything was written since.

    GeoPackage: the SQLite write-ahead log's shared index counts every commit, by
    any process. A version read together with a token stays current while the
    token is unchanged, so hot tiles are answered without asking the store.
    """

    def change_token(self) -> Hashable:
        """Return a value that differs after any committed write (cheap: no SQL)."""
        ...
