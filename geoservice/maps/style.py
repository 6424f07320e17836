"""A style file as Leaflet path options: the Folium/Leaflet renderer of ``styles/``.

Pure functions. Classes, colours and the StyleDef → Leaflet options come from
:mod:`geoservice.styling` (shared with the vector and PNG tiles): graduated
breaks are computed there with mapclassify over the whole layer, so a map and a
tile agree. Here: per-feature options for a whole layer, and legend rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geoservice.catalog.models import ClassBreak, StyleDef
from geoservice.styling import base_color, leaflet_style, resolve_classes

QUALITY = "geometry_quality"


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: a swatch and its text."""

    color: str
    label: str
    geometry: str
    dash: str | None = None


def layer_classes(style: StyleDef, values: Sequence[Any] | None) -> list[ClassBreak]:
    """Return the classes of a layer (graduated breaks computed from all its values)."""
    return resolve_classes(style, values)


def path_options(
    style: StyleDef, properties: Mapping[str, Any], classes: Sequence[ClassBreak] = ()
) -> dict[str, Any]:
    """Return the Leaflet options of one feature: :func:`styling.leaflet_style`, plus
    what Folium's circle markers and GeoJSON need (radius, fill, an explicit dash)."""
    options = leaflet_style(style, dict(properties), classes)
    options.setdefault("dashArray", None)
    if style.geometry != "line":
        options["fill"] = True
    if style.geometry == "point":
        options["radius"] = style.radius
    return options


def feature_styles(
    style: StyleDef,
    classes: Sequence[ClassBreak],
    values: Sequence[Any] | None,
    quality: Sequence[Any] | None,
) -> list[dict[str, Any]]:
    """Return the Leaflet options of each feature, given its class values and quality."""
    n = len(values) if values is not None else len(quality or ())
    prop = style.classify.property if style.classify is not None else "_"
    values = values if values is not None else [None] * n
    quality = quality if quality is not None else [None] * n
    return [
        path_options(style, {prop: v, QUALITY: q}, classes)
        for v, q in zip(values, quality, strict=True)
    ]


def class_table(style: StyleDef, classes: Sequence[ClassBreak]) -> dict[str, Any]:
    """Return the styles of each class, located and approximate, for features styled in
    the browser (vector tiles): ``gsmaps.tableStyle`` picks one from a feature's
    properties as :func:`styling.feature_colors` would (categories by value, graduated
    classes by their upper bounds)."""
    classify = style.classify
    prop = classify.property if classify is not None else None

    def pair(value: Any) -> list[dict[str, Any]]:
        base = {prop: value} if prop is not None else {}
        return [
            path_options(style, {**base, QUALITY: quality}, classes)
            for quality in ("sourced_point", "approximate")
        ]

    table: dict[str, Any] = {"property": prop, "type": None, "fallback": pair(None)}
    if classify is None or not classes:
        return table
    table["type"] = classify.type
    if classify.type == "categorical":
        table["values"] = [str(c.value) for c in classes]
        table["styles"] = [pair(c.value) for c in classes]
        return table
    uppers = [float(c.upper) for c in classes[:-1]]
    inside = [uppers[0] - 1] if uppers else [0.0]
    inside += [(a + b) / 2 for a, b in itertools.pairwise(uppers)]
    inside += [uppers[-1] + 1] if uppers else []
    table["uppers"] = uppers
    table["styles"] = [pair(v) for v in inside[: len(classes)]]
    return table


def legend_entries(style: StyleDef, classes: Sequence[ClassBreak], lang: str) -> list[LegendEntry]:
    """Return the legend rows of a style: one per class, or one for the whole layer."""
    geometry = style.geometry
    base = base_color(style)
    if not classes:
        title = style.legend or style.title
        return [LegendEntry(base, title.get(lang), geometry, style.dash)]
    rows = []
    lower: float | None = None
    for c in classes:
        if c.label is not None:
            label = c.label.get(lang)
        elif c.value is not None:
            label = str(c.value)
        else:
            label = _range_label(lower, c.upper)
        rows.append(LegendEntry(c.color, label, geometry, style.dash))
        lower = c.upper
    return rows


def _range_label(lower: float | None, upper: float | None) -> str:
    def fmt(v: float) -> str:
        return f"{v:.3g}"

    if upper is None:
        return f"> {fmt(lower)}" if lower is not None else ""
    return f"≤ {fmt(upper)}" if lower is None else f"{fmt(lower)} – {fmt(upper)}"
