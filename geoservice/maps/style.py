"""A style file as Leaflet path options: the Folium/Leaflet renderer of ``styles/``.

Pure functions. Classes and colours come from :mod:`geoservice.styling` (the
same as the vector and PNG tiles): graduated breaks are computed there with
mapclassify over the whole layer, so a map and a tile agree. Only the last
step, StyleDef → Leaflet ``{color, weight, fillColor, dashArray, ...}``, is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geoservice.catalog.models import ClassBreak, StyleDef
from geoservice.styling import feature_colors, resolve_classes

APPROXIMATE = "approximate"


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


def path_options(style: StyleDef, color: str, *, approximate: bool = False) -> dict[str, Any]:
    """Return the Leaflet options drawing one feature whose class colour is ``color``.

    Lines take the class colour as stroke; polygons and points fill with it and
    keep the style's stroke. Features with ``geometry_quality=approximate`` are
    outlined with the style's ``approximate_dash``.
    """
    dash = style.approximate_dash if approximate else style.dash
    options: dict[str, Any] = {
        "weight": style.stroke_width,
        "opacity": style.stroke_opacity,
        "dashArray": dash,
    }
    if style.geometry == "line":
        options["color"] = color
    else:
        options.update(
            color=style.stroke, fill=True, fillColor=color, fillOpacity=style.fill_opacity
        )
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
    if style.classify is not None and values is not None:
        colors = feature_colors(style, values, classes)
    else:  # an unclassified line is drawn in its stroke colour, a polygon or point filled
        colors = [base_color(style)] * n
    flags = [q == APPROXIMATE for q in quality] if quality is not None else [False] * n
    return [path_options(style, c, approximate=a) for c, a in zip(colors, flags, strict=True)]


def base_color(style: StyleDef) -> str:
    """Return the colour of an unclassified feature: stroke for lines, else fill."""
    return style.stroke if style.geometry == "line" else style.fill


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
