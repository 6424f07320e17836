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

from geoservice.catalog.models import LayerDef

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
    templates: Jinja2Templates = field(default_factory=lambda: Jinja2Templates(directory=TEMPLATES))
