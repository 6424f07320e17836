"""One style drives MapLibre, PNG colours and Leaflet options alike."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from shapely.geometry import LineString

from geoservice.catalog.models import StyleDef
from geoservice.encoding.mvt import encode_layer
from geoservice.styling import (
    color_expression,
    dash_array,
    feature_colors,
    hex_rgba,
    leaflet_style,
    maplibre_layers,
    resolve_classes,
)
from geoservice.tiles.render import render_png


def _style(**classify) -> StyleDef:
    return StyleDef.model_validate(
        {
            "id": "s",
            "title": {"zh": "样式", "en": "Style"},
            "geometry": "polygon",
            "stroke": "#222222",
            "dash": "6 4",
            "classify": classify or None,
        }
    )


def test_graduated_breaks_come_from_mapclassify_and_agree_everywhere():
    style = _style(
        type="graduated",
        property="v",
        scheme="quantiles",
        k=4,
        palette=["#000001", "#000002", "#000003", "#000004"],
    )
    values = list(range(1, 101))
    classes = resolve_classes(style, values)
    assert [c.upper for c in classes] == pytest.approx([25.75, 50.5, 75.25, 100.0])
    assert [c.color for c in classes] == ["#000001", "#000002", "#000003", "#000004"]
    expression = color_expression(style, classes, style.fill)
    assert expression[:3] == ["step", ["to-number", ["get", "v"], 0], "#000001"]
    assert feature_colors(style, [1, 30, 100, None], classes) == [
        "#000001",
        "#000002",
        "#000004",
        "#999999",
    ]
    assert leaflet_style(style, {"v": 60}, classes)["fillColor"] == "#000003"


def test_categories_match_values_as_text():
    style = _style(
        type="categorical",
        property="kind",
        classes=[{"value": "a", "color": "#aa0000"}, {"value": 3, "color": "#00bb00"}],
    )
    classes = resolve_classes(style)
    assert color_expression(style, classes, style.fill) == [
        "match",
        ["to-string", ["get", "kind"]],
        "a",
        "#aa0000",
        "3",
        "#00bb00",
        "#999999",
    ]
    assert feature_colors(style, ["a", 3, "zz"], classes) == ["#aa0000", "#00bb00", "#999999"]


def test_approximate_and_symbolic_outlines_are_dashed_in_maplibre_and_leaflet():
    style = _style()
    layers = maplibre_layers(style, layer_id="x", source="src")
    approximate = next(layer for layer in layers if layer["id"] == "x-line-approximate")
    assert approximate["filter"] == [
        "in", ["get", "geometry_quality"], ["literal", ["approximate", "symbolic"]]
    ]  # fmt: skip
    assert approximate["paint"]["line-dasharray"] == dash_array("6 4", 1.5)
    assert leaflet_style(style, {"geometry_quality": "approximate"})["dashArray"] == "6 4"
    assert leaflet_style(style, {"geometry_quality": "symbolic"})["dashArray"] == "6 4"
    assert [layer["type"] for layer in layers] == ["fill", "line", "line"]


def test_unclassified_lines_are_drawn_in_their_stroke_colour_everywhere():
    style = StyleDef.model_validate(
        {
            "id": "l",
            "title": {"zh": "线", "en": "Line"},
            "geometry": "line",
            "fill": "#00ff00",
            "stroke": "#ff0000",
            "stroke_width": 3,
        }
    )
    line_layer = next(layer for layer in maplibre_layers(style, layer_id="x", source="s"))
    assert line_layer["paint"]["line-color"] == "#ff0000"
    assert leaflet_style(style, {})["color"] == "#ff0000"
    assert feature_colors(style, [None, None], []) == ["#ff0000", "#ff0000"]

    mvt, _ = encode_layer("x", [1], np.array([LineString([(0, 2048), (4096, 2048)])]), {})
    pixels = np.asarray(Image.open(io.BytesIO(render_png(mvt, "x", style, []))))
    drawn = {tuple(p[:3]) for p in pixels.reshape(-1, 4) if p[3] > 0}
    assert drawn == {hex_rgba("#ff0000")[:3]}
