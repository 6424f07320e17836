"""One style, three renderers: MapLibre style layers, PNG colours, Folium/Leaflet options.

Pure functions of a :class:`~geoservice.catalog.models.StyleDef`. Graduated classes
whose breaks are computed (``scheme`` quantiles, equal interval, natural breaks)
need the values of the whole layer: :func:`resolve_classes` takes them, so the
classes are the same in every tile and on every map.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from geoservice.catalog.models import ClassBreak, StyleDef
from geoservice.quality import is_approximate

APPROXIMATE = ["in", ["get", "geometry_quality"], ["literal", ["approximate", "symbolic"]]]
"""MapLibre filter of the features drawn dashed (geoservice.quality.is_approximate)."""
SYMBOLIC = [
    "any",
    ["==", ["get", "placement_method"], "rule:symbolic"],
    [
        "all",
        ["!", ["to-boolean", ["get", "placement_method"]]],
        ["==", ["get", "geometry_quality"], "symbolic"],
    ],
]
"""MapLibre filter of symbolic positions (``geoservice.quality.trust_class``: the
placement method decides, else the geometry quality)."""
NOT_LOCATED_COLOR = "#555555"
"""Outline of a symbolic position drawn apart (``maps.quality.HOLLOW`` on Leaflet maps)."""
DEFAULT_PALETTE = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "natural_breaks": "NaturalBreaks",
}


def resolve_classes(style: StyleDef, values: Sequence[Any] | None = None) -> list[ClassBreak]:
    """Return the classes of a style, computing graduated breaks from ``values``.

    Categorical and ``fixed`` graduated styles return their declared classes.
    Otherwise ``k`` breaks are computed with mapclassify over the numeric values
    (NaN and None ignored) and coloured with the palette.
    """
    classify = style.classify
    if classify is None:
        return []
    if classify.type == "categorical" or classify.scheme == "fixed" or values is None:
        return list(classify.classes)
    numbers = np.asarray([v for v in values if v is not None], dtype="float64")
    numbers = numbers[~np.isnan(numbers)]
    if numbers.size == 0:
        return list(classify.classes)
    import mapclassify

    k = min(classify.k, max(1, len(np.unique(numbers))))
    scheme = getattr(mapclassify, SCHEMES[classify.scheme])(numbers, k=k)
    palette = classify.palette or DEFAULT_PALETTE
    colors = _spread(palette, len(scheme.bins))
    return [
        ClassBreak(upper=float(upper), color=color)
        for upper, color in zip(scheme.bins, colors, strict=True)
    ]


def base_color(style: StyleDef) -> str:
    """Return the colour of an unclassified feature: a line is drawn in its stroke."""
    return style.stroke if style.geometry == "line" else style.fill


def color_expression(style: StyleDef, classes: Sequence[ClassBreak], base: str) -> Any:
    """Return a MapLibre colour: a constant, a ``match`` or a ``step`` expression."""
    classify = style.classify
    if classify is None or not classes:
        return base
    prop = ["get", classify.property]
    if classify.type == "categorical":
        pairs = [item for c in classes for item in (c.value, c.color) if c.value is not None]
        if not pairs:
            return classify.default_color
        return ["match", ["to-string", prop], *_stringify(pairs), classify.default_color]
    steps: list[Any] = [classes[0].color]
    for previous, current in itertools.pairwise(classes):
        steps += [previous.upper, current.color]
    return ["step", ["to-number", prop, 0], *steps]


def maplibre_layers(
    style: StyleDef,
    *,
    layer_id: str,
    source: str,
    classes: Sequence[ClassBreak] = (),
    min_zoom: int = 0,
    labels: bool = False,
    lang: str = "zh",
    not_located: bool = False,
) -> list[dict]:
    """Return the MapLibre style layers drawing one tile layer with ``style``.

    Labels are in ``lang`` where a feature has both names (``name_zh``/``name_en``).
    With ``not_located`` (the tiles carry ``placement_method`` or
    ``geometry_quality``), symbolic positions are left out of the layer's drawing
    and drawn apart by ``<layer_id>-not-located``: hollow rings (points) or dashed
    outlines, hidden until a page shows them, like the Leaflet maps' "not
    located" group, so that nothing is drawn at a false position by default.
    """
    common = {"source": source, "source-layer": layer_id, "minzoom": min_zoom}
    fill = color_expression(style, classes, base_color(style))
    layers: list[dict] = []
    if style.geometry == "polygon":
        layers.append(
            {
                "id": f"{layer_id}-fill",
                "type": "fill",
                **common,
                "paint": {"fill-color": fill, "fill-opacity": style.fill_opacity},
            }
        )
    if style.geometry in ("polygon", "line"):
        stroke = fill if style.geometry == "line" else style.stroke
        layers += _line_layers(style, layer_id, common, stroke)
    if style.geometry == "point":
        layers.append(_circle_layer(style, layer_id, common, fill))
    if labels and style.label is not None:
        layers.append(_label_layer(style, layer_id, common, lang))
    if not_located and layers:
        layers = [_located_only(layer) for layer in layers]
        layers.append(_not_located_layer(style, layer_id, common))
    return layers


def _located_only(layer: dict) -> dict:
    """Return a style layer that leaves symbolic positions out."""
    located = ["!", SYMBOLIC]
    both = ["all", located, layer["filter"]] if "filter" in layer else located
    return {**layer, "filter": both}


def _not_located_layer(style: StyleDef, layer_id: str, common: dict) -> dict:
    """Return the hidden layer of a tile layer's symbolic positions: hollow, grey."""
    layer = {"id": f"{layer_id}-not-located", **common, "filter": SYMBOLIC}
    layer["layout"] = {"visibility": "none"}
    if style.geometry == "point":
        layer["type"] = "circle"
        layer["paint"] = {
            "circle-radius": style.radius,
            "circle-opacity": 0.0,
            "circle-stroke-color": NOT_LOCATED_COLOR,
            "circle-stroke-width": 2,
        }
    else:
        layer["type"] = "line"
        layer["paint"] = {
            "line-color": NOT_LOCATED_COLOR,
            "line-width": 2,
            "line-dasharray": [2, 2],
        }
    return layer


