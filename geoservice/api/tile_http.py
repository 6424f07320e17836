"""HTTP details of tiles: conditional requests, caching headers, content encoding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response

from geoservice.api.deps import AreaFilterDep, CatalogDep, StoreDep
from geoservice.api.params import TileColPath, TileMatrixPath, TileRowPath
from geoservice.catalog.models import LayerDef
from geoservice.crs import union_boxes
from geoservice.errors import InvalidParameter
from geoservice.settings import TileSettings
from geoservice.storage.base import FeatureStore
from geoservice.tiles.runtime import TileRuntime
from geoservice.tiles.service import LayerPart, TilePlan, TileResult, VectorTileService
from geoservice.tiles.tms import WORLD_BOUNDS, TileAddress, check_tile

# Tile dependencies are ``async def``: they do no I/O, and a plain ``def`` would
# cost a thread-pool hop each on the hottest path of the service.


async def get_tiles(request: Request) -> TileRuntime:
    """Return the tile services built in the lifespan."""
    return request.app.state.runtime.tiles


TilesDep = Annotated[TileRuntime, Depends(get_tiles)]


async def tile_address(
    tileMatrixSetId: str, tileMatrix: TileMatrixPath, tileRow: TileRowPath, tileCol: TileColPath
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


def conditional_tile_response(
    request: Request,
    etag: str,
    settings: TileSettings,
    *,
    fresh: bool,
    render: Callable[[], TileResult],
) -> Response:
    """Return 304 when If-None-Match names ``etag``, else the tile ``render`` makes (200/204)."""
    headers = cache_headers(etag, settings, fresh=fresh)
    if etag_matches(request, etag):
        return not_modified(headers)
    return tile_response(render(), headers)


# A vector tile answer is its plan and the tile, or None for the tile when the
# client's If-None-Match already names it (Not Modified). The route and the ASGI
# fast path (``tile_fastpath.py``) both answer through these two functions, so
# they serve alike; each turns the answer into its own kind of response.
VectorAnswer = tuple[TilePlan, TileResult | None]


async def quick_vector_tile(
    vector: VectorTileService,
    parts: Sequence[LayerPart],
    address: TileAddress,
    *,
    if_none_match: str | None,
    gzip_ok: bool,
    plan: TilePlan | None,
) -> VectorAnswer | None:
    """Answer inside the event loop when the versions and the tile are known, else None.

    ``plan`` is ``vector.quick_plan(...)``: the caller keeps it and hands it to
    :func:`vector_tile` if this cannot answer, so the versions are read once.
    """
    if plan is None:
        return None
    if etag_listed(if_none_match, plan.etag):
        return plan, None
    result = vector.memory_tile(parts, address, gzip_ok=gzip_ok, plan=plan)
    if result is None:
        result = await vector.loop_tile(parts, address, gzip_ok=gzip_ok, plan=plan)
    return None if result is None else (plan, result)


def vector_tile(
    vector: VectorTileService,
    parts: Sequence[LayerPart],
    address: TileAddress,
    *,
    if_none_match: str | None,
    gzip_ok: bool,
    plan: TilePlan | None = None,
) -> VectorAnswer:
    """Answer with blocking I/O allowed (run it in a thread from async code).

    ``plan``: the tile's plan if the caller already has it (versions read once).
    """
    plan = plan or vector.plan(parts, address)
    if etag_listed(if_none_match, plan.etag):
        return plan, None
    return plan, vector.tile(parts, address, gzip_ok=gzip_ok, plan=plan)


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


# -- which layers a tile or map request names ---------------------------------


async def catalog_layer(catalog: CatalogDep, collectionId: Annotated[str, Path()]) -> LayerDef:
    """Resolve a collection id from the catalogue alone (the version lookup checks data)."""
    return catalog.get(collectionId)


CatalogLayerDep = Annotated[LayerDef, Depends(catalog_layer)]


def selected_layers(
    catalog: CatalogDep,
    store: StoreDep,
    area: AreaFilterDep = None,
    collections: Annotated[str | None, Query(description="Collection ids, comma-separated")] = None,
) -> list[LayerDef]:
    """Return the layers of ``collections=`` (default: every layer holding data, of one
    study area with ``area=``)."""
    if collections is None:
        with_data = set(store.layer_ids())
        return [
            layer
            for layer in catalog
            if layer.id in with_data and (area is None or layer.area == area.id)
        ]
    ids = [c.strip() for c in collections.split(",") if c.strip()]
    unknown = [c for c in ids if c not in catalog]
    if unknown or not ids:
        raise InvalidParameter(f"collections: unknown or empty {unknown}; see /collections")
    return [catalog.get(c) for c in ids]


LayersDep = Annotated[list[LayerDef], Depends(selected_layers)]


def union_bounds(store: FeatureStore, layers: Sequence[LayerDef]) -> tuple[float, ...]:
    """Return the lon/lat box covering every layer's data (the world when none has any)."""
    return union_boxes(store.bounds(layer) for layer in layers) or WORLD_BOUNDS
