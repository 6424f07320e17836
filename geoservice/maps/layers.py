"""One layer on a Folium map: embedded GeoJSON, marker clusters, browser tiles or PNG tiles.

* A layer of at most ``large_layer_features`` features is embedded as GeoJSON
  (points as circle markers, clustered when many share a position).
* A larger layer on a served map is drawn from the service's PNG map tiles
  (``/collections/{id}/map/tiles/WebMercatorQuad/{z}/{y}/{x}``, the tiles'
  own rendering of the same style), and a click asks the items API.
* A larger layer in a standalone export is embedded and tiled in the browser
  (Leaflet.VectorGrid), since no server is there to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
import shapely

from geoservice.maps.assets import Assets, localize
from geoservice.maps.drawing import Drawing
from geoservice.maps.elements import ClusterLink, SlicedGeoJson, TileQuery
from geoservice.maps.popups import embedded_properties
from geoservice.maps.sources import LayerSource

PRECISION = 6
"""Decimal places of embedded lon/lat (about 0.1 m)."""
CLUSTER_OVER = 200


@dataclass(frozen=True)
class LayerOptions:
    """What decides how a layer is drawn."""

    assets: Assets
    service_url: str | None
    large_layer_features: int
    cluster_points_at: int


@dataclass(frozen=True)
class DrawnLayer:
    """The element the layer control toggles, and the GeoJSON the name search indexes."""

    element: Any
    searchable: Any = None
    how: str = "geojson"


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
    layer = SlicedGeoJson(data, styles, drawing.spec, name=name, show=show)
    localize(layer, options.assets)
    layer.add_to(m)
    return DrawnLayer(layer, None, "sliced")


def _tiled(m, source, drawing, options: LayerOptions, *, name: str, show: bool) -> DrawnLayer:
    import folium

    base = options.service_url or ""
    layer_id = source.layer.id
    url = map_tiles_url(base, layer_id)
    tiles = folium.TileLayer(
        tiles=f"{url}?v={source.version}",
        attr=source.layer.source.attribution or " ",
        name=name,
        overlay=True,
        show=show,
        min_zoom=0,
        max_zoom=22,
        min_native_zoom=source.layer.tiles.min_zoom,
        max_native_zoom=min(source.layer.tiles.max_zoom, 22),
        bounds=_latlng_bounds(source.bbox),
    )
    tiles.add_to(m)
    m.add_child(
        TileQuery(
            tiles,
            map_name=m.get_name(),
            items_url=f"{base}/collections/{layer_id}/items",
            spec=drawing.spec,
            geometry=source.style.geometry,
        )
    )
    return DrawnLayer(tiles, None, "tiles")


def map_tiles_url(service_url: str, layer_id: str) -> str:
    """Return the XYZ template of a collection's PNG map tiles (the tiles part's route)."""
    return f"{service_url}/collections/{layer_id}/map/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"


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
