"""Responses and content negotiation shared by routers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from geoservice.errors import InvalidParameter

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


def render_html(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render one of the package's Jinja2 templates."""
    templates = request.app.state.web.templates
    return templates.TemplateResponse(request, template, context)
