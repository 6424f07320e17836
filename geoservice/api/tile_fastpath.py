"""A lean ASGI path for the hottest request: a plain vector tile of one collection.

``GET /collections/{id}/tiles/{tms}/{z}/{row}/{col}`` (no query, or only ``v=``)
is answered here without FastAPI's routing, parameter validation and dependency
resolution, which cost more than serving a cached tile. Everything else (other
parameters, PNG, unknown collections, tiles outside a matrix or a layer's zooms)
falls through to the documented route in ``routers/tiles.py``, which applies the
same rules with the same service calls, so both paths answer alike.

It sits outside the app's own middleware (the key check, the audit log,
compression, CORS, the security headers), whose ten layers cost a sparse tile
more than a sixth of its time in this process. So it serves only the requests
those layers would pass through unchanged, and adds what they would add:

* no ``Origin`` header (a cross-origin request is left to CORS), no API key in
  the request (a key is checked by ``KeyMiddleware``), and reads open without a
  key (``api.read_requires_key`` off);
* the security headers, made by the same :class:`SecurityHeaders` code;
* compression: none to add, a tile comes gzipped to a client taking gzip.

A tile in the memory cache whose layer version is known is answered inside the
event loop; otherwise the blocking work runs in the thread pool.
"""

from __future__ import annotations

import re
from functools import partial
from urllib.parse import parse_qsl

from anyio import to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from geoservice.api.auth import key_from_headers
from geoservice.api.security import SecurityHeaders
from geoservice.api.tile_http import (
    cache_control,
    names_current,
    quick_vector_tile,
    select_attributes,
    vector_tile,
)
from geoservice.errors import GeoserviceError
from geoservice.settings import Settings
from geoservice.tiles.service import LayerPart, TilePlan, TileResult
from geoservice.tiles.tms import OFFERED, check_tile

TILE_PATH = re.compile(
    r"^/collections/([a-z][a-z0-9_]{0,62})/tiles/(" + "|".join(OFFERED) + r")/(\d+)/(\d+)/(\d+)$"
)


class TileFastPath:
    """ASGI middleware answering plain MVT requests; passes anything else on.

    Add it after every other middleware of the app (outermost but for
    Starlette's own error handling); see the module's docstring.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.secure = SecurityHeaders(app, settings=settings).secure
        self.open_reads = not settings.api.read_requires_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the tile, or hand the request to the app."""
        answer = None
        if scope["type"] == "http" and scope["method"] == "GET" and self._passes_through(scope):
            answer = await self._answer(scope)
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = answer
        headers = self.secure(headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _passes_through(self, scope: Scope) -> bool:
        """Tell whether the app's middleware would let this request by unchanged."""
        if not self.open_reads or key_from_headers(scope["headers"]) is not None:
            return False
        return not any(name == b"origin" for name, _ in scope["headers"])

    async def _answer(self, scope: Scope) -> tuple[int, list, bytes] | None:
        found = _plain_tile_request(scope)
        if found is None:
            return None
        layer, address, version = found
        state = scope["app"].state
        parts = [LayerPart(layer, select_attributes(layer, None))]
        request = Headers(scope=scope)
        inm, gzip_ok = request.get("if-none-match"), "gzip" in request.get("accept-encoding", "")
        tiles = state.runtime.tiles
        vector, settings = tiles.vector, tiles.settings.tiles
        try:
            plan = vector.quick_plan(parts, address)
            answer = await quick_vector_tile(
                vector, parts, address, if_none_match=inm, gzip_ok=gzip_ok, plan=plan
            )
            if answer is None:
                blocking = partial(
                    vector_tile,
                    vector,
                    parts,
                    address,
                    if_none_match=inm,
                    gzip_ok=gzip_ok,
                    plan=plan,
                )
                answer = await to_thread.run_sync(blocking)
        except GeoserviceError:
            return None  # let the route answer with the documented error (a 503, say)
        return _message(*answer, version, settings)


def _plain_tile_request(scope: Scope):
    """Return (layer, address, v) of a plain tile request the fast path serves, or None."""
    match = TILE_PATH.match(scope["path"])
    if match is None:
        return None
    query = parse_qsl(scope["query_string"].decode("latin-1"))
    if any(name != "v" for name, _ in query):
        return None
    layer = scope["app"].state.runtime.catalog.catalog().layers.get(match[1])
    if layer is None:
        return None
    try:
        address = check_tile(match[2], int(match[3]), int(match[4]), int(match[5]))
    except GeoserviceError:
        return None
    if not layer.tiles.min_zoom <= address.z <= layer.tiles.max_zoom:
        return None
    return layer, address, dict(query).get("v")


def _message(
    plan: TilePlan, result: TileResult | None, version, settings
) -> tuple[int, list, bytes]:
    """Return status, headers and body; ``result`` None means Not Modified."""
    fresh = names_current(version, plan.versions)
    headers = [
        (b"etag", plan.etag.encode()),
        (b"cache-control", cache_control(settings, fresh=fresh).encode()),
        # CORS names Origin in Vary on every response it lets by without one.
        (b"vary", b"Accept-Encoding, Origin"),
    ]
    if result is None:
        return 304, headers, b""
    if result.empty:
        return 204, headers, b""
    headers.append((b"content-type", result.media_type.encode()))
    headers.append((b"content-length", str(len(result.body)).encode()))
    if result.gzipped:
        headers.append((b"content-encoding", b"gzip"))
    return 200, headers, result.body
