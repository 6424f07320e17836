"""One style drives MapLibre, PNG colours and Leaflet options alike."""

from __future__ import annotations

import pytest

from geoservice.catalog.models import StyleDef
from geoservice.styling import (
    color_expression,
    dash_array,
    feature_colors,
    leaflet_style,
    maplibre_layers,
    resolve_classes,
)


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


def test_approximate_outlines_are_dashed_in_maplibre_and_leaflet():
    style = _style()
    layers = maplibre_layers(style, layer_id="x", source="src")
    approximate = next(layer for layer in layers if layer["id"] == "x-line-approximate")
    assert approximate["filter"] == ["==", ["get", "geometry_quality"], "approximate"]
    assert approximate["paint"]["line-dasharray"] == dash_array("6 4", 1.5)
    assert leaflet_style(style, {"geometry_quality": "approximate"})["dashArray"] == "6 4"
    assert [layer["type"] for layer in layers] == ["fill", "line", "line"]