def feature_colors(
    style: StyleDef, values: Sequence[Any] | None, classes: Sequence[ClassBreak]
) -> list[str]:
    """Return the colour (#rrggbb) of each feature, for PNG rendering: the fill of a
    polygon or point, the stroke of a line, or its class colour when classified."""
    classify = style.classify
    if classify is None or values is None or not classes:
        return [base_color(style)] * (0 if values is None else len(values))
    if classify.type == "categorical":
        lookup = {str(c.value): c.color for c in classes}
        return [lookup.get(str(v), classify.default_color) for v in values]
    uppers = np.asarray([c.upper for c in classes[:-1]], dtype="float64")
    colors = [c.color for c in classes]
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(classify.default_color)
        else:
            out.append(colors[int(np.searchsorted(uppers, float(v), side="right"))])
    return out


def leaflet_style(
    style: StyleDef, properties: dict[str, Any], classes: Sequence[ClassBreak] = ()
) -> dict[str, Any]:
    """Return Leaflet path options (a Folium ``style_function`` result) for one feature."""
    prop = style.classify.property if style.classify else None
    values = [properties.get(prop)] if prop else None
    fill = feature_colors(style, values, classes)[0] if values else base_color(style)
    approximate = is_approximate(properties.get("geometry_quality"))
    dash = style.approximate_dash if approximate else style.dash
    options: dict[str, Any] = {
        "fillColor": fill,
        "fillOpacity": style.fill_opacity,
        "color": fill if style.geometry == "line" else style.stroke,
        "weight": style.stroke_width,
        "opacity": style.stroke_opacity,
    }
    if dash:
        options["dashArray"] = dash
    return options


def hex_rgba(color: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    """Return ``#rrggbb`` as an RGBA tuple."""
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), round(opacity * 255))


def dash_array(dash: str | None, width: float) -> list[float] | None:
    """Return an SVG dash array (pixels) in MapLibre's line-width units."""
    if not dash:
        return None
    return [float(p) / max(width, 0.5) for p in dash.replace(",", " ").split()]


def _line_layers(style: StyleDef, layer_id: str, common: dict, color: Any) -> list[dict]:
    paint = {
        "line-color": color,
        "line-width": style.stroke_width,
        "line-opacity": style.stroke_opacity,
    }
    base_dash = dash_array(style.dash, style.stroke_width)
    located = {**paint, **({"line-dasharray": base_dash} if base_dash else {})}
    approx = dash_array(style.approximate_dash, style.stroke_width)
    return [
        {
            "id": f"{layer_id}-line",
            "type": "line",
            **common,
            "filter": ["!", APPROXIMATE],
            "paint": located,
        },
        {
            "id": f"{layer_id}-line-approximate",
            "type": "line",
            **common,
            "filter": APPROXIMATE,
            "paint": {**paint, "line-dasharray": approx or base_dash or [1, 0]},
        },
    ]


def _circle_layer(style: StyleDef, layer_id: str, common: dict, fill: Any) -> dict:
    return {
        "id": f"{layer_id}-circle",
        "type": "circle",
        **common,
        "paint": {
            "circle-color": fill,
            "circle-opacity": style.fill_opacity,
            "circle-radius": style.radius,
            "circle-stroke-color": style.stroke,
            "circle-stroke-width": style.stroke_width,
            "circle-stroke-opacity": style.stroke_opacity,
        },
    }


def label_field(prop: str, lang: str) -> list:
    """Return the expression of a label: the name in ``lang`` where there is one."""
    field = ["to-string", ["get", prop]]
    if lang == "en" and prop == "name_zh":
        return ["coalesce", ["get", "name_en"], field]
    if lang != "en" and prop == "name_en":
        return ["coalesce", ["get", "name_zh"], field]
    return field


def _label_layer(style: StyleDef, layer_id: str, common: dict, lang: str = "zh") -> dict:
    label = style.label
    assert label is not None
    return {
        "id": f"{layer_id}-label",
        "type": "symbol",
        **common,
        "minzoom": max(common["minzoom"], label.min_zoom),
        "layout": {
            "text-field": label_field(label.property, lang),
            "text-size": label.size,
            "text-font": ["Noto Sans Regular"],
        },
        "paint": {
            "text-color": label.color,
            "text-halo-color": "#ffffff",
            "text-halo-width": 1,
        },
    }


def _spread(palette: Sequence[str], n: int) -> list[str]:
    if n <= 1:
        return [palette[-1]]
    positions = np.linspace(0, len(palette) - 1, n).round().astype(int)
    return [palette[i] for i in positions]


def _stringify(pairs: list[Any]) -> list[Any]:
    return [str(item) if i % 2 == 0 else item for i, item in enumerate(pairs)]
