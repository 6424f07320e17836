"""Responses and content negotiation shared by routers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from geoservice.api.security import policies_of
from geoservice.errors import InvalidParameter
from geoservice.maps.pages import MapPage, new_nonce
from geoservice.settings import Settings

GEOJSON_MEDIA = "application/geo+json"
JSON_MEDIA = "application/json"


class JSONBytesResponse(Response):
    """JSON rendered with orjson (numpy values, dates and NaN handled)."""

    media_type = JSON_MEDIA

    def render(self, content: Any) -> bytes:
        """Serialise with orjson."""
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


class GeoJSONResponse(JSONBytesResponse):
    """A GeoJSON document."""

    media_type = GEOJSON_MEDIA


def wants_html(request: Request) -> bool:
    """Tell whether the client asked for HTML (``f=html`` or a browser's Accept)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html", "geojson"):
            raise InvalidParameter(f"f={f!r}: use json or html")
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def render_html(
    request: Request, template: str, *, policy: str | None = None, **context: Any
) -> HTMLResponse:
    """Render one of the package's Jinja2 templates (autoescaped: every value is text).

    Pages link their styles and scripts under ``static_url``: the plain pages'
    Content-Security-Policy (``api/security.py``) allows nothing inline. A page that
    needs another ``policy`` passes it.
    """
    templates = request.app.state.web.templates
    base = (request.app.state.settings.base_url or str(request.base_url)).rstrip("/")
    context.setdefault("static_url", f"{base}/static")
    headers = {"Content-Security-Policy": policy} if policy is not None else None
    return templates.TemplateResponse(request, template, context, headers=headers)


def map_page_response(page: MapPage, settings: Settings) -> HTMLResponse:
    """Return a built map page whose scripts, and only those, run: a fresh nonce each time."""
    nonce = new_nonce()
    policy = policies_of(settings).leaflet(nonce)
    return HTMLResponse(page.html(nonce), headers={"Content-Security-Policy": policy})


def started(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Read the first chunk of a stream now; return an iterator over all of them.

    A stream's failures (no such version, a filter the store cannot evaluate on the
    data) surface when its query runs, which is at the first chunk. Reading it
    before a ``StreamingResponse`` is returned makes them the usual 4xx error body,
    not a 200 whose body stops short.
    """
    chunks = iter(chunks)
    first = next(chunks, None)

    def all_chunks() -> Iterator[bytes]:
        try:
            if first is not None:
                yield first
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return all_chunks()
