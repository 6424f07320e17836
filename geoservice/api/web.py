"""What the HTTP side of an app adds up as its parts are installed.

Each part (features, tiles, processes, maps) contributes conformance classes,
landing-page links and per-collection links; the routes read them here. The
domain parts (store, catalogue, jobs, tiles...) live on the app's
:class:`~geoservice.runtime.Runtime`, opened in the lifespan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from geoservice.catalog.models import LayerDef
from geoservice.catalog.vocabulary import (
    AREA_ATTRIBUTES,
    area_label,
    shown_attributes,
    value_label,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LandingLink = tuple[str, str, str, str]
"""(path, rel, media type, title) of a landing-page link."""
CollectionLinks = Callable[[str, LayerDef], list[dict]]
"""Builds extra links of a collection from (base URL, layer)."""


@dataclass
class WebParts:
    """The app's HTTP-level registries and its templates."""

    conformance: list[str]
    landing_links: list[LandingLink] = field(default_factory=list)
    collection_link_builders: list[CollectionLinks] = field(default_factory=list)
    templates: Jinja2Templates = field(default_factory=lambda: page_templates())


PAGE_LINK_TITLES: dict[str, str] = {
    "self": "本文档（JSON）",
    "alternate": "本页（HTML）",
    "API definition": "API 定义（OpenAPI）",
    "API documentation": "API 文档",
    "conformance classes": "符合性类别",
    "collections": "图层",
    "study areas": "研究区",
    "Processes": "分析处理",
    "Jobs": "作业",
    "Tile matrix sets": "瓦片矩阵集",
    "Vector tilesets (all collections)": "矢量瓦片集（全部图层）",
    "MapLibre style (all collections)": "MapLibre 样式（全部图层）",
    "Map (MapLibre GL)": "瓦片预览（MapLibre GL）",
    "Raster layers (PNG tiles)": "栅格图层（PNG 瓦片）",
    "Maps (Folium)": "规划地图（Folium）",
    "One map of every planning layer (一张图)": "规划一张图",
    "features (GeoJSON)": "要素（GeoJSON）",
    "features (HTML)": "要素（网页）",
    "queryables": "可查询属性",
    "whole layer as GeoPackage": "整层下载（GeoPackage）",
    "whole layer as FlatGeobuf": "整层下载（FlatGeobuf）",
    "whole layer as GeoJSON": "整层下载（GeoJSON）",
    "Vector tilesets": "矢量瓦片集",
    "Map tilesets (PNG)": "地图瓦片集（PNG）",
    "MapLibre style": "MapLibre 样式",
    "Map (Leaflet)": "规划地图（Leaflet）",
}
"""Chinese titles of the links the service's own pages list (English as the links carry)."""


def page_templates() -> Jinja2Templates:
    """Return the pages' templates, with the helpers every page uses for its language."""
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.filters["shown"] = value_label
    env.globals["area_label"] = area_label
    env.globals["AREA_ATTRIBUTES"] = AREA_ATTRIBUTES
    env.globals["other_language_url"] = other_language_url
    env.globals["attribute_title"] = attribute_title
    env.globals["shown_attributes"] = shown_attributes
    env.globals["lang_query"] = lang_query
    env.globals["link_title"] = link_title
    return templates


def link_title(link: dict, lang: str) -> str:
    """Return a link's title as a page shows it (Chinese for the service's own links)."""
    title = link.get("title") or link.get("rel") or ""
    return title if lang == "en" else PAGE_LINK_TITLES.get(title, title)


def other_language_url(request: Request, lang: str) -> str:
    """Return this page's address in the other language (the page's language switch)."""
    return str(request.url.include_query_params(lang="zh" if lang == "en" else "en"))


def lang_query(lang: str) -> str:
    """Return what a page's links add to stay in English (Chinese is the default)."""
    return "&lang=en" if lang == "en" else ""


def attribute_title(layer: LayerDef, name: str, lang: str) -> str:
    """Return an attribute's title in ``lang`` (its name when it has none)."""
    attribute = layer.attribute(name)
    if attribute is None or attribute.title is None:
        return name
    return attribute.title.get(lang)
