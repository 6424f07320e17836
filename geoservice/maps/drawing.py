"""How one layer looks: per-feature Leaflet options, popup spec and legend rows.

:func:`plan_drawing` follows the layer's style file; analysis results may get
a special drawing instead (:mod:`geoservice.maps.analysis`). Legends are built
here as escaped HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from geoservice.maps.i18n import text
from geoservice.maps.popups import QUALITY, popup_spec
from geoservice.maps.sources import LayerSource
from geoservice.maps.style import LegendEntry, feature_styles, legend_entries


@dataclass(frozen=True)
class Drawing:
    """How a layer is drawn: one options dict per feature (none when tiled)."""

    styles: list[dict[str, Any]]
    spec: dict[str, Any]
    legend: list[LegendEntry]
    legend_extra: str = ""
    """Extra legend HTML (already safe), e.g. a branca colour bar."""
    extra_properties: dict[str, list[Any]] = field(default_factory=dict)


def plan_drawing(source: LayerSource, lang: str) -> Drawing:
    """Return the drawing its style file gives a layer."""
    style, frame = source.style, source.frame
    spec = popup_spec(source.layer, style, lang)
    legend = legend_entries(style, source.classes, lang)
    if frame is None:
        return Drawing([], spec, legend)
    prop = style.classify.property if style.classify is not None else None
    values = frame[prop].tolist() if prop is not None and prop in frame else None
    quality = frame[QUALITY].tolist() if QUALITY in frame else None
    if values is None and quality is None:
        quality = [None] * len(frame)
    styles = feature_styles(style, source.classes, values, quality)
    return Drawing(styles, spec, legend)


def legend_html(title: str, drawing: Drawing, *, open_: bool, lang: str) -> Markup:
    """Return one layer's legend block (a ``<details>``, open for shown layers)."""
    rows = [_row(entry) for entry in drawing.legend]
    dashed = any(s.get("dashArray") for s in drawing.styles[:2000])
    if dashed:
        rows.append(_row(LegendEntry("#555555", text("approximate_legend", lang), "line", "6 4")))
    state = " open" if open_ else ""
    return Markup(
        f'<details class="gs-legend-layer"{state}><summary>{escape(title)}</summary>'
        f"{Markup('').join(rows)}{Markup(drawing.legend_extra)}</details>"
    )


def legend_control_html(blocks: Sequence[Markup], lang: str) -> Markup:
    """Return the legend control's content."""
    title = escape(text("legend", lang))
    body = Markup("").join(blocks)
    return Markup(f"<details open><summary><b>{title}</b></summary>{body}</details>")


def _row(entry: LegendEntry) -> Markup:
    color = escape(entry.color)
    if entry.geometry == "line":
        style = f"border-top-color:{color};"
        if entry.dash:
            style += "border-top-style:dashed;"
        swatch = f'<span class="gs-swatch gs-swatch-line" style="{style}"></span>'
    elif entry.geometry == "point":
        swatch = f'<span class="gs-swatch gs-swatch-point" style="background:{color}"></span>'
    else:
        border = "dashed" if entry.dash else "solid"
        swatch = (
            f'<span class="gs-swatch" style="background:{color};opacity:.8;'
            f'border:1px {border} #555"></span>'
        )
    return Markup(f'<div class="gs-legend-row">{swatch}<span>{escape(entry.label)}</span></div>')
