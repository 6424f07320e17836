"""What a popup and a tooltip show for a layer: names and the important attributes.

The page builds popups from a *spec* (fields and their labels) and each
feature's raw properties with ``textContent`` (``gsmaps.js``), so attribute
values from uploads can never inject HTML. The same spec serves embedded
features and features fetched from the items API on a click.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geoservice.catalog.models import LayerDef, StyleDef
from geoservice.catalog.vocabulary import (
    TRANSLATED,
    placement_notes,
    shown_attributes,
    value_labels,
)
from geoservice.maps.i18n import text

NAME_FIELDS = ("name_zh", "name_en")
QUALITY = "geometry_quality"
SOURCE = "source"
METHOD = "placement_method"
PLACEMENT = "placement"
EXPLAINING = ("placement_method", "placement", "seat_method")
"""Attributes telling how an approximate position was obtained: always shown."""
MAX_FIELDS = 10
AREA_SUFFIX = "area_m2"
"""Attributes holding an area in m²: shown in km², with ≈ on an approximate outline."""


def popup_fields(layer: LayerDef, style: StyleDef | None = None) -> list[str]:
    """Return the attributes a popup lists, most important first.

    The key, the attribute the style classifies by, the layer's tile attributes
    (its curated short list) and the placement explanations; names are the
    popup's title, not rows.
    """
    names = set(layer.attribute_names)
    wanted: list[str | None] = [layer.key]
    if style is not None and style.classify is not None:
        wanted.append(style.classify.property)
    wanted += list(layer.tiles.attributes or layer.attribute_names)
    wanted += [*EXPLAINING, *sorted(n for n in names if n.endswith(AREA_SUFFIX)), QUALITY]
    skip = {*NAME_FIELDS, SOURCE, *TRANSLATED.values()}  # twins show in their field's row
    fields: list[str] = []
    for name in wanted:
        if name and name in names and name not in skip and name not in fields:
            fields.append(name)
    fields = fields[:MAX_FIELDS]
    return [*fields, SOURCE] if SOURCE in names else fields


def popup_spec(
    layer: LayerDef, style: StyleDef | None, lang: str, *, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return the JSON spec ``gsmaps.js`` builds popups and tooltips from.

    ``extra`` adds computed properties (name → label), e.g. an analysis share. A
    field with a Chinese twin (``placement`` → ``placement_zh``) carries it third:
    a Chinese popup shows the twin's text where the feature has one.
    """
    fields = popup_fields(layer, style)
    twins = dict(shown_attributes(layer.attribute_names, lang))
    labels = [_label(layer, f, lang) for f in fields]
    rows = [
        [f, label, twins[f]] if twins.get(f) else [f, label]
        for f, label in zip(fields, labels, strict=True)
    ]
    for name, label in (extra or {}).items():
        rows.append([name, label])
    title, subtitle = ("name_en", "name_zh") if lang == "en" else ("name_zh", "name_en")
    return {
        "layer": layer.title.get(lang),
        "title": title,
        "subtitle": subtitle,
        "fields": rows,
        "quality": QUALITY,
        "note": text("approximate", lang),
        "symbolic_note": text("symbolic_note", lang),
        "areas": [r[0] for r in rows if r[0].endswith(AREA_SUFFIX)],
        "area_label": text("area", lang),
        "approx_area": text("approx_area", lang, v="{v}"),
        "values": value_labels(lang),
        "method": METHOD,
        "methodNotes": placement_notes(lang),
        "source": SOURCE,
        "citation": _citation(layer, lang),
        "citationUrl": _citation_url(layer),
        "yes": text("yes", lang),
        "no": text("no", lang),
        "querying": text("querying", lang),
        "nothing": text("nothing_here", lang),
        "more": text("more", lang, n="{n}"),
    }


def placement_lookup(layers: Iterable[LayerDef], base_url: str, lang: str) -> dict[str, Any]:
    """Return where the MapLibre preview finds a feature's placement note, per layer.

    Only layers that say how their features were placed (``placement`` or
    ``placement_method``) are listed. The note is long free text the tiles
    usually leave out (``tiles.attributes``), so the page asks the items API
    (``items``) for the clicked feature, reads ``twin`` first (``placement_zh``
    on a Chinese page, as the Leaflet popups do) and else ``field``; a feature
    with neither shows the note of its ``placement_method`` (``methodNotes``).
    ``label`` titles the row: 定位说明 / How it was placed; ``hide`` names the
    tile attributes not listed as rows of their own (the note, its twin).
    """
    specs: dict[str, Any] = {}
    for layer in layers:
        names = set(layer.attribute_names)
        if not names & {PLACEMENT, METHOD}:
            continue
        attribute = layer.attribute(PLACEMENT)
        title = attribute.title if attribute is not None else None
        specs[layer.id] = {
            "field": PLACEMENT if attribute is not None else None,
            "twin": dict(shown_attributes(layer.attribute_names, lang)).get(PLACEMENT),
            "items": f"{base_url}/collections/{layer.id}/items" if attribute else None,
            "label": title.get(lang) if title is not None else text("how_placed", lang),
            "method": METHOD,
            "hide": [n for n in (PLACEMENT, TRANSLATED[PLACEMENT]) if n in names],
        }
    return specs


def embedded_properties(layer: LayerDef, style: StyleDef | None) -> list[str]:
    """Return the attributes embedded with each feature (the rest stay on the server):
    a popup's fields with their Chinese twins, so one page serves both languages'
    popups from the same data."""
    fields = popup_fields(layer, style)
    keep = [*NAME_FIELDS, *fields, *(TRANSLATED[f] for f in fields if f in TRANSLATED), QUALITY]
    names = set(layer.attribute_names)
    return list(dict.fromkeys(a for a in keep if a in names))


def _citation(layer: LayerDef, lang: str) -> str:
    """Return the layer's citation: attribution, licence, what the data are."""
    source = layer.source
    parts = [source.attribution or source.description]
    if source.license:
        parts.append(source.license)
    return text("citation", lang) + "; ".join(p for p in parts if p)


def _citation_url(layer: LayerDef) -> str | None:
    url = layer.source.url
    return url if url and url.startswith(("https://", "http://")) else None


def _label(layer: LayerDef, name: str, lang: str) -> str:
    attribute = layer.attribute(name)
    if attribute is not None and attribute.title is not None:
        return attribute.title.get(lang)
    return name
