"""Map pages from the catalogue and the store: the one-map, one layer, the map list, exports.

Entry points for the HTTP routes and the CLI; everything else in
``geoservice.maps`` is pure. Folium is imported only when a map is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.models import LayerDef, StyleDef, Text
from geoservice.catalog.registry import Catalog
from geoservice.ingest.previews import Preview
from geoservice.maps.assets import Assets
from geoservice.maps.basemaps import shift_to_basemap
from geoservice.maps.builder import MapOptions, build_map, render_page
from geoservice.maps.i18n import group_name, text
from geoservice.maps.indicators import PlanIndicators, plan_indicators
from geoservice.maps.orientation import in_datum, with_context
from geoservice.maps.pages import MapPage, PageCache, new_nonce, page_key
from geoservice.maps.sources import (
    LayerSource,
    planning_layer_ids,
    read_sources,
    study_area,
)
from geoservice.quality import METHOD, QUALITY, SYMBOLIC, SYMBOLIC_METHOD
from geoservice.settings import MapSettings, Settings
from geoservice.storage.base import FeatureQuery, FeatureStore

ONE_MAP = "one-map"
MAX_LISTED = 200
"""Symbolic positions listed per layer beside the MapLibre preview (a plan names tens)."""
OUTLINE_TOLERANCE = 0.002  # degrees, about 200 m: enough for a mini map


def map_options(
    settings: MapSettings, *, lang: str, service_url: str | None, assets: Assets | None = None
) -> MapOptions:
    """Return the options of a page: served (``service_url``) or standalone (None)."""
    return MapOptions(
        lang=lang,
        assets=assets or Assets(base_url=service_url, lang=lang),
        service_url=service_url,
        basemap=settings.basemap,
        basemap_attribution=settings.basemap_attribution,
        basemap_datum=settings.basemap_datum,
        tianditu_key=settings.tianditu_key.get_secret_value() if settings.tianditu_key else None,
        show_context=settings.context_basemap,
        large_layer_features=settings.large_layer_features,
        cluster_points_at=settings.cluster_points_at,
        max_zoom=settings.max_zoom,
    )


def one_map_html(
    catalog: Catalog,
    store: FeatureStore,
    options: MapOptions,
    *,
    area: AreaDef,
    layer_ids: Sequence[str] | None = None,
    indicators: Sequence[PlanIndicators] = (),
) -> str:
    """Return a study area's one-map as one HTML document (an export, with its nonce)."""
    page = one_map(catalog, store, options, area=area, layer_ids=layer_ids, indicators=indicators)
    return page.html(new_nonce())


def one_map(
    catalog: Catalog,
    store: FeatureStore,
    options: MapOptions,
    *,
    area: AreaDef,
    layer_ids: Sequence[str] | None = None,
    indicators: Sequence[PlanIndicators] = (),
) -> MapPage:
    """Return a study area's one-map (一张图): its planning layers, grouped by kind."""
    options.assets.check()
    ids = list(layer_ids) if layer_ids is not None else one_map_layer_ids(catalog, store, area)
    sources = in_datum(read_sources(catalog, store, ids, embed_limit=_embed_limit(options)),
                        options)  # fmt: skip
    m = build_map(
        sources,
        with_context(options, catalog, store, area, area_bounds=area.bounds),
        title=area.one_map_title(options.lang),
        outline=outline_geojson(catalog, store, area, datum=options.basemap_datum),
        indicators=indicators,
    )
    return render_page(m, options)


def one_map_layer_ids(catalog: Catalog, store: FeatureStore, area: AreaDef) -> list[str]:
    """Return the layers of an area's one-map: as declared, else every one with data."""
    if area.one_map.layers is not None:
        with_data = set(store.layer_ids())
        return [i for i in area.one_map.layers if i in with_data]
    return planning_layer_ids(catalog, store, area)


def layer_map_html(
    catalog: Catalog, store: FeatureStore, layer_id: str, options: MapOptions
) -> str:
    """Return the map of one collection as one HTML document (with its nonce)."""
    return layer_map(catalog, store, layer_id, options).html(new_nonce())


def layer_map(catalog: Catalog, store: FeatureStore, layer_id: str, options: MapOptions) -> MapPage:
    """Return the map of one collection (shown, with its legend)."""
    options.assets.check()
    sources = in_datum(
        read_sources(catalog, store, [layer_id], embed_limit=_embed_limit(options)), options
    )
    layer = catalog.get(layer_id)
    area = catalog.area_of(layer)
    options = with_context(options, catalog, store, area, focus_large=True,
                            area_bounds=area.bounds)  # fmt: skip
    m = build_map(
        sources,
        options,
        title=layer.title.get(options.lang),
        outline=outline_geojson(catalog, store, area, datum=options.basemap_datum),
        show=lambda source: True,
    )
    return render_page(m, options)


PREVIEW_STYLE = StyleDef(
    id="upload_preview",
    title=Text(zh="上传预览", en="Upload preview"),
    geometry="polygon",
    fill="#e7298a",
    fill_opacity=0.25,
    stroke="#e7298a",
    stroke_width=2.5,
    radius=7,
)
"""A colour no planning style uses, so the file stands out over the layer's data."""


