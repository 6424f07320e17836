"""Map products for their users: the industry map, the logistics e-map, the scenic e-guide.

The one-map shows every planning layer to a planner; these pages each show the
few layers one office or one visitor needs (issue 17), drawn with the same
builder (styles, legends, popups, offline assets). The logistics e-map adds
each placed logistics park's catchment by road, computed from the current
layers when the page is built; the scenic e-guide is laid out for a phone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template
from markupsafe import Markup

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.infer import infer_layer
from geoservice.catalog.models import LayerKind, SourceDef, Text
from geoservice.catalog.registry import Catalog
from geoservice.crs import union_boxes
from geoservice.errors import NotFoundError
from geoservice.maps.builder import MapOptions, build_map, render_page
from geoservice.maps.elements import HtmlControl
from geoservice.maps.orientation import in_datum, outline_in_datum, with_context
from geoservice.maps.pages import MapPage, PageCache, page_key
from geoservice.maps.sources import LayerSource, read_sources
from geoservice.maps.style import layer_classes
from geoservice.settings import Settings
from geoservice.storage.base import FeatureStore


@dataclass(frozen=True)
class Product:
    """A map product: its title, the layers it draws and its layout."""

    id: str
    title: Text
    layers: tuple[str, ...]
    note: Text
    compact: bool = False
    """Laid out for a phone: the layer menu and legend fold away."""
    catchments: bool = False
    """Add each placed logistics park's catchment by road."""
    route_planner: bool = False
    """Add the planner of routes between the tourist stops over the roads."""
    focus: tuple[str, ...] = ()
    """Layers whose extent the page opens on (default: every layer's, within the area)."""
    results_of: tuple[str, ...] = ()
    """Processes whose result collections (of the page's study area) the page draws too."""


PRODUCTS: dict[str, Product] = {
    "industry": Product(
        "industry",
        Text(zh="东胜区产业地图", en="Dongsheng industry map"),
        (
            "district",
            "streets_towns",
            "idle_assets",
            "logistics_zones",
            "industrial_parks",
            "enterprises",
            "logistics",
            "commercial_districts",
            "roads",
        ),
        Text(
            zh="企业按产业链、闲置土地楼宇按状态着色；虚线为近似位置。闲置地块的选址单见 "
            "/maps/industry/sites/{编号}。",
            en="Firms coloured by industry chain, idle land and buildings by status; dashed "
            "means approximate. A site's sheet: /maps/industry/sites/{code}.",
        ),
    ),
    "logistics": Product(
        "logistics",
        Text(zh="东胜区电子物流信息地图", en="Dongsheng logistics e-map"),
        ("district", "streets_towns", "logistics_zones", "roads", "logistics", "industrial_parks"),
        Text(
            zh="四级物流体系、方位功能区、集装站与道路；园区服务范围为沿示意路网的驾车时间"
            "（路网为示意线位）。",
            en="The four-tier logistics system, the compass-sector zones, loading stations and "
            "roads; park catchments are driving times along the schematic road layer.",
        ),
        catchments=True,
        results_of=("match_park",),
    ),
    "tourism": Product(
        "tourism",
        Text(zh="东胜区景区电子导览", en="Dongsheng scenic-area e-guide"),
        ("district", "tourism_clusters", "tourist_routes", "tourist_stops", "roads"),
        Text(
            zh="九大文旅集聚区与G210、G109两条精品线路；点击站点查看规划原文与来源。",
            en="The nine culture-tourism clusters and the G210 and G109 featured routes; tap a "
            "stop for what the plan says and its source.",
        ),
        compact=True,
        route_planner=True,
        focus=("tourism_clusters", "tourist_routes", "tourist_stops"),
    ),
}
"""The products, by the path they are served at (``/maps/{id}``)."""

CATCHMENT_MINUTES = (15, 30)
CATCHMENT_SNAP_M = 5_000.0
"""The sample roads are a few schematic lines: a park up to 5 km off them still joins
them (walked, timed), a farther one has no catchment drawn rather than an invented one."""
CATCHMENT_LAYER = "logistics_catchments"


