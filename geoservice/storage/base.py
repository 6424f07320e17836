"""The storage contract: one protocol, two implementations (GeoPackage, PostGIS).

Layers are versioned. Every write (upload, edit, rollback) makes a new version;
the data of a version live in an immutable table, and a small metadata table says
which version is current. Switching versions is one short transaction, so a
write that fails or is killed half-way leaves the current version untouched:
readers only ever see a complete table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import geopandas as gpd

from geoservice.catalog.models import LayerDef
from geoservice.features import BBox, FeatureRows

WriteMode = Literal["replace", "append"]


@dataclass(frozen=True)
class SortKey:
    """One ``sortby`` term."""

    name: str
    ascending: bool = True


@dataclass(frozen=True)
class FeatureQuery:
    """What a client asks of a layer; one object rather than many keyword arguments.

    ``bbox`` is expressed in ``bbox_crs`` (GIS axis order, already swapped by the
    API when the client's CRS is latitude-first). ``cql`` is a pygeofilter AST
    whose geometry literals are in ``filter_crs``. Output geometries come back in
    ``crs``, GIS axis order.
    """

    bbox: BBox | None = None
    bbox_crs: str = "OGC:CRS84"
    cql: Any = None
    filter_crs: str = "OGC:CRS84"
    equals: Mapping[str, Any] = field(default_factory=dict)
    properties: Sequence[str] | None = None
    sortby: Sequence[SortKey] = ()
    limit: int | None = 10
    offset: int = 0
    crs: str = "OGC:CRS84"
    count_cap: int | None = 100_000
    version: int | None = None


@dataclass(frozen=True)
class FeaturePage:
    """A page of features; ``number_matched`` is None when counting was skipped."""

    rows: FeatureRows
    number_matched: int | None

    @property
    def number_returned(self) -> int:
        """Return the number of features in this page."""
        return len(self.rows)


@dataclass(frozen=True)
class GeoJSONPage:
    """A page already encoded: ``features`` is the JSON text of the features array."""

    features: bytes
    number_returned: int
    number_matched: int | None
    version: int | None = None


@dataclass(frozen=True)
class VersionInfo:
    """One version of a layer, as recorded in the store's metadata."""

    layer: str
    version: int
    created_at: datetime
    author: str
    action: str
    message: str
    feature_count: int
    bbox: BBox | None
    table: str
    current: bool = False


@dataclass(frozen=True)
class FeatureDiff:
    """What changed between two versions, matched on the layer key (or feature id)."""

    added: list[Any]
    removed: list[Any]
    changed: list[Any]
    key: str


@runtime_checkable
class FeatureStore(Protocol):
    """The storage protocol every backend implements (see tests/storage)."""

    kind: str

    def layer_ids(self) -> list[str]:
        """Return the ids of layers that have a current version."""
        ...

    def has_layer(self, layer_id: str) -> bool:
        """Tell whether a layer has data."""
        ...

    def current_version(self, layer_id: str) -> VersionInfo:
        """Return the current version (raises LayerNotFound if none)."""
        ...

    def missing_attributes(self, layer: LayerDef) -> list[str]:
        """Return the declared attributes the current version has no column for
        (stored before they were declared); raises LayerNotFound if no version."""
        ...

    def versions(self, layer_id: str) -> list[VersionInfo]:
        """Return every version of a layer, oldest first."""
        ...

    def query(self, layer: LayerDef, query: FeatureQuery) -> FeaturePage:
        """Return a page of features matching ``query``."""
        ...

    def query_geojson(self, layer: LayerDef, query: FeatureQuery) -> GeoJSONPage:
        """Return a page of features already encoded as GeoJSON."""
        ...

    def iter_geojson(self, layer: LayerDef, query: FeatureQuery) -> Iterator[bytes]:
        """Yield the GeoJSON features of a whole result, comma-separated chunks."""
        ...

    def get_feature(
        self, layer: LayerDef, fid: int, *, crs: str = ..., version: int | None = None
    ) -> FeatureRows:
        """Return one feature (raises FeatureNotFound)."""
        ...

    def read_frame(
        self,
        layer: LayerDef,
        *,
        version: int | None = None,
        bbox: BBox | None = None,
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return a whole layer (or what a bbox in storage CRS touches) as a frame."""
        ...

    def write(
        self,
        layer: LayerDef,
        frame: gpd.GeoDataFrame,
        *,
        mode: WriteMode = "replace",
        author: str = "system",
        action: str = "write",
        message: str = "",
    ) -> VersionInfo:
        """Store ``frame`` as a new current version, atomically."""
        ...

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
        """Store a stream of frames as one new current version, in one transaction.

        Uploads use it so a large file never sits in memory whole; an exception
        raised by the iterator rolls the whole version back.
        """
        ...

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
        """Apply inserts, replacements and deletions as one new version; return new ids."""
        ...

    def rollback(self, layer: LayerDef, version: int, *, author: str = "system") -> VersionInfo:
        """Make a new current version whose content is that of ``version``."""
        ...

    def delete_layer(self, layer_id: str) -> None:
        """Remove a layer and all its versions."""
        ...

    def bounds(self, layer: LayerDef) -> BBox | None:
        """Return the CRS84 extent of the current version."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def is_filtered(query: FeatureQuery) -> bool:
    """Tell whether anything but paging restricts the features."""
    return query.bbox is not None or query.cql is not None or bool(query.equals)


def known_count(info: VersionInfo, query: FeatureQuery, returned: int) -> int | None:
    """Return ``numberMatched`` when it follows without counting, else None.

    Unfiltered: the version's feature count. A page that came back short (and
    is not past the end) tells the count by itself.
    """
    if not is_filtered(query):
        return info.feature_count
    if query.limit is not None and returned < query.limit and (returned or not query.offset):
        return query.offset + returned
    return None


class StoreDefaults:
    """Protocol methods both stores implement the same way, on top of the others."""

    def write(
        self,
        layer: LayerDef,
        frame: gpd.GeoDataFrame,
        *,
        mode: WriteMode = "replace",
        author: str = "system",
        action: str = "write",
        message: str = "",
    ) -> VersionInfo:
        """Store ``frame`` (in the layer's storage CRS) as a new current version."""
        return self.write_batches(  # type: ignore[attr-defined]
            layer, [frame], mode=mode, author=author, action=action, message=message
        )

    def read_frame(
        self,
        layer: LayerDef,
        *,
        version: int | None = None,
        bbox: BBox | None = None,
        columns: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return a whole layer (optionally what a storage-CRS bbox touches)."""
        query = FeatureQuery(
            bbox=bbox,
            bbox_crs=layer.storage_crs,
            properties=columns,
            limit=None,
            crs=layer.storage_crs,
            count_cap=0,
            version=version,
        )
        return self.query(layer, query).rows.to_frame()  # type: ignore[attr-defined]

    def bounds(self, layer: LayerDef) -> BBox | None:
        """Return the CRS84 extent of the current version."""
        from geoservice.crs import reproject_bbox

        info = self.current_version(layer.id)  # type: ignore[attr-defined]
        if info.bbox is None:
            return None
        return reproject_bbox(info.bbox, layer.storage_crs, "OGC:CRS84")