def preview_map(
    catalog: Catalog, store: FeatureStore, preview: Preview, options: MapOptions
) -> MapPage:
    """Return the map of a dry run: its first features over what the layer holds now."""
    options.assets.check()
    layer = preview.layer
    existing = []
    if not preview.new_layer and layer.id in catalog and store.has_layer(layer.id):
        existing = read_sources(catalog, store, [layer.id], embed_limit=_embed_limit(options))
    frame = preview.features
    title = Text(
        zh=f"上传预览：{preview.file}（前 {len(frame)} 个要素）",
        en=f"Upload preview: {preview.file} (first {len(frame)} features)",
    )
    # Its own id: the page must not mistake the file for the layer's stored data.
    shown = layer.model_copy(update={"id": PREVIEW_STYLE.id, "title": title})
    geometry = {"point": "point", "line": "line"}.get(layer.geometry_type.family, "polygon")
    style = PREVIEW_STYLE.model_copy(update={"geometry": geometry})
    bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else None
    upload = LayerSource(shown, style, len(frame), 0, bounds, frame)
    area = catalog.areas.get(layer.area or "") or catalog.area()
    m = build_map(
        in_datum([*existing, upload], options),
        with_context(
            options, catalog, store, area, focus_large=True, area_bounds=bounds or area.bounds
        ),
        title=shown.title.get(options.lang),
        outline=outline_geojson(catalog, store, area, datum=options.basemap_datum),
        show=lambda source: True,
    )
    return render_page(m, options)


def one_map_page(
    pages: PageCache,
    catalog: Catalog,
    store: FeatureStore,
    settings: Settings,
    *,
    area: AreaDef,
    lang: str,
    base_url: str,
    jobs: Any = None,
) -> MapPage:
    """Return a served one-map, from ``pages`` unless a layer or job changed."""
    options = map_options(settings.maps, lang=lang, service_url=base_url)

    def build() -> MapPage:
        indicators = indicator_results(area, store, catalog, jobs=jobs)
        return one_map(catalog, store, options, area=area, indicators=indicators)

    key = page_key(catalog, store, ONE_MAP, area.id, lang, base_url, jobs=jobs)
    return pages.get_or_build(key, build)


def layer_map_page(
    pages: PageCache,
    catalog: Catalog,
    store: FeatureStore,
    settings: Settings,
    layer_id: str,
    *,
    lang: str,
    base_url: str,
) -> MapPage:
    """Return the served map of one collection, from ``pages`` unless its data changed."""
    options = map_options(settings.maps, lang=lang, service_url=base_url)
    key = page_key(catalog, store, layer_id, lang, base_url)
    return pages.get_or_build(key, lambda: layer_map(catalog, store, layer_id, options))


def map_index(catalog: Catalog, store: FeatureStore, lang: str) -> list[dict[str, Any]]:
    """Return the maps offered: each study area's one-map, then one per collection with data.

    An entry's ``path`` is relative to ``/maps/``; the default area's one-map keeps
    the short ``one-map`` path it always had.
    """
    ids = planning_layer_ids(catalog, store)
    entries: list[dict[str, Any]] = [
        {
            "id": ONE_MAP if area.id == catalog.default_area else f"{area.id}/{ONE_MAP}",
            "title": area.one_map_title(lang),
            "group": text("all_layers", lang),
            "features": None,
        }
        for area in catalog.areas.values()
    ]
    for layer_id in ids:
        layer = catalog.get(layer_id)
        entries.append(
            {
                "id": layer_id,
                "title": layer.title.get(lang),
                "group": group_name(layer.kind, lang),
                "features": store.current_version(layer_id).feature_count,
            }
        )
    return entries


def indicator_results(
    area: AreaDef, store: FeatureStore, catalog: Catalog, *, jobs: Any = None
) -> list[PlanIndicators]:
    """Return a study area's indicator panel: latest jobs, else evaluated on current layers."""
    folder = catalog.indicator_folder(area.id)
    if folder is None or not folder.is_dir():
        return []

    def read(layer_id: str):
        if layer_id not in catalog or not store.has_layer(layer_id):
            return None
        return store.read_frame(catalog.get(layer_id))

    default = area.id == catalog.default_area
    layers = {layer.id: layer for layer in catalog}
    return plan_indicators(
        folder, area=area.id, default=default, jobs=jobs, read_layer=read, layers=layers
    )


def outline_geojson(
    catalog: Catalog, store: FeatureStore, area: AreaDef, *, datum: str = "wgs84"
) -> dict | None:
    """Return the simplified study-area outline for the mini map (in the base map's datum)."""
    frame = study_area(catalog, store, area)
    if frame is None or frame.empty:
        return None
    geometry = shapely.simplify(shapely.union_all(frame.geometry.values), OUTLINE_TOLERANCE)
    geometry = shift_to_basemap(geometry, datum)
    return {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(geometry)}


def _embed_limit(options: MapOptions) -> int | None:
    return options.large_layer_features if options.service_url is not None else None


def not_located_features(
    store: FeatureStore, layers: Sequence[LayerDef], lang: str
) -> list[dict[str, Any]]:
    """Return each layer's symbolic positions by name (layers with none are left out).

    The MapLibre preview lists them beside the map and draws them only when asked,
    as hollow rings (``styling.maplibre_layers``), as the Leaflet maps do with
    their "not located" group. A layer with a ``placement_method`` is judged by it
    (``rule:symbolic``), else by its ``geometry_quality`` (``symbolic``).
    """
    listed = []
    for layer in layers:
        names = set(layer.attribute_names)
        if METHOD in names:
            equals = {METHOD: SYMBOLIC_METHOD}
        elif QUALITY in names:
            equals = {QUALITY: SYMBOLIC}
        else:
            continue
        name = next((n for n in (_name_field(lang), "name_zh", "name_en") if n in names), None)
        query = FeatureQuery(
            equals=equals, properties=[name] if name else [], limit=MAX_LISTED, count_cap=0
        )
        rows = store.query(layer, query).rows
        labels = rows.properties[name] if name else rows.ids
        if len(rows.ids):
            title = layer.title.get(lang)
            listed.append({"id": layer.id, "title": title, "names": [str(n) for n in labels]})
    return listed


def _name_field(lang: str) -> str:
    return "name_en" if lang == "en" else "name_zh"
