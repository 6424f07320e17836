"""OGC API Tiles: tile matrix sets, tilesets of a collection or of several, tiles."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, StoreDep
from geoservice.api.responses import JSONBytesResponse
from geoservice.api.tile_http import (
    CatalogLayerDep,
    LayersDep,
    TileAddressDep,
    TilesDep,
    VectorAnswer,
    accepts_gzip,
    cache_headers,
    conditional_tile_response,
    names_current,
    not_modified,
    quick_vector_tile,
    select_attributes,
    tile_response,
    union_bounds,
    vector_tile,
    wants_png,
)
from geoservice.catalog.registry import Catalog
from geoservice.ogc.tiles import (
    tileset_document,
    tilesets_document,
    tms_document,
    tms_list_document,
)
from geoservice.tiles.service import LayerPart, check_zoom
from geoservice.tiles.tms import TileAddress, get_tms

router = APIRouter(tags=["Tiles"])

MVT_PNG = {200: {"content": {"application/vnd.mapbox-vector-tile": {}, "image/png": {}}}}
TmsId = Annotated[str, Path(description="WebMercatorQuad or WorldCRS84Quad")]
Properties = Annotated[str | None, Query(description="Attributes in the tile, comma-separated")]
Version = Annotated[str | None, Query(description="Layer version(s) the URL was made for")]
Format = Annotated[str | None, Query(description="mvt (default) or png")]


@router.get("/tileMatrixSets", operation_id="getTileMatrixSetsList", summary="Tile matrix sets")
def tile_matrix_sets(base_url: BaseUrlDep):
    """List the tile matrix sets tiles are offered in."""
    return JSONBytesResponse(tms_list_document(base_url))


@router.get(
    "/tileMatrixSets/{tileMatrixSetId}",
    operation_id="getTileMatrixSet",
    summary="Tile matrix set",
)
def tile_matrix_set(tileMatrixSetId: TmsId):
    """Return one tile matrix set definition."""
    return JSONBytesResponse(tms_document(tileMatrixSetId))


@router.get(
    "/collections/{collectionId}/tiles",
    operation_id="getCollectionVectorTileSetsList",
    summary="Tilesets of a collection",
)
def collection_tilesets(layer: CatalogLayerDep, base_url: BaseUrlDep, lang: LangDep):
    """List the vector tilesets of a collection."""
    base = f"{base_url}/collections/{layer.id}/tiles"
    return JSONBytesResponse(tilesets_document(base, base_url, layer.title.get(lang)))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    operation_id="getCollectionVectorTileSet",
    summary="Tileset of a collection",
)
def collection_tileset(
    layer: CatalogLayerDep,
    store: StoreDep,
    tileMatrixSetId: TmsId,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Describe a collection's tileset: limits, layer schema, tile URL template."""
    get_tms(tileMatrixSetId)
    base = f"{base_url}/collections/{layer.id}/tiles"
    bbox = union_bounds(store, [layer])
    doc = tileset_document(base, base_url, tileMatrixSetId, [layer], bbox, lang=lang)
    return JSONBytesResponse(doc)


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getCollectionVectorTile",
    summary="Vector tile of a collection",
    response_class=Response,
    responses=MVT_PNG,
)
async def collection_tile(
    request: Request,
    layer: CatalogLayerDep,
    tiles: TilesDep,
    address: TileAddressDep,
    f: Format = None,
    properties: Properties = None,
    v: Version = None,
):
    """Return a vector tile (MVT) of one collection, or a PNG with ``f=png``."""
    check_zoom(layer, address)
    if wants_png(request, f):
        catalog = request.app.state.runtime.catalog.catalog()
        return await run_in_threadpool(
            map_tile_response, request, tiles, catalog, layer, address, v
        )
    part = LayerPart(layer, select_attributes(layer, properties))
    return await vector_tile_response(request, tiles, [part], address, v)


