"""One layer on a Folium map: embedded GeoJSON, marker clusters, browser tiles or PNG tiles.

* A layer of at most ``large_layer_features`` features is embedded as GeoJSON
  (points as circle markers, clustered when many share a position).
* A larger layer on a served map is drawn from the service's vector tiles
  (``/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}``, MVT, only the class
  attribute and ``geometry_quality``), styled in the browser from the same class
  table (Leaflet.VectorGrid), from the first zoom at which its features are a few
  pixels wide; a click asks the items API. (The PNG map tiles cost ten times
  more per uncached tile; see bench/maps.py.)
* A larger layer in a standalone export is embedded and tiled in the browser
  (Leaflet.VectorGrid), since no server is there to ask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
import shapely
from markupsafe import escape

from geoservice.maps.assets import Assets, localize
from geoservice.maps.drawing import Drawing
from geoservice.maps.elements import (
    ClusterLink,
    ServedVectorTiles,
    SlicedGeoJson,
    TileQuery,
    ZoomHint,
)
from geoservice.maps.i18n import text
from geoservice.maps.popups import QUALITY, embedded_properties
from geoservice.maps.sources import LayerSource
from geoservice.maps.style import class_table

PRECISION = 6
EQUATOR_M_PER_PX = 156_543.03  # WebMercatorQuad zoom 0, 256-pixel tiles
MIN_FEATURE_PX = 4.0
"""Decimal places of embedded lon/lat (about 0.1 m)."""
CLUSTER_OVER = 200


@dataclass(frozen=True)
class LayerOptions:
    """What decides how a layer is drawn."""

    assets: Assets
    service_url: str | None
    large_layer_features: int
    cluster_points_at: int
    lang: str = "zh"
    focus_large: bool = False
    """Zoom in to a tiled layer's first useful zoom at start (a one-layer map)."""


@dataclass(frozen=True)
class DrawnLayer:
    """The element the layer control toggles, and the GeoJSON the name search indexes."""

    element: Any
    searchable: Any = None
    how: str = "geojson"
    group: str | None = None
    """Layer-control group, when not the one of the layer's kind (e.g. not located)."""


def add_layer(
    m, source: LayerSource, drawing: Drawing, options: LayerOptions, *, name: str, show: bool
) -> DrawnLayer:
    """Add one layer to map ``m`` and return what the controls need."""
    large = source.count > options.large_layer_features
    if source.frame is None:
        return _tiled(m, source, drawing, options, name=name, show=show)
    if large:
        return _sliced(m, source, drawing, options, name=name, show=show)
    if source.style.geometry == "point" and _dense(source, options.cluster_points_at):
        return _clustered(m, source, drawing, options, name=name, show=show)
    layer = _geojson(source, drawing, name=name, show=show)
    layer.add_to(m)
    return DrawnLayer(layer, layer)


def feature_collection(source: LayerSource, drawing: Drawing, *, styles: bool = False) -> dict:
    """Return the layer's features as GeoJSON with the properties popups need.

    Feature ids are row positions (Folium's styler switches on them). With
    ``styles`` each feature carries ``_s``, its index in the unique styles list.
    """
    frame = source.frame
    columns = [c for c in embedded_properties(source.layer, source.style) if c in frame]
    props = _records(frame, columns)
    for key, values in drawing.extra_properties.items():
        for p, v in zip(props, values, strict=True):
            p[key] = v
    if styles:
        for p, i in zip(props, _style_index(drawing.styles), strict=True):
            p["_s"] = i
    rounded = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, PRECISION))
    empty = shapely.is_missing(rounded) | shapely.is_empty(rounded)
    texts = shapely.to_geojson(rounded)
    features = [
        {"type": "Feature", "id": i, "properties": p, "geometry": orjson.loads(t)}
        for i, (p, t, e) in enumerate(zip(props, texts, empty, strict=True))
        if not e
    ]
    return {"type": "FeatureCollection", "features": features}


def _records(frame, columns: list[str]) -> list[dict[str, Any]]:
    """Return the rows as plain dicts (NaN and NaT as None, numpy scalars as Python)."""
    lists = [[None if _missing(v) else v for v in frame[c].tolist()] for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)] or [
        {} for _ in range(len(frame))
    ]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def unique_styles(styles: list[dict]) -> list[dict]:
    """Return the distinct styles, in first-seen order (VectorGrid looks them up by ``_s``)."""
    seen: dict[str, dict] = {}
    for s in styles:
        seen.setdefault(_key(s), s)
    return list(seen.values())


def _geojson(source: LayerSource, drawing: Drawing, *, name: str, show: bool):
    import folium
    from folium.utilities import JsCode

    data = feature_collection(source, drawing)
    styles = drawing.styles
    spec = drawing.spec
    marker = None
    if source.style.geometry == "point":
        marker = folium.CircleMarker(radius=source.style.radius, fill=True)
    return folium.GeoJson(
        data,
        name=name,
        show=show,
        style_function=lambda f: styles[f["id"]],
        highlight_function=lambda f: {"weight": styles[f["id"]].get("weight", 1) + 2},
        on_each_feature=JsCode(f"gsmaps.bind({_js(spec)})"),
        marker=marker,
    )


