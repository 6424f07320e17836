"""TileJSON 3.0 and MapLibre style documents for one or several layers.

Framework-free. Tile URLs carry ``?v=<version>`` of each layer, so a client that
reloads the TileJSON after an upload asks for new URLs, and tiles whose URL names
the current version may be cached by browsers for a long time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import escape

from geoservice.catalog.models import ClassBreak, LayerDef, StyleDef
from geoservice.styling import maplibre_layers

FIELD_TYPES = {"integer": "Number", "number": "Number", "boolean": "Boolean"}
DRAW_ORDER = {"polygon": 0, "any": 1, "line": 2, "point": 3}
ATTRIBUTION = "geoservice"


def tilejson(
    *,
    name: str,
    tiles_url: str,
    layers: Sequence[LayerDef],
    bbox: tuple[float, float, float, float],
    lang: str = "zh",
) -> dict:
    """Return a TileJSON 3.0.0 document for vector tiles of ``layers``."""
    min_zoom = min(layer.tiles.min_zoom for layer in layers)
    max_zoom = max(layer.tiles.max_zoom for layer in layers)
    west, south, east, north = bbox
    center_zoom = max(min_zoom, min(max_zoom, 10))
    # TileJSON's attribution is HTML (MapLibre and Leaflet insert it as such); a
    # layer's attribution is text, so it is escaped
    attributions = sorted(
        {str(escape(layer.source.attribution)) for layer in layers if layer.source.attribution}
    )
    return {
        "tilejson": "3.0.0",
        "name": name,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": min_zoom,
        "maxzoom": max_zoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, center_zoom],
        "attribution": "; ".join(attributions) or ATTRIBUTION,
        "vector_layers": [_vector_layer(layer, lang) for layer in layers],
    }


def maplibre_style(
    *,
    name: str,
    tilejson_url: str,
    layers: Sequence[LayerDef],
    styles: Mapping[str, StyleDef],
    classes: Mapping[str, Sequence[ClassBreak]],
    glyphs_url: str | None = None,
) -> dict:
    """Return a MapLibre GL style (version 8) drawing ``layers`` from one tile source.

    Polygons are drawn first, then lines, then points; labels only when a
    ``glyphs_url`` is given.
    """
    ordered = sorted(layers, key=lambda layer: DRAW_ORDER[styles[layer.id].geometry])
    style_layers: list[dict] = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f6f5f0"}}
    ]
    for layer in ordered:
        style = styles[layer.id]
        in_tiles = layer.tiles.attributes or layer.attribute_names
        labelled = style.label is not None and style.label.property in in_tiles
        style_layers += maplibre_layers(
            style,
            layer_id=layer.id,
            source="geoservice",
            classes=classes.get(layer.id, ()),
            min_zoom=layer.tiles.min_zoom,
            labels=glyphs_url is not None and labelled,
        )
    doc = {
        "version": 8,
        "name": name,
        "sources": {"geoservice": {"type": "vector", "url": tilejson_url}},
        "layers": style_layers,
    }
    if glyphs_url:
        doc["glyphs"] = glyphs_url
    return doc


def _vector_layer(layer: LayerDef, lang: str) -> dict:
    names = layer.tiles.attributes or layer.attribute_names
    return {
        "id": layer.id,
        "description": layer.title.get(lang),
        "minzoom": layer.tiles.min_zoom,
        "maxzoom": layer.tiles.max_zoom,
        "fields": {
            name: FIELD_TYPES.get(layer.attribute(name).type.value, "String") for name in names
        },
    }
