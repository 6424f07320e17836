"""Map pages from the catalogue and the store: the one-map, one layer, the map list, exports.

Entry points for the HTTP routes and the CLI; everything else in
``geoservice.maps`` is pure. Folium is imported only when a map is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely

from geoservice.catalog.registry import Catalog
from geoservice.maps.assets import Assets
from geoservice.maps.builder import MapOptions, build_map, render_html
from geoservice.maps.i18n import group_name, text
from geoservice.maps.indicators import PlanIndicators, plan_indicators
from geoservice.maps.pages import PageCache, page_key
from geoservice.maps.sources import planning_layer_ids, read_sources, study_area
from geoservice.settings import MapSettings, Settings
from geoservice.storage.base import FeatureStore

ONE_MAP = "one-map"
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
        large_layer_features=settings.large_layer_features,
        cluster_points_at=settings.cluster_points_at,
        max_zoom=settings.max_zoom,
    )


def one_map_html(
    catalog: Catalog,
    store: FeatureStore,
    options: MapOptions,
    *,
    layer_ids: Sequence[str] | None = None,
    indicators: Sequence[PlanIndicators] = (),
) -> str:
    """Return the one-map (一张图): every planning layer, grouped by kind."""
    options.assets.check()
    ids = list(layer_ids) if layer_ids is not None else planning_layer_ids(catalog, store)
    sources = read_sources(catalog, store, ids, embed_limit=_embed_limit(options))
    m = build_map(
        sources,
        options,
        title=text("one_map", options.lang),
        outline=outline_geojson(catalog, store),
        indicators=indicators,
    )
    return render_html(m, options)


def layer_map_html(
    catalog: Catalog, store: FeatureStore, layer_id: str, options: MapOptions
) -> str:
    """Return the map of one collection (shown, with its legend)."""
    options.assets.check()
    sources = read_sources(catalog, store, [layer_id], embed_limit=_embed_limit(options))
    layer = catalog.get(layer_id)
    options = dataclasses.replace(options, focus_large=True)
    m = build_map(
        sources,
        options,
        title=layer.title.get(options.lang),
        outline=outline_geojson(catalog, store),
        show=lambda source: True,
    )
    return render_html(m, options)


def one_map_page(
    pages: PageCache,
    catalog: Catalog,
    store: FeatureStore,
    settings: Settings,
    *,
    lang: str,
    base_url: str,
    jobs: Any = None,
) -> str:
    """Return the served one-map, from ``pages`` unless a layer or job changed."""
    options = map_options(settings.maps, lang=lang, service_url=base_url)

    def build() -> str:
        indicators = indicator_results(settings.indicators_dir, store, catalog, jobs=jobs)
        return one_map_html(catalog, store, options, indicators=indicators)

    key = page_key(catalog, store, ONE_MAP, lang, base_url, jobs=jobs)
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
) -> str:
    """Return the served map of one collection, from ``pages`` unless its data changed."""
    options = map_options(settings.maps, lang=lang, service_url=base_url)
    key = page_key(catalog, store, layer_id, lang, base_url)
    return pages.get_or_build(key, lambda: layer_map_html(catalog, store, layer_id, options))


def map_index(catalog: Catalog, store: FeatureStore, lang: str) -> list[dict[str, Any]]:
    """Return the maps offered: the one-map, then one per collection with data."""
    ids = planning_layer_ids(catalog, store)
    entries: list[dict[str, Any]] = [
        {"id": ONE_MAP, "title": text("one_map", lang), "group": text("all_layers", lang),
         "features": None}
    ]  # fmt: skip
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
    indicators_dir: Path, store: FeatureStore, catalog: Catalog, *, jobs: Any = None
) -> list[PlanIndicators]:
    """Return the indicator panel's data: latest jobs, else evaluated on current layers."""

    def read(layer_id: str):
        if layer_id not in catalog or not store.has_layer(layer_id):
            return None
        return store.read_frame(catalog.get(layer_id))

    return plan_indicators(indicators_dir, jobs=jobs, read_layer=read)


def outline_geojson(catalog: Catalog, store: FeatureStore) -> dict | None:
    """Return the simplified study-area outline for the mini map."""
    frame = study_area(catalog, store)
    if frame is None or frame.empty:
        return None
    geometry = shapely.simplify(shapely.union_all(frame.geometry.values), OUTLINE_TOLERANCE)
    return {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(geometry)}


def _embed_limit(options: MapOptions) -> int | None:
    return options.large_layer_features if options.service_url is not None else None
