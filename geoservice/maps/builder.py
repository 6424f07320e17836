"""Compose a Folium map: layers, grouped layer control, plugins, legend, panels.

No FastAPI and no store here: :mod:`geoservice.maps.service` reads the layers
and calls :func:`build_map`; :func:`render_page` turns the map into a page
(vendored JS/CSS linked from the service, or inlined for a standalone file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import shapely
import shapely.geometry
from markupsafe import Markup, escape

from geoservice.csp import Policies
from geoservice.maps.analysis import analysis_drawing
from geoservice.maps.assets import (
    Assets,
    inline_assets,
    localize,
    nonce_scripts,
    own_script,
    own_style,
)
from geoservice.maps.basemaps import GCJ02, TIANDITU, online_tiles, tianditu_url
from geoservice.maps.branca_text import keep_written_text
from geoservice.maps.context import ContextMap
from geoservice.maps.drawing import Drawing, legend_control_html, legend_html, plan_drawing
from geoservice.maps.elements import (
    ContextBase,
    HtmlControl,
    LanguageSwitch,
    NameSearch,
    OutlineMiniMap,
    Ready,
)
from geoservice.maps.i18n import group_name, text
from geoservice.maps.indicators import PlanIndicators, indicators_html
from geoservice.maps.layers import DrawnLayer, LayerOptions, add_layer, map_tiles_url
from geoservice.maps.pages import MapPage, new_slot
from geoservice.maps.quality import (
    legend_with_quality,
    not_located_drawing,
    not_located_html,
    not_located_name,
    split_not_located,
)
from geoservice.maps.sources import LayerSource, is_analysis, union_bbox
from geoservice.maps.style import LegendEntry

TILES_PREFIX = "tiles:"
WORLD_VIEW = (-180.0, -60.0, 180.0, 75.0)
"""Shown only when neither the layers nor the study area place the map."""


@dataclass(frozen=True)
class MapOptions:
    """How a map page is made (language, assets, base map, large-layer policy)."""

    lang: str = "zh"
    assets: Assets = field(default_factory=Assets)
    service_url: str | None = None
    basemap: str = "none"
    basemap_attribution: str = ""
    basemap_datum: str = "wgs84"
    tianditu_key: str | None = None
    show_context: bool = True
    context: ContextMap | None = None
    """The offline base map (None: not drawn)."""
    large_layer_features: int = 5_000
    cluster_points_at: int = 3
    max_zoom: int = 18
    focus_large: bool = False
    area_bounds: tuple[float, float, float, float] | None = None
    """Where the map opens when no layer has data (the study area's declared bounds)."""

    @property
    def layer_options(self) -> LayerOptions:
        """Return the part deciding how each layer is drawn."""
        return LayerOptions(
            self.assets,
            self.service_url,
            self.large_layer_features,
            self.cluster_points_at,
            lang=self.lang,
            focus_large=self.focus_large,
        )

    def basemap_url(self) -> str | None:
        """Return the XYZ template of the base map, or None (none, or tiles without a server)."""
        if self.basemap in ("", "none"):
            return None
        if self.basemap == TIANDITU:
            return tianditu_url("vec", self.tianditu_key) if self.tianditu_key else None
        if self.basemap.startswith(TILES_PREFIX):
            if self.service_url is None:
                return None
            layer_id = self.basemap.removeprefix(TILES_PREFIX)
            return map_tiles_url(self.service_url, layer_id)
        return self.basemap


def default_visibility(options: MapOptions) -> Callable[[LayerSource], bool]:
    """Show planning layers; leave analysis results and large layers for the planner to add."""
    return lambda s: not is_analysis(s) and s.count <= options.large_layer_features


def build_map(
    sources: Sequence[LayerSource],
    options: MapOptions,
    *,
    title: str,
    outline: dict | None = None,
    indicators: Sequence[PlanIndicators] = (),
    show: Callable[[LayerSource], bool] | None = None,
):
    """Return a Folium map of ``sources`` (drawn in the order given)."""
    keep_written_text()  # before any element is rendered: see branca_text
    m = _base_map(sources, options, outline, title)
    show = show or default_visibility(options)
    lang = options.lang
    drawn: list[tuple[LayerSource, DrawnLayer]] = []
    legends: list[Markup] = []
    sources, not_located = split_not_located(sources)
    for source in sources:
        drawing = analysis_drawing(source, lang) or plan_drawing(source, lang)
        visible = show(source)
        name = source.layer.title.get(lang)
        drawn.append((source, add_layer(m, source, drawing, options.layer_options,
                                        name=name, show=visible)))  # fmt: skip
        legend = legend_html(name, drawing, open_=visible, lang=lang)
        legends.append(legend_with_quality(legend, source, lang))
    for source in not_located:  # symbolic positions: hollow, off by default, listed
        layer = add_layer(m, source, not_located_drawing(source, lang), options.layer_options,
                          name=not_located_name(source, lang), show=False)  # fmt: skip
        # not searchable: a search would fly to the reference point, a false position
        drawn.append((source, replace(layer, group=text("not_located", lang), searchable=None)))
    base = _context(m, options)
    if base is not None:
        legends.append(context_legend(lang))
    _controls(m, drawn, options, title=title, outline=outline, base=base)
    m.add_child(HtmlControl(legend_control_html(legends, lang), position="bottomleft"))
    if not_located:
        panel = not_located_html(not_located, lang)
        m.add_child(HtmlControl(panel, position="bottomleft", css_class="gs-box gs-not-located"))
    if options.basemap_datum == GCJ02 and options.basemap_url() is not None:
        m.add_child(HtmlControl(_gcj02_note(drawn, lang), position="bottomleft",
                                css_class="gs-box gs-datum"))  # fmt: skip
    if indicators:
        panel = indicators_html(indicators, lang)
        m.add_child(HtmlControl(panel, position="bottomright", css_class="gs-box gs-indicators"))
    m.add_child(Ready())
    return m


def render_page(m, options: MapOptions) -> MapPage:
    """Return the page of map ``m``; inline every asset when there is no server.

    The page is put together here rather than by Folium's figure template (see
    :func:`written` for why), so that the inline scripts the builder writes
    (Folium's map script, its global switches, ``gsmaps.js`` and, in an export,
    the vendored libraries) and only those carry the page's nonce slot: the
    parts holding data (the title, the map script's JSON) are never searched
    for ``<script>``. A standalone file states its own Content-Security-Policy
    in a ``<meta>`` (served pages get theirs as a header,
    :mod:`geoservice.api.security`).
    """
    root = m.get_root()
    for child in root._children.values():
        child.render()
    slot = new_slot()
    header = nonce_scripts(written(root.header), slot)  # Folium's: no data in it
    meta = ""
    if options.assets.base_url is None:
        header = inline_assets(header, options.assets.vendor_dir, nonce=slot)
        policy = Policies.of(basemap=options.basemap_url()).export(slot)
        meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(policy)}">\n'
    lang = "en" if options.lang == "en" else "zh-CN"
    title = escape(root.title or "")
    html = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n'
        f"<head>\n{meta}<title>{title}</title>\n"
        f"{header}\n{own_style()}\n{own_script(slot)}\n</head>\n<body>\n"
        f"{written(root.html)}\n"
        f'<script nonce="{slot}">\n{written(root.script)}\n</script>\n</body>\n</html>\n'
    )
    return MapPage.of(html, slot)