class FocusView(MacroElement):
    """Open on the product's own layers (the base map fitted the whole area first).

    Without ``animate: false`` a second fit after the first is an animated zoom
    that never settles while the page is still loading.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds_json }}, {animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bbox: tuple[float, float, float, float]) -> None:
        super().__init__()
        self._name = "FocusView"
        west, south, east, north = (float(v) for v in bbox)
        self.bounds_json = json.dumps([[south, west], [north, east]])


class PhoneLayout(MacroElement):
    """On a narrow screen, fold the layer menu into its button and close the legend.

    A tourist opens the e-guide on a phone: the map must not sit under an open
    menu. Tapping the layers button opens the menu, tapping the map closes it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            if (!window.matchMedia("(max-width: 640px)").matches) { return; }
            document.querySelectorAll(".leaflet-bottom.leaflet-left .gs-box > details[open]")
                .forEach(function (d) { d.removeAttribute("open"); });
            document.querySelectorAll(".leaflet-control-minimap, .leaflet-control-measure")
                .forEach(function (e) { e.style.display = "none"; });
            document.querySelectorAll(".leaflet-control-layers").forEach(function (c) {
                c.classList.remove("leaflet-control-layers-expanded");
                var toggle = c.querySelector(".leaflet-control-layers-toggle") ||
                    L.DomUtil.create("a", "leaflet-control-layers-toggle", c);
                toggle.href = "#";
                toggle.setAttribute("role", "button");
                toggle.title = {{ this.layers_title|tojson }};
                c.insertBefore(toggle, c.firstChild);
                L.DomEvent.on(toggle, "click", function (e) {
                    L.DomEvent.preventDefault(e);
                    c.classList.add("leaflet-control-layers-expanded");
                });
                map.on("click", function () {
                    c.classList.remove("leaflet-control-layers-expanded");
                });
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, layers_title: str) -> None:
        super().__init__()
        self._name = "PhoneLayout"
        self.layers_title = layers_title


def product(product_id: str) -> Product:
    """Return a product or raise a 404 naming the ones there are."""
    try:
        return PRODUCTS[product_id]
    except KeyError:
        raise NotFoundError(
            f"no map product {product_id!r}; products: {sorted(PRODUCTS)}"
        ) from None


def product_entries(catalog: Catalog, store: FeatureStore, lang: str) -> list[dict]:
    """Entries of the ``/maps`` list for the products that have a layer with data."""
    group = "Map products" if lang == "en" else "专题地图"
    return [
        {"id": p.id, "title": p.title.get(lang), "group": group, "features": None}
        for p in PRODUCTS.values()
        if any(i in catalog and store.has_layer(i) for i in p.layers if i != "district")
    ]


def product_map(
    catalog: Catalog,
    store: FeatureStore,
    options: MapOptions,
    *,
    area: AreaDef,
    product: Product,
    outline: dict | None = None,
) -> MapPage:
    """Return a product's page: its layers that have data, with its note and layout."""
    options.assets.check()
    ids = [i for i in product.layers if i in catalog and store.has_layer(i)]
    ids += result_layer_ids(catalog, store, area, product.results_of)
    sources = read_sources(catalog, store, ids, embed_limit=_embed_limit(options))
    if product.catchments:
        sources = [*sources, *_catchments(catalog, sources)]
    sources = in_datum(sources, options)  # after the catchments: those are measured in WGS84
    lang = options.lang
    m = build_map(
        sources,
        with_context(options, catalog, store, area, area_bounds=area.bounds),
        title=product.title.get(lang),
        outline=outline_in_datum(outline, options),
        show=lambda source: source.count <= options.large_layer_features,
    )
    note = Markup('<div class="gs-note">{}</div>').format(product.note.get(lang))
    m.add_child(HtmlControl(note, position="topright", css_class="gs-box gs-note"))
    focus = union_boxes(s.bbox for s in sources if s.layer.id in product.focus)
    if focus is not None:
        m.add_child(FocusView(focus))
    if product.route_planner:
        planner = _route_planner(sources, area, lang)
        if planner is not None:
            m.add_child(planner)
    if product.compact:
        m.add_child(PhoneLayout("图层" if lang != "en" else "Layers"))
    return render_page(m, options)


def result_layer_ids(
    catalog: Catalog, store: FeatureStore, area: AreaDef, processes: Sequence[str]
) -> list[str]:
    """Return the result collections the ``processes`` wrote for ``area`` (by id)."""
    if not processes:
        return []
    with_data = set(store.layer_ids())
    return sorted(
        layer.id
        for layer in catalog
        if layer.made_by in processes and layer.area == area.id and layer.id in with_data
    )


def product_page(
    pages: PageCache,
    catalog: Catalog,
    store: FeatureStore,
    settings: Settings,
    product_id: str,
    *,
    area: AreaDef,
    lang: str,
    base_url: str,
    outline: dict | None = None,
) -> MapPage:
    """Return a served product page, from ``pages`` unless a layer changed."""
    from geoservice.maps.service import map_options

    chosen = product(product_id)
    options = map_options(settings.maps, lang=lang, service_url=base_url)
    key = page_key(catalog, store, "product", product_id, area.id, lang, base_url)
    return pages.get_or_build(
        key,
        lambda: product_map(catalog, store, options, area=area, product=chosen, outline=outline),
    )


def _catchments(catalog: Catalog, sources: Sequence[LayerSource]) -> list[LayerSource]:
    """Driving-time catchments of the logistics places that have a position, over the roads.

    Symbolic placements (not locations) are left out; with no roads or no placed
    park there is nothing to draw, and no layer is added.
    """
    by_id = {s.layer.id: s for s in sources}
    roads, places = by_id.get("roads"), by_id.get("logistics")
    if roads is None or places is None or roads.frame is None or places.frame is None:
        return []
    placed = places.frame[places.frame["placement_method"] != "rule:symbolic"]
    if placed.empty or roads.frame.empty:
        return []
    from geoservice.analysis.network import build_network, compute_isochrones

    network = build_network(
        roads.frame, profile="drive", class_col="road_class", speed_col="speed_kmh",
        split_crossings=True,
    )  # fmt: skip
    placed = placed.set_index("code", drop=False)
    result = compute_isochrones(
        network, placed, minutes=CATCHMENT_MINUTES, per_facility=True, max_snap_m=CATCHMENT_SNAP_M
    )
    frame = result.isochrones.to_crs("EPSG:4326")
    frame = frame[~frame.geometry.is_empty]
    if frame.empty:
        return []
    frame = gpd.GeoDataFrame(frame[["facility", "minutes", "geometry"]], geometry="geometry")
    names = placed["name_zh"].to_dict()
    pairs = list(zip(frame["facility"], frame["minutes"], strict=True))
    frame["name_zh"] = [f"{names.get(f, f)}：{m:g} 分钟驾车范围" for f, m in pairs]
    frame["name_en"] = [f"{f}: {m:g} min drive" for f, m in pairs]
    frame["source"] = "computed from the roads and logistics layers (schematic roads)"
    frame["geometry_quality"] = "approximate"
    title = Text(
        zh="物流园区驾车服务范围（示意路网）", en="Park catchments by car (schematic roads)"
    )
    layer = infer_layer(
        CATCHMENT_LAYER,
        frame,
        title=title,
        kind=LayerKind.analysis_result,
        source=SourceDef(description="Isochrones of the placed logistics places over roads"),
    )
    style = catalog.styles["analysis_result"]
    bbox = tuple(float(v) for v in frame.total_bounds)
    classes = layer_classes(style, None)
    return [LayerSource(layer, style, len(frame), 0, bbox, frame, classes)]


def _route_planner(sources: Sequence[LayerSource], area: AreaDef, lang: str):
    """The stops' route planner, when the page has the stops and the roads embedded."""
    from geoservice.maps.route_planner import RoutePlanner, stop_routes

    by_id = {s.layer.id: s for s in sources}
    stops, roads = by_id.get("tourist_stops"), by_id.get("roads")
    if stops is None or roads is None or stops.frame is None or roads.frame is None:
        return None
    routes = stop_routes(stops.frame, roads.frame, crs=area.metric_crs_for(area.bounds))
    return RoutePlanner(routes, lang)


def _embed_limit(options: MapOptions) -> int | None:
    return options.large_layer_features if options.service_url is not None else None
