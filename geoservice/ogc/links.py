"""Links of OGC API documents."""

from __future__ import annotations

from urllib.parse import urlencode

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    """Return one link object."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def with_query(base: str, params: dict) -> str:
    """Return ``base`` with query parameters (None values dropped)."""
    clean = {k: v for k, v in params.items() if v is not None}
    return f"{base}?{urlencode(clean)}" if clean else base


def self_and_alternates(url: str, params: dict, primary: str) -> list[dict]:
    """Return self/alternate links for the JSON and HTML renderings of a resource."""
    formats = {"json": JSON if primary == JSON else GEOJSON, "html": HTML}
    links = []
    current = params.get("f") or ("html" if primary == HTML else "json")
    for f, media in formats.items():
        rel = "self" if f == current else "alternate"
        links.append(link(with_query(url, {**params, "f": f}), rel, media))
    return links