def _clustered(m, source, drawing, options: LayerOptions, *, name: str, show: bool) -> DrawnLayer:
    from folium.plugins import MarkerCluster

    cluster = MarkerCluster(name=name, show=show, options={"spiderfyDistanceMultiplier": 1.6})
    localize(cluster, options.assets)
    cluster.add_to(m)
    layer = _geojson(source, drawing, name=name, show=True)
    layer.control = False
    layer.add_to(cluster)
    m.add_child(ClusterLink(layer, cluster))
    return DrawnLayer(cluster, layer, "cluster")


def _sliced(m, source, drawing, options: LayerOptions, *, name: str, show: bool) -> DrawnLayer:
    data = feature_collection(source, drawing, styles=True)
    styles = [_vectorgrid_style(s, source.style.geometry) for s in unique_styles(drawing.styles)]
    min_zoom = display_min_zoom(source)
    layer = SlicedGeoJson(data, styles, drawing.spec, name=name, show=show, min_zoom=min_zoom)
    localize(layer, options.assets)
    layer.add_to(m)
    _zoom_hint(m, layer, min_zoom, options, name=name)
    return DrawnLayer(layer, None, "sliced")


def _tiled(m, source, drawing, options: LayerOptions, *, name: str, show: bool) -> DrawnLayer:
    base = options.service_url or ""
    layer = source.layer
    min_zoom = display_min_zoom(source)
    wanted = [a for a in (_class_property(source), QUALITY) if a in layer.attribute_names]
    url = f"{base}/collections/{layer.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
    url += f"?v={source.version}" + (f"&properties={','.join(wanted)}" if wanted else "")
    tiles_options = {
        "minZoom": min_zoom,
        "maxNativeZoom": min(layer.tiles.max_zoom, 22),
        "maxZoom": 22,
        "bounds": _latlng_bounds(source.bbox),
        "pane": "overlayPane",
        # Leaflet writes attributions with innerHTML; the layer's is text
        "attribution": str(escape(layer.source.attribution or "")),
    }
    tiles = ServedVectorTiles(
        url, layer.id, class_table(source.style, source.classes), tiles_options,
        name=name, show=show,
    )  # fmt: skip
    localize(tiles, options.assets)
    tiles.add_to(m)
    _zoom_hint(m, tiles, min_zoom, options, name=name)
    m.add_child(
        TileQuery(
            tiles,
            map_name=m.get_name(),
            items_url=f"{base}/collections/{layer.id}/items",
            spec=drawing.spec,
            geometry=source.style.geometry,
        )
    )
    return DrawnLayer(tiles, None, "tiles")


def _zoom_hint(m, layer, min_zoom: int, options: LayerOptions, *, name: str) -> None:
    hint = text("zoom_in", options.lang, layer=name, zoom=min_zoom)
    m.add_child(
        ZoomHint(
            layer, map_name=m.get_name(), min_zoom=min_zoom, hint=hint, focus=options.focus_large
        )
    )


def _class_property(source: LayerSource) -> str | None:
    classify = source.style.classify
    return classify.property if classify is not None else None


def map_tiles_url(service_url: str, layer_id: str) -> str:
    """Return the XYZ template of a collection's PNG map tiles (the tiles part's route)."""
    return f"{service_url}/collections/{layer_id}/map/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"


def display_min_zoom(source: LayerSource, *, min_px: float = MIN_FEATURE_PX) -> int:
    """Return the first zoom at which a typical feature of a large layer is ``min_px`` wide.

    The typical size is estimated from the layer's extent and count (no read):
    below that zoom its tiles would be a mesh of sub-pixel features, slow to
    render and useless to a planner, so none are asked for.
    """
    floor = source.layer.tiles.min_zoom
    if source.bbox is None or source.count == 0:
        return floor
    west, south, east, north = source.bbox
    cos_lat = math.cos(math.radians((south + north) / 2))
    area_m2 = (east - west) * 111_320 * cos_lat * (north - south) * 110_540
    size_m = math.sqrt(max(area_m2, 1.0) / source.count)
    zoom = math.ceil(math.log2(EQUATOR_M_PER_PX * cos_lat * min_px / size_m))
    return max(floor, min(zoom, 20))


def _dense(source: LayerSource, at: int) -> bool:
    if source.count > CLUSTER_OVER:
        return True
    xy = shapely.get_coordinates(source.frame.geometry.values)
    if len(xy) == 0:
        return False
    _, counts = np.unique(np.round(xy, PRECISION), axis=0, return_counts=True)
    return int(counts.max()) >= at


def _vectorgrid_style(style: dict, geometry: str) -> dict:
    out = {k: v for k, v in style.items() if v is not None}
    out["fill"] = geometry != "line"
    return out


def _style_index(styles: list[dict]) -> list[int]:
    keys: dict[str, int] = {}
    return [keys.setdefault(_key(s), len(keys)) for s in styles]


def _key(style: dict) -> str:
    return repr(sorted(style.items()))


def _latlng_bounds(bbox) -> list[list[float]] | None:
    if bbox is None:
        return None
    return [[bbox[1], bbox[0]], [bbox[3], bbox[2]]]


def _js(value: Any) -> str:
    from geoservice.maps.elements import script_json

    return str(script_json(value))