@router.get(
    "/collections/{collectionId}/map/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getCollectionMapTile",
    summary="Map tile (PNG) of a collection",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def collection_map_tile(
    request: Request,
    layer: CatalogLayerDep,
    catalog: CatalogDep,
    tiles: TilesDep,
    address: TileAddressDep,
    v: Version = None,
):
    """Return a PNG tile of a vector collection drawn with its style."""
    check_zoom(layer, address)
    return map_tile_response(request, tiles, catalog, layer, address, v)


@router.get("/tiles", operation_id="getDatasetVectorTileSetsList", summary="Dataset tilesets")
def dataset_tilesets(request: Request, layers: LayersDep, base_url: BaseUrlDep):
    """List the tilesets combining several collections (``collections=a,b``)."""
    query = _collections_query(request)
    return JSONBytesResponse(
        tilesets_document(f"{base_url}/tiles", base_url, "geoservice", query=query)
    )


@router.get(
    "/tiles/{tileMatrixSetId}",
    operation_id="getDatasetVectorTileSet",
    summary="Dataset tileset",
)
def dataset_tileset(
    request: Request,
    layers: LayersDep,
    store: StoreDep,
    tileMatrixSetId: TmsId,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Describe the tileset combining several collections."""
    get_tms(tileMatrixSetId)
    bbox = union_bounds(store, layers)
    doc = tileset_document(
        f"{base_url}/tiles",
        base_url,
        tileMatrixSetId,
        layers,
        bbox,
        lang=lang,
        query=_collections_query(request),
    )
    return JSONBytesResponse(doc)


@router.get(
    "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getDatasetVectorTile",
    summary="Vector tile of several collections",
    response_class=Response,
    responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}},
)
def dataset_tile(
    request: Request, layers: LayersDep, tiles: TilesDep, address: TileAddressDep, v: Version = None
):
    """Return one vector tile holding a layer per collection (``collections=a,b``)."""
    parts = [LayerPart(layer, select_attributes(layer, None)) for layer in layers]
    return _vector_tile(request, tiles, parts, address, v)


async def vector_tile_response(request: Request, tiles, parts, address, v) -> Response:
    """Answer from memory when the versions and the tile are known, else in a thread."""
    if_none_match, gzip_ok = request.headers.get("if-none-match"), accepts_gzip(request)
    plan = tiles.vector.quick_plan(parts, address)
    answer = await quick_vector_tile(
        tiles.vector, parts, address, if_none_match=if_none_match, gzip_ok=gzip_ok, plan=plan
    )
    if answer is None:
        answer = await run_in_threadpool(
            vector_tile,
            tiles.vector,
            parts,
            address,
            if_none_match=if_none_match,
            gzip_ok=gzip_ok,
            plan=plan,
        )
    return _vector_response(answer, tiles, v)


def _vector_tile(request: Request, tiles, parts, address: TileAddress, v: str | None) -> Response:
    answer = vector_tile(
        tiles.vector,
        parts,
        address,
        if_none_match=request.headers.get("if-none-match"),
        gzip_ok=accepts_gzip(request),
    )
    return _vector_response(answer, tiles, v)


def _vector_response(answer: VectorAnswer, tiles, v: str | None) -> Response:
    plan, result = answer
    headers = cache_headers(plan.etag, tiles.settings.tiles, fresh=names_current(v, plan.versions))
    return not_modified(headers) if result is None else tile_response(result, headers)


def map_tile_response(request, tiles, catalog: Catalog, layer, address, v) -> Response:
    """Answer a PNG map tile request of a vector layer (304/204/200)."""
    prepared = tiles.map_tile(layer, catalog.style_of(layer), address)
    return conditional_tile_response(
        request,
        prepared.etag,
        tiles.settings.tiles,
        fresh=names_current(v, prepared.versions),
        render=prepared.result,
    )


def _collections_query(request: Request) -> str:
    params = [(k, request.query_params.get(k)) for k in ("collections", "area")]
    return "&".join(f"{k}={quote(v, safe=',')}" for k, v in params if v)