def written(part) -> str:
    """Return what the elements of a figure part (header, html, script) wrote, as written.

    branca keeps each element's rendered macro as the *source* of a new Jinja
    template and renders that again with the page: data in it (``{{ ... }}`` in
    a feature name) would be evaluated on the server, which is remote code
    execution with an unsandboxed Jinja (:mod:`geoservice.maps.branca_text`).
    The text each element wrote (``_template_str``) is used as it is; only
    elements that are templates of the library's own (script and stylesheet
    links) are rendered.
    """
    out = []
    for child in part._children.values():
        text = getattr(child, "_template_str", None)
        out.append(text if text is not None and not child._children else child.render())
    return "\n".join(out)


def _base_map(
    sources: Sequence[LayerSource], options: MapOptions, outline: dict | None, title: str
):
    import folium

    west, south, east, north = _view(sources, outline, options.area_bounds)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        max_zoom=options.max_zoom,
        font_size="12px",
    )
    m.options["maxZoom"] = options.max_zoom  # tiles=None drops it; clusters need it
    localize(m, options.assets)
    m.get_root().title = escape(f"{title} · {text('maps', options.lang)}")
    for tiles in _online_tiles(options):
        folium.TileLayer(
            tiles.url, attr=tiles.attribution, name="basemap", control=False,
            subdomains=tiles.subdomains, max_zoom=options.max_zoom,
        ).add_to(m)  # fmt: skip
    m.fit_bounds([[south, west], [north, east]])
    return m


