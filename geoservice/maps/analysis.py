"""Drawings for analysis results: coverage choropleths, uncovered villages, isochrones, Huff.

An analysis result is recognised by its columns (what the processes write):

* polygons with a share (``area_share``, ``covered_share``, ``feature_share``):
  a choropleth, classes by mapclassify (natural breaks), colours and colour
  bar by branca;
* points with ``covered_share``: uncovered ones (share 0) highlighted;
* points with ``off_network`` (any network result): those farther than the snap
  limit from every road drawn hollow and dashed, apart from the uncovered;
* ``minutes``: isochrones coloured by travel time;
* ``most_likely_facility`` / ``max_probability``: Huff probabilities.

Anything else keeps its style file's drawing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from markupsafe import Markup, escape

from geoservice.maps.drawing import Drawing, plan_drawing
from geoservice.maps.i18n import text
from geoservice.maps.popups import popup_spec
from geoservice.maps.sources import LayerSource, is_analysis
from geoservice.maps.style import LegendEntry

SHARE_COLUMNS = ("area_share", "covered_share", "feature_share")
UNCOVERED = {"color": "#000000", "weight": 3, "fillColor": "#d7191c", "fillOpacity": 1.0}
OFF_NETWORK = {
    "color": "#6a3d9a",
    "weight": 2,
    "fillColor": "#ffffff",
    "fillOpacity": 0.2,
    "dashArray": "3 3",
}
HUFF_PALETTE = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf"]
PCT = "_share_pct"


def analysis_drawing(source: LayerSource, lang: str) -> Drawing | None:
    """Return a special drawing for an analysis result, or None to use its style."""
    frame = source.frame
    if not is_analysis(source) or frame is None or frame.empty:
        return None
    geometry = source.style.geometry
    drawing = _drawing(source, lang)
    if geometry == "point" and "off_network" in frame.columns:
        return off_network_points(source, drawing or plan_drawing(source, lang), lang)
    return drawing


def _drawing(source: LayerSource, lang: str) -> Drawing | None:
    frame = source.frame
    geometry = source.style.geometry
    share = next((c for c in SHARE_COLUMNS if c in frame.columns), None)
    if share is not None and geometry == "polygon":
        return choropleth(source, share, lang)
    if share == "covered_share" and geometry == "point":
        return uncovered_points(source, lang)
    if "minutes" in frame.columns and geometry == "polygon":
        return isochrones(source, lang)
    if {"most_likely_facility", "max_probability"} <= set(frame.columns):
        return huff(source, lang)
    return None


def choropleth(source: LayerSource, column: str, lang: str) -> Drawing:
    """Colour units by a share: natural-breaks classes (mapclassify), branca colours."""
    import branca.colormap as cm
    import mapclassify

    values = source.frame[column].astype(float).to_numpy()
    finite = values[np.isfinite(values)]
    k = max(1, min(5, len(np.unique(finite))))
    bins = list(mapclassify.NaturalBreaks(finite, k=k).bins) if k > 1 else [float(finite.max())]
    low = float(min(finite.min(), 0.0))
    colormap = cm.linear.YlGn_09.scale(low, max(bins[-1], low + 1e-9)).to_step(index=[low, *bins])
    colormap.caption = text("share", lang)
    styles = [_share_style(source, colormap, v) for v in values]
    legend, lower = [], low
    for upper in bins:
        colour = colormap(upper)[:7]
        legend.append(LegendEntry(colour, f"{lower:.0%} – {upper:.0%}", "polygon"))
        lower = upper
    pct = [None if not np.isfinite(v) else f"{v:.1%}" for v in values]
    spec = popup_spec(source.layer, source.style, lang, extra={PCT: text("share", lang)})
    return Drawing(styles, spec, legend, _colorbar(colormap), {PCT: pct})


def uncovered_points(source: LayerSource, lang: str) -> Drawing:
    """Keep the coverage colours and highlight the points nobody covers."""
    base = plan_drawing(source, lang)
    shares = source.frame["covered_share"].astype(float).to_numpy()
    styles = [
        {**s, **UNCOVERED, "radius": s.get("radius", 6) * 1.6} if share == 0 else s
        for s, share in zip(base.styles, shares, strict=True)
    ]
    n = int((shares == 0).sum())
    legend = [*base.legend, LegendEntry("#d7191c", f"{text('uncovered', lang)} ({n})", "point")]
    return Drawing(styles, base.spec, legend)


def off_network_points(source: LayerSource, base: Drawing, lang: str) -> Drawing:
    """Draw the points that are not on the network (beyond the snap limit) apart."""
    off = source.frame["off_network"].fillna(False).astype(bool).to_numpy()
    styles = [
        {**s, **OFF_NETWORK, "radius": s.get("radius", 6) * 1.6} if o else s
        for s, o in zip(base.styles, off, strict=True)
    ]
    legend = list(base.legend)
    if legend and legend[-1].label.startswith(text("uncovered", lang)):
        shares = source.frame["covered_share"].astype(float).to_numpy()
        n = int(((shares == 0) & ~off).sum())
        legend[-1] = LegendEntry(legend[-1].color, f"{text('uncovered', lang)} ({n})", "point")
    label = f"{text('off_network', lang)} ({int(off.sum())})"
    legend.append(LegendEntry(OFF_NETWORK["color"], label, "point", OFF_NETWORK["dashArray"]))
    return Drawing(styles, base.spec, legend, base.legend_extra, base.extra_properties)


def isochrones(source: LayerSource, lang: str) -> Drawing:
    """Colour reach polygons by travel time (shorter is darker)."""
    import branca.colormap as cm

    minutes = source.frame["minutes"].astype(float).to_numpy()
    low, high = float(np.nanmin(minutes)), float(np.nanmax(minutes))
    colormap = cm.linear.YlOrRd_09.scale(low, high if high > low else low + 1)
    style = source.style
    styles = [
        {"color": colormap(m)[:7], "weight": style.stroke_width, "opacity": 0.9,
         "fillColor": colormap(m)[:7], "fillOpacity": 0.35, "dashArray": None}
        for m in minutes
    ]  # fmt: skip
    legend = [
        LegendEntry(colormap(m)[:7], text("minutes", lang, n=f"{m:g}"), "polygon")
        for m in sorted(set(minutes[np.isfinite(minutes)]))
    ]
    return Drawing(styles, popup_spec(source.layer, style, lang), legend)


def huff(source: LayerSource, lang: str) -> Drawing:
    """Colour demand points by their most likely facility, size them by its probability."""
    frame = source.frame
    facilities = sorted({str(f) for f in frame["most_likely_facility"].dropna()})
    colour = {f: HUFF_PALETTE[i % len(HUFF_PALETTE)] for i, f in enumerate(facilities)}
    style = source.style
    styles = []
    for facility, p in zip(frame["most_likely_facility"], frame["max_probability"], strict=True):
        p = float(p) if p is not None and np.isfinite(p) else 0.0
        fill = colour.get(str(facility), "#999999")
        styles.append(
            {"color": "#333333", "weight": 1, "opacity": 1, "fillColor": fill,
             "fillOpacity": 0.4 + 0.5 * p, "radius": 4 + 8 * p, "dashArray": None}
        )  # fmt: skip
    legend = [
        LegendEntry(c, f"{text('most_likely', lang)}: {f}", "point") for f, c in colour.items()
    ]
    note = Markup(f'<div class="gs-note">{escape(text("probability", lang))}: ○ → ●</div>')
    return Drawing(styles, popup_spec(source.layer, style, lang), legend, note)


def _share_style(source: LayerSource, colormap: Any, value: float) -> dict[str, Any]:
    style = source.style
    fill = colormap(value)[:7] if np.isfinite(value) else "#cccccc"
    return {
        "color": style.stroke,
        "weight": style.stroke_width,
        "opacity": style.stroke_opacity,
        "fillColor": fill,
        "fillOpacity": max(style.fill_opacity, 0.7),
        "dashArray": None,
    }


def _colorbar(colormap: Any) -> Markup:
    svg = colormap._repr_html_()
    svg = svg.replace('width="450">', 'width="450" viewBox="0 0 450 40" style="width:240px">', 1)
    return Markup(f'<div class="gs-colorbar">{svg}</div>')
