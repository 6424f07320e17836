"""Drawings for analysis results: coverage choropleths, uncovered villages, isochrones, Huff.

An analysis result is recognised by its columns (what the processes write):

* polygons with a share (``area_share``, ``covered_share``, ``feature_share``):
  a choropleth, classes by mapclassify (natural breaks), colours and colour
  bar by branca;
* points with ``covered_share``: uncovered ones (share 0) highlighted;
* points with ``off_network`` (any network result): those farther than the snap
  limit from every road drawn hollow and dashed, apart from the uncovered;
* ``minutes``: isochrones coloured by travel time;
* ``most_likely_facility`` / ``max_probability``: Huff probabilities, the legend
  naming each facility (``most_likely_name_zh``/``_en``, written by the process);
* ``access`` (2SFCA demand) and ``ratio`` (2SFCA supply): classed values;
* ``site`` (siting demand): coloured by the site serving it, named, the
  unserved apart; ``selected`` (siting sites): existing and new sites apart.

Anything else keeps its style file's drawing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from markupsafe import Markup, escape

from geoservice.maps.classed import colour_bar, natural_classes, number, percent
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
SITE_PALETTE = [c for c in HUFF_PALETTE if c != "#e41a1c"]
"""Sites serving demand: no red, which marks the unserved."""
PCT = "_share_pct"
MISSING = "#cccccc"


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
    columns = set(frame.columns)
    if {"most_likely_facility", "max_probability"} <= columns:
        return huff(source, lang)
    if "access" in columns:
        return classed(source, "access", text("access", lang), lang, palette="YlGnBu_09")
    if {"ratio", "catchment_population"} <= columns:
        return classed(source, "ratio", text("ratio", lang), lang, palette="PuBu_09")
    if {"site", "reachable"} <= columns:
        return served_by_site(source, lang)
    if {"selected", "existing"} <= columns:
        return chosen_sites(source, lang)
    return None


def choropleth(source: LayerSource, column: str, lang: str) -> Drawing:
    """Colour units by a share: natural-breaks classes (mapclassify), branca colours."""
    values = source.frame[column].astype(float).to_numpy()
    classes = natural_classes(values, "YlGn_09", low=0.0)
    caption = text("share", lang)
    styles = [_share_style(source, classes.colour_of(v)) for v in values]
    legend = [
        LegendEntry(colour, label, "polygon")
        for colour, label in zip(classes.colours, classes.ranges(percent), strict=True)
    ]
    pct = [None if not np.isfinite(v) else f"{v:.1%}" for v in values]
    spec = popup_spec(source.layer, source.style, lang, extra={PCT: caption})
    return Drawing(styles, spec, legend, colour_bar(classes, percent, caption), {PCT: pct})


def classed(source: LayerSource, column: str, caption: str, lang: str, *, palette: str) -> Drawing:
    """Colour points or polygons by a numeric result in natural-breaks classes."""
    values = source.frame[column].astype(float).to_numpy()
    classes = natural_classes(values, palette)
    geometry = "point" if source.style.geometry == "point" else "polygon"
    if classes is None:
        return plan_drawing(source, lang)
    styles = [_class_style(source, classes.colour_of(v), geometry) for v in values]
    legend = [
        LegendEntry(colour, label, geometry)
        for colour, label in zip(classes.colours, classes.ranges(number), strict=True)
    ]
    if not np.isfinite(values).all():
        n = int((~np.isfinite(values)).sum())
        legend.append(LegendEntry(MISSING, f"{text('no_value', lang)} ({n})", geometry))
    spec = popup_spec(source.layer, source.style, lang)
    return Drawing(styles, spec, legend, colour_bar(classes, number, caption))


def served_by_site(source: LayerSource, lang: str) -> Drawing:
    """Colour demand by the site serving it (named); the unserved in red, apart."""
    frame = source.frame
    names = _names(frame, "site", "site_name", lang)
    if "covered" in frame:  # MCLP: a site beyond the service distance does not serve
        covered = frame["covered"].fillna(False).astype(bool).tolist()
        names = [n if c else None for n, c in zip(names, covered, strict=True)]
    labels = sorted({n for n in names if n is not None})
    colour = {n: SITE_PALETTE[i % len(SITE_PALETTE)] for i, n in enumerate(labels)}
    geometry = "point" if _points(source) else "polygon"
    styles = []
    for name in names:
        style = _class_style(source, colour.get(name, UNCOVERED["fillColor"]), geometry)
        if name is None:
            style.update({"color": UNCOVERED["color"], "weight": 2})
        styles.append(style)
    served = text("served_by", lang)
    legend = [LegendEntry(c, f"{served}: {n}", geometry) for n, c in colour.items()]
    unserved = names.count(None)
    if unserved:
        label = f"{text('not_served', lang)} ({unserved})"
        legend.append(LegendEntry(UNCOVERED["fillColor"], label, geometry))
    return Drawing(styles, popup_spec(source.layer, source.style, lang), legend)


def chosen_sites(source: LayerSource, lang: str) -> Drawing:
    """Draw the sites a siting model chose: existing ones and new ones apart."""
    frame = source.frame
    existing = frame["existing"].fillna(False).astype(bool).to_numpy()
    selected = frame["selected"].fillna(False).astype(bool).to_numpy()
    kinds = [
        ("existing_site", "#4d4d4d"),
        ("new_site", "#e66101"),
        ("not_chosen", "#bdbdbd"),
    ]
    which = np.where(existing, 0, np.where(selected, 1, 2))
    styles = [
        {**_class_style(source, kinds[k][1], "point"), "radius": 9 if k < 2 else 5} for k in which
    ]
    legend = [
        LegendEntry(colour, f"{text(key, lang)} ({int((which == k).sum())})", "point")
        for k, (key, colour) in enumerate(kinds)
        if (which == k).any()
    ]
    return Drawing(styles, popup_spec(source.layer, source.style, lang), legend)


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
    names = _names(frame, "most_likely_facility", "most_likely_name", lang)
    facilities = sorted({n for n in names if n is not None})
    colour = {f: HUFF_PALETTE[i % len(HUFF_PALETTE)] for i, f in enumerate(facilities)}
    style = source.style
    styles = []
    for name, p in zip(names, frame["max_probability"], strict=True):
        p = float(p) if p is not None and np.isfinite(p) else 0.0
        fill = colour.get(name, "#999999")
        styles.append(
            {"color": "#333333", "weight": 1, "opacity": 1, "fillColor": fill,
             "fillOpacity": 0.4 + 0.5 * p, "radius": 4 + 8 * p, "dashArray": None}
        )  # fmt: skip
    legend = [
        LegendEntry(c, f"{text('most_likely', lang)}: {f}", "point") for f, c in colour.items()
    ]
    note = Markup(f'<div class="gs-note">{escape(text("probability", lang))}: ○ → ●</div>')
    return Drawing(styles, popup_spec(source.layer, style, lang), legend, note)


def _names(frame, id_column: str, name_prefix: str, lang: str) -> list[str | None]:
    """Return the name of each row's facility in ``lang`` where the result has it, else its id."""
    ids = frame[id_column].tolist()
    first, second = (f"{name_prefix}_en", f"{name_prefix}_zh")
    if lang != "en":
        first, second = second, first
    out = []
    for i, ident in enumerate(ids):
        name = None
        for column in (first, second):
            if column in frame and isinstance(frame[column].iloc[i], str) and frame[column].iloc[i]:
                name = frame[column].iloc[i]
                break
        out.append(name or (None if ident is None or ident != ident else str(ident)))
    return out


def _points(source: LayerSource) -> bool:
    return source.style.geometry == "point"


def _class_style(source: LayerSource, fill: str | None, geometry: str) -> dict[str, Any]:
    """Return a classed feature's options: filled points, or filled polygons with an outline."""
    colour = fill or MISSING
    if geometry == "point":
        return {"color": "#333333", "weight": 1, "opacity": 1, "fillColor": colour,
                "fillOpacity": 0.9, "radius": 7, "dashArray": None}  # fmt: skip
    style = source.style
    return {"color": style.stroke, "weight": style.stroke_width, "opacity": style.stroke_opacity,
            "fillColor": colour, "fillOpacity": 0.75, "dashArray": None}  # fmt: skip


def _share_style(source: LayerSource, fill: str | None) -> dict[str, Any]:
    style = source.style
    fill = fill or MISSING
    return {
        "color": style.stroke,
        "weight": style.stroke_width,
        "opacity": style.stroke_opacity,
        "fillColor": fill,
        "fillOpacity": max(style.fill_opacity, 0.7),
        "dashArray": None,
    }
