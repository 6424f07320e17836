"""What a map says about how much to trust its positions.

* Symbolic positions (``placement_method = rule:symbolic``: no known location,
  drawn at the urban-core reference point) are taken out of their layer and
  drawn apart: hollow, dashed markers in a "not located" group that is off by
  default, and listed by name beside the map, so that nothing appears at a
  false position unless the planner asks for it.
* An analysis result that carries ``data_quality`` (how its inputs were
  located, :mod:`geoservice.quality`) shows it in its legend block.

Texts come from :mod:`geoservice.maps.i18n`; everything is escaped here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from markupsafe import Markup

from geoservice.maps.drawing import Drawing, plan_drawing
from geoservice.maps.i18n import input_name, text
from geoservice.maps.sources import LayerSource, is_analysis
from geoservice.quality import is_symbolic

HOLLOW = {
    "color": "#555555",
    "weight": 2,
    "opacity": 1.0,
    "fillColor": "#ffffff",
    "fillOpacity": 0.0,
    "dashArray": "3 3",
}
"""A symbolic position: an empty, dashed ring (not a located point)."""
CLASSES = ("sourced", "proxy", "rule_placed", "symbolic", "unknown")


def split_not_located(
    sources: Sequence[LayerSource],
) -> tuple[list[LayerSource], list[LayerSource]]:
    """Return the sources without their symbolic features, and those features as sources.

    Only embedded planning layers are split (a tiled layer draws its symbolic
    features dashed, from the tiles); analysis results are left as they are.
    """
    located, not_located = [], []
    for source in sources:
        frame = source.frame
        if frame is None or is_analysis(source) or frame.empty:
            located.append(source)
            continue
        symbolic = is_symbolic(frame).to_numpy()
        if not symbolic.any():
            located.append(source)
            continue
        kept = frame[~symbolic]
        located.append(replace(source, frame=kept, count=len(kept)))
        not_located.append(replace(source, frame=frame[symbolic], count=int(symbolic.sum())))
    return located, not_located


def not_located_drawing(source: LayerSource, lang: str) -> Drawing:
    """Return the drawing of symbolic features: the layer's popups, hollow dashed markers."""
    base = plan_drawing(source, lang)
    radius = source.style.radius
    styles = [{**style, **HOLLOW, "radius": radius} for style in base.styles]
    return Drawing(styles, base.spec, [], "")


def not_located_name(source: LayerSource, lang: str) -> str:
    """Return the layer-control name of a layer's symbolic features."""
    return text("not_located_layer", lang, layer=source.layer.title.get(lang))


def not_located_html(sources: Sequence[LayerSource], lang: str) -> Markup:
    """Return the panel listing every symbolic feature by layer, with what it means."""
    name_field = "name_en" if lang == "en" else "name_zh"
    blocks = []
    for source in sources:
        frame = source.frame
        names = frame[name_field] if name_field in frame else frame.index.to_series()
        items = Markup("").join(Markup("<li>{}</li>").format(str(n)) for n in names.tolist())
        title = source.layer.title.get(lang)
        blocks.append(
            Markup("<div><b>{}</b> ({})<ul>{}</ul></div>").format(title, len(frame), items)
        )
    return Markup(
        '<details class="gs-not-located" open><summary><b>{}</b></summary>'
        '<div class="gs-note">{}</div>{}</details>'
    ).format(
        text("not_located", lang),
        text("not_located_note", lang),
        Markup("").join(blocks),
    )


def data_quality_html(data_quality: Mapping[str, Any] | None, lang: str) -> Markup:
    """Return a result's data-quality block (empty when the result carries none)."""
    if not data_quality or not isinstance(data_quality.get("inputs"), Mapping):
        return Markup("")
    rows = []
    for name, counts in data_quality["inputs"].items():
        parts = [
            text(f"dq_{key}", lang, n=int(counts.get(key, 0))) for key in CLASSES if counts.get(key)
        ]
        layer = f" ({counts['collection']})" if counts.get("collection") else ""
        used = text("dq_used", lang, used=int(counts.get("used", 0)), n=int(counts["features"]))
        rows.append(
            Markup('<div class="gs-dq-row"><b>{}</b>{}: {}; {}</div>').format(
                input_name(name, lang), layer, used, " · ".join(parts)
            )
        )
    totals = data_quality.get("totals", {})
    excluded = int(totals.get("excluded_symbolic", 0))
    warnings = []
    if excluded:
        warnings.append(text("dq_excluded", lang, n=excluded))
    elif data_quality.get("include_symbolic") and totals.get("symbolic"):
        warnings.append(text("dq_included", lang, n=int(totals["symbolic"])))
    if totals.get("approximate_outlines"):
        warnings.append(text("dq_outlines", lang, n=int(totals["approximate_outlines"])))
    notes = Markup("").join(Markup('<div class="gs-approx">⚠ {}</div>').format(w) for w in warnings)
    return Markup(
        '<div class="gs-data-quality"><div class="gs-dq-title">{}</div>{}{}</div>'
    ).format(text("data_quality", lang), Markup("").join(rows), notes)


def quality_rows(counts: Mapping[str, Any] | None, lang: str) -> str:
    """Return one line of counts by class (``3 sourced · 8 symbolic``), for panels."""
    if not counts:
        return ""
    return " · ".join(
        text(f"dq_{key}", lang, n=int(counts.get(key, 0))) for key in CLASSES if counts.get(key)
    )


def legend_with_quality(legend: Markup, source: LayerSource, lang: str) -> Markup:
    """Return a layer's legend block with its data-quality block added inside it."""
    block = data_quality_html(source.layer.data_quality, lang)
    if not block:
        return legend
    if "</details>" not in legend:
        return legend + block
    head, tail = str(legend).rsplit("</details>", 1)
    return Markup(head) + block + Markup("</details>" + tail)
