"""The offline base map and the base map's datum, for every map page of a study area.

:func:`with_context` gives map options the area's offline base map (read from
the store once per page build); :func:`in_datum` moves embedded features into
the online base map's datum (GCJ-02) when it is that. Map pages of every kind
(the one-map, one layer, upload previews, map products) call both.
"""

from __future__ import annotations

import dataclasses

import shapely
import shapely.geometry

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.registry import Catalog
from geoservice.maps.basemaps import GCJ02, shift_to_basemap
from geoservice.maps.builder import MapOptions
from geoservice.maps.context import ContextMap, context_layers, context_map
from geoservice.maps.sources import LayerSource, lonlat, study_area
from geoservice.storage.base import FeatureStore


def area_context(
    catalog: Catalog, store: FeatureStore, area: AreaDef, *, lang: str, datum: str = "wgs84"
) -> ContextMap:
    """Return a study area's offline base map, from its boundary, unit and road layers."""
    with_data = set(store.layer_ids())
    layers = [layer for layer in catalog if layer.area == area.id and layer.id in with_data]
    boundary = area.boundary
    chosen = context_layers(
        layers,
        boundary_id=boundary.layer if boundary else None,
        study_filter=boundary.filter if boundary else None,
    )
    study_codes = _study_keys(catalog, store, area)

    def read(layer):
        return lonlat(store.read_frame(layer), layer)

    def is_study(frame):
        key = chosen.boundary.key if chosen.boundary is not None else None
        if key is None or key not in frame or study_codes is None:
            return [False] * len(frame)
        return frame[key].astype(str).isin(study_codes).to_numpy()

    return context_map(
        chosen,
        read,
        lang=lang,
        is_study=is_study,
        shift=lambda g: shift_to_basemap(g, datum),
    )


def _study_keys(catalog: Catalog, store: FeatureStore, area: AreaDef) -> set[str] | None:
    frame = study_area(catalog, store, area)
    boundary = area.boundary
    if frame is None or boundary is None:
        return None
    key = catalog.get(boundary.layer).key
    return set(frame[key].astype(str)) if key in frame else None


def with_context(
    options: MapOptions, catalog: Catalog, store: FeatureStore, area: AreaDef, **changes
) -> MapOptions:
    """Return ``options`` with the area's offline base map (unless switched off)."""
    if options.show_context and options.context is None:
        changes["context"] = area_context(
            catalog, store, area, lang=options.lang, datum=options.basemap_datum
        )
    return dataclasses.replace(options, **changes)


def in_datum(sources: list[LayerSource], options: MapOptions) -> list[LayerSource]:
    """Return the sources moved into the online base map's datum (GCJ-02), if it is that.

    Tiled layers (no frame) cannot be moved here; the map says so.
    """
    if options.basemap_datum != GCJ02 or options.basemap_url() is None:
        return sources
    out = []
    for source in sources:
        if source.frame is None:
            out.append(source)
            continue
        frame = source.frame.set_geometry(shift_to_basemap(source.frame.geometry.values, GCJ02))
        bbox = tuple(frame.total_bounds.tolist()) if not frame.empty else source.bbox
        out.append(dataclasses.replace(source, frame=frame, bbox=bbox))
    return out


def outline_in_datum(outline: dict | None, options: MapOptions) -> dict | None:
    """Return a GeoJSON outline feature moved into the base map's datum, if needed."""
    if outline is None or options.basemap_datum != GCJ02 or options.basemap_url() is None:
        return outline
    geometry = shift_to_basemap(shapely.geometry.shape(outline["geometry"]), GCJ02)
    return {**outline, "geometry": shapely.geometry.mapping(geometry)}
