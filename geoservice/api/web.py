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
from geoservice.catalog.vocabulary import value_label

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


def page_templates() -> Jinja2Templates:
    """Return the pages' templates, with the helpers every page uses for its language."""
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.filters["shown"] = value_label
    env.globals["other_language_url"] = other_language_url
    env.globals["attribute_title"] = attribute_title
    env.globals["lang_query"] = lang_query
    return templates


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
