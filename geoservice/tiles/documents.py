"""TileJSON 3.0 and MapLibre style documents for one or several layers.

Framework-free. Tile URLs carry ``?v=<version>`` of each layer, so a client that
reloads the TileJSON after an upload asks for new URLs, and tiles whose URL names
the current version may be cached by browsers for a long time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import escape

from geoservice.catalog.models import ClassBreak, LayerDef, StyleDef
from geoservice.styling import label_field, maplibre_layers

TRUST_ATTRIBUTES = frozenset({"placement_method", "geometry_quality"})
"""Tile attributes that tell a symbolic position (drawn apart, hidden by default)."""
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
    lang: str = "zh",
    context: ContextStyle | None = None,
) -> dict:
    """Return a MapLibre GL style (version 8) drawing ``layers`` from one tile source.

    Polygons are drawn first, then lines, then points; labels only when a
    ``glyphs_url`` is given, in ``lang`` where both names exist. ``context`` adds
    the offline base map under them, from a second tile source.
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
            lang=lang,
            not_located=bool(TRUST_ATTRIBUTES & set(in_tiles)),
        )
    sources = {"geoservice": {"type": "vector", "url": tilejson_url}}
    if context is not None:
        sources[CONTEXT_SOURCE] = {"type": "vector", "url": context.tilejson_url}
        base = context.layers(lang, labels=glyphs_url is not None)
        style_layers = [style_layers[0], *base["under"], *style_layers[1:], *base["labels"]]
    doc = {
        "version": 8,
        "name": name,
        "sources": sources,
        "layers": style_layers,
    }
    if glyphs_url:
        doc["glyphs"] = glyphs_url
    return doc


CONTEXT_SOURCE = "context"
HALO = {"text-halo-color": "#ffffff", "text-halo-width": 1.5}


@dataclass(frozen=True)
class ContextStyle:
    """The offline base map of a MapLibre style: which tile layers play which role."""

    tilejson_url: str
    boundary: str | None
    units: Sequence[str] = ()
    roads: Sequence[str] = ()

    def layers(self, lang: str, *, labels: bool) -> dict[str, list[dict]]:
        """Return the style layers under the data (outlines) and above them (names)."""
        under: list[dict] = []
        above: list[dict] = []
        common = {"source": CONTEXT_SOURCE}
        if self.boundary:
            b = {**common, "source-layer": self.boundary}
            under += [
                {"id": "context-areas", "type": "fill", **b,
                 "paint": {"fill-color": "#e2dfd5", "fill-opacity": 0.9}},
                {"id": "context-study", "type": "fill", **b,
                 "filter": ["==", ["get", "is_study_area"], True],
                 "paint": {"fill-color": "#ffffff", "fill-opacity": 0.9}},
                {"id": "context-boundaries", "type": "line", **b,
                 "paint": {"line-color": "#9a93a3", "line-width": 1.5}},
            ]  # fmt: skip
            above.append(_context_label("context-area-names", b, lang, 14, "#5a4a6a", 0))
        for unit in self.units:
            u = {**common, "source-layer": unit}
            under.append(
                {"id": f"context-{unit}", "type": "line", **u,
                 "paint": {"line-color": "#b5ab98", "line-width": 1, "line-dasharray": [4, 3]}}
            )  # fmt: skip
            above.append(_context_label(f"context-{unit}-names", u, lang, 12, "#3a3a3a", 10))
        for road in self.roads:
            r = {**common, "source-layer": road}
            under.append(
                {"id": f"context-{road}", "type": "line", **r,
                 "paint": {"line-color": "#e8a33d", "line-width": 3, "line-opacity": 0.85}}
            )  # fmt: skip
            label = _context_label(f"context-{road}-names", r, lang, 11, "#8a5a00", 9)
            label["layout"]["symbol-placement"] = "line"
            label["layout"]["text-field"] = [
                "coalesce",
                ["get", "ref"],
                label_field("name_zh", lang),
            ]
            above.append(label)
        return {"under": under, "labels": above if labels else []}


def _context_label(
    layer_id: str, common: dict, lang: str, size: int, colour: str, min_zoom: int
) -> dict:
    return {
        "id": layer_id,
        "type": "symbol",
        **common,
        "minzoom": min_zoom,
        "layout": {
            "text-field": label_field("name_zh", lang),
            "text-size": size,
            "text-font": ["Noto Sans Regular"],
        },
        "paint": {"text-color": colour, **HALO},
    }


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