def _view(
    sources: Sequence[LayerSource], outline: dict | None, area_bounds: tuple | None
) -> tuple[float, ...]:
    """Return the extent to show: the layers', within the study area when they reach past it."""
    extent = union_bbox(sources) or area_bounds or WORLD_VIEW
    if outline is None:
        return extent
    study = shapely.bounds(shapely.geometry.shape(outline["geometry"])).tolist()
    inner = (max(extent[0], study[0]), max(extent[1], study[1]),
             min(extent[2], study[2]), min(extent[3], study[3]))  # fmt: skip
    return inner if inner[0] < inner[2] and inner[1] < inner[3] else extent


def _online_tiles(options: MapOptions):
    """Return the online base map's tile layers (this service's own tiles included)."""
    if options.basemap.startswith(TILES_PREFIX):
        url = options.basemap_url()
        return [] if url is None else online_tiles(url, attribution=options.basemap_attribution,
                                                   tianditu_key=None)  # fmt: skip
    return online_tiles(
        options.basemap, attribution=options.basemap_attribution, tianditu_key=options.tianditu_key
    )


def _context(m, options: MapOptions):
    """Add the offline base map under the layers; return it (None when there is none)."""
    context = options.context
    if context is None or context.is_empty():
        return None
    base = ContextBase(
        context.to_json(),
        name=text("context", options.lang),
        attribution="; ".join(context.sources),
        over_tiles=options.basemap_url() is not None,
    )
    localize(base, options.assets)
    m.add_child(base)
    return base


def context_legend(lang: str) -> Markup:
    """Return the offline base map's legend block (closed: it is the background)."""
    entries = [
        LegendEntry("#ffffff", text("context_study", lang), "polygon"),
        LegendEntry("#e2dfd5", text("context_neighbours", lang), "polygon"),
        LegendEntry("#b5ab98", text("context_units", lang), "line", "4 3"),
        LegendEntry("#e8a33d", text("context_roads", lang), "line"),
    ]
    return legend_html(text("context", lang), Drawing([], {}, entries), open_=False, lang=lang)


def _gcj02_note(drawn, lang: str) -> Markup:
    """Say the data are shifted into GCJ-02, and name the tiled layers that are not."""
    lines = [text("gcj02_shift", lang)]
    for source, layer in drawn:
        if layer.how == "tiles":
            lines.append(text("gcj02_tiled", lang, layer=source.layer.title.get(lang)))
    return Markup("<br>").join(escape(line) for line in lines)


def _controls(
    m, drawn, options: MapOptions, *, title: str, outline: dict | None, base=None
) -> None:
    from folium.plugins import Fullscreen, GroupedLayerControl, MeasureControl

    lang = options.lang
    m.add_child(HtmlControl(Markup(f'<div class="gs-title">{escape(title)}</div>'),
                            position="topright"))  # fmt: skip
    m.add_child(LanguageSwitch(lang))
    groups: dict[str, list] = {}
    if base is not None:
        groups[text("basemap", lang)] = [base]
    for source, layer in drawn:
        group = layer.group or group_name(source.layer.kind, lang)
        groups.setdefault(group, []).append(layer.element)
    control = GroupedLayerControl(groups, exclusive_groups=False, collapsed=False)
    # The control writes group and layer names with innerHTML: a title from an upload
    # ("<img src=x onerror=...>") must reach it as text, so it is HTML-escaped here.
    control.grouped_overlays = {
        str(escape(group)): {str(escape(name)): var for name, var in items.items()}
        for group, items in control.grouped_overlays.items()
    }
    for plugin in (
        control,
        Fullscreen(title=text("fullscreen", lang), title_cancel=text("exit_fullscreen", lang)),
        MeasureControl(position="topleft", primary_length_unit="meters",
                       secondary_length_unit="kilometers", primary_area_unit="sqmeters",
                       secondary_area_unit="hectares"),
        OutlineMiniMap(outline, tiles_url=options.basemap_url(),
                       style={"color": "#7b3294", "weight": 1, "fillOpacity": 0.1}),
    ):  # fmt: skip
        localize(plugin, options.assets)
        m.add_child(plugin)
    searchable = [layer.searchable for _, layer in drawn if layer.searchable is not None]
    if searchable:
        search = NameSearch(
            searchable,
            property="name_en" if lang == "en" else "name_zh",
            placeholder=text("search", lang),
            not_found=text("not_found", lang),
        )
        localize(search, options.assets)
        m.add_child(search)
