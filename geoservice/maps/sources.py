"""What a map draws, read from the catalogue and the store.

A :class:`LayerSource` is one layer's declaration, style, size and, unless it
is drawn from the service's tiles, its features in lon/lat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.models import ClassBreak, LayerDef, LayerKind, StyleDef
from geoservice.catalog.registry import Catalog
from geoservice.crs import union_boxes
from geoservice.features import BBox
from geoservice.maps.i18n import GROUPS
from geoservice.maps.style import layer_classes
from geoservice.storage.base import FeatureQuery, FeatureStore
from geoservice.storage.cql import parse_filter

GEOMETRY_ORDER = {"polygon": 0, "any": 1, "raster": 1, "line": 2, "point": 3}
"""Drawing order: polygons at the bottom, points on top."""


@dataclass(frozen=True)
class LayerSource:
    """One layer ready to be drawn."""

    layer: LayerDef
    style: StyleDef
    count: int
    version: int
    bbox: BBox | None
    frame: gpd.GeoDataFrame | None = None
    classes: list[ClassBreak] = field(default_factory=list)

    @property
    def embedded(self) -> bool:
        """Tell whether the features are in the page (else drawn from tiles)."""
        return self.frame is not None


def planning_layer_ids(
    catalog: Catalog, store: FeatureStore, area: AreaDef | None = None
) -> list[str]:
    """Return every layer with data (of one study area, if given), by kind then id."""
    with_data = set(store.layer_ids())
    kinds = list(GROUPS)
    layers = [
        layer
        for layer in catalog
        if layer.id in with_data and (area is None or layer.area == area.id)
    ]
    layers.sort(key=lambda layer: (kinds.index(layer.kind), layer.id))
    return [layer.id for layer in layers]


def read_sources(
    catalog: Catalog,
    store: FeatureStore,
    layer_ids: Iterable[str],
    *,
    embed_limit: int | None,
) -> list[LayerSource]:
    """Read the layers a map draws, in drawing order (polygons first, points last).

    A layer with more than ``embed_limit`` features is not read (it is drawn
    from tiles); ``None`` reads every layer (a standalone export).
    """
    sources = [_read(catalog, store, layer_id, embed_limit) for layer_id in layer_ids]
    sources.sort(key=lambda s: GEOMETRY_ORDER.get(s.style.geometry, 1))
    return sources


def union_bbox(sources: Sequence[LayerSource]) -> BBox | None:
    """Return the lon/lat extent of the sources."""
    return union_boxes(s.bbox for s in sources)


def study_area(catalog: Catalog, store: FeatureStore, area: AreaDef) -> gpd.GeoDataFrame | None:
    """Return a study area's outline: its boundary layer's features its filter selects."""
    boundary = area.boundary
    if boundary is None or boundary.layer not in catalog or not store.has_layer(boundary.layer):
        return None
    layer = catalog.get(boundary.layer)
    cql = parse_filter(boundary.filter, "cql2-text") if boundary.filter else None
    query = FeatureQuery(cql=cql, limit=None, crs=layer.storage_crs, count_cap=0)
    frame = store.query(layer, query).rows.to_frame()
    return lonlat(frame, layer)


def _read(
    catalog: Catalog, store: FeatureStore, layer_id: str, embed_limit: int | None
) -> LayerSource:
    layer = catalog.get(layer_id)
    style = catalog.style_of(layer)
    info = store.current_version(layer_id)
    bbox = store.bounds(layer)
    classify = style.classify
    if embed_limit is not None and info.feature_count > embed_limit:
        values = None
        if classify is not None and classify.type == "graduated" and classify.scheme != "fixed":
            values = store.read_frame(layer, columns=[classify.property])[classify.property]
        classes = layer_classes(style, None if values is None else values.tolist())
        return LayerSource(layer, style, info.feature_count, info.version, bbox, None, classes)
    frame = lonlat(store.read_frame(layer), layer)
    values = frame[classify.property].tolist() if classify and classify.property in frame else None
    classes = layer_classes(style, values)
    return LayerSource(layer, style, info.feature_count, info.version, bbox, frame, classes)


def lonlat(frame: gpd.GeoDataFrame, layer: LayerDef) -> gpd.GeoDataFrame:
    """Return a layer's frame in lon/lat (EPSG:4326)."""
    if frame.crs is None:
        frame = frame.set_crs(layer.storage_crs)
    return frame.to_crs("EPSG:4326") if frame.crs.to_epsg() != 4326 else frame


def is_analysis(source: LayerSource) -> bool:
    """Tell whether a source is an analysis result."""
    return source.layer.kind == LayerKind.analysis_result
