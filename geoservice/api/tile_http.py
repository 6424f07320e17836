"""HTTP details of tiles: conditional requests, caching headers, content encoding."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from geoservice.catalog.models import LayerDef
from geoservice.errors import InvalidParameter
from geoservice.settings import TileSettings
from geoservice.tiles.runtime import TileRuntime
from geoservice.tiles.service import TileResult
from geoservice.tiles.tms import TileAddress, check_tile

# Tile dependencies are ``async def``: they do no I/O, and a plain ``def`` would
# cost a thread-pool hop each on the hottest path of the service.


async def get_tiles(request: Request) -> TileRuntime:
    """Return the tile services built in the lifespan."""
    return request.app.state.tiles


TilesDep = Annotated[TileRuntime, Depends(get_tiles)]


async def tile_address(
    tileMatrixSetId: str, tileMatrix: int, tileRow: int, tileCol: int
) -> TileAddress:
    """Resolve the OGC path parameters of a tile, or 404 outside the tile matrix set."""
    return check_tile(tileMatrixSetId, tileMatrix, tileRow, tileCol)


TileAddressDep = Annotated[TileAddress, Depends(tile_address)]


def etag_matches(request: Request, etag: str) -> bool:
    """Tell whether If-None-Match names ``etag`` (weak comparison, ``*`` matches)."""
    return etag_listed(request.headers.get("if-none-match"), etag)


def etag_listed(if_none_match: str | None, etag: str) -> bool:
    """Tell whether an If-None-Match value names ``etag``."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def accepts_gzip(request: Request) -> bool:
    """Tell whether the client accepts gzip-encoded bodies."""
    return "gzip" in request.headers.get("accept-encoding", "")


def cache_headers(etag: str, settings: TileSettings, *, fresh: bool) -> dict[str, str]:
    """Return ETag and Cache-Control; long-lived when the URL names the current version."""
    return {
        "ETag": etag,
        "Cache-Control": cache_control(settings, fresh=fresh),
        "Vary": "Accept-Encoding",
    }


def cache_control(settings: TileSettings, *, fresh: bool) -> str:
    """Return the Cache-Control value of a tile."""
    if fresh:
        return f"public, max-age={settings.versioned_max_age_s}, immutable"
    return f"public, max-age={settings.max_age_s}"


def not_modified(headers: dict[str, str]) -> Response:
    """Return a 304 with the validators."""
    return Response(status_code=304, headers=headers)


def tile_response(result: TileResult, headers: dict[str, str]) -> Response:
    """Return 200 with the tile, or 204 when it holds no data."""
    if result.empty:
        return Response(status_code=204, headers=headers)
    if result.gzipped:
        headers = {**headers, "Content-Encoding": "gzip"}
    return Response(result.body, media_type=result.media_type, headers=headers)


def names_current(v: str | None, versions: tuple[int, ...]) -> bool:
    """Tell whether a ``v=`` query value names exactly the current layer versions."""
    return v is not None and v == ".".join(map(str, versions))


def wants_png(request: Request, f: str | None) -> bool:
    """Return True for PNG (``f=png`` or an Accept preferring images), False for MVT."""
    if f is not None:
        if f not in ("mvt", "png"):
            raise InvalidParameter(f"f={f!r}: use mvt or png")
        return f == "png"
    accept = request.headers.get("accept", "")
    return "image/png" in accept and "vnd.mapbox-vector-tile" not in accept


def select_attributes(layer: LayerDef, properties: str | None) -> tuple[str, ...]:
    """Return the tile attributes: ``properties=a,b`` if given, else the layer's list."""
    if properties is None:
        return tuple(layer.tiles.attributes or layer.attribute_names)
    names = tuple(p.strip() for p in properties.split(",") if p.strip())
    unknown = sorted(set(names) - set(layer.attribute_names))
    if unknown:
        raise InvalidParameter(
            f"properties: {unknown} are not attributes of {layer.id!r}; "
            f"use some of {layer.attribute_names}"
        )
    return names
