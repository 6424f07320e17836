"""OGC API Features Part 4: create, replace, update and delete features.

Every change is a new version of the layer (``store.edit``); ``If-Match``
with the feature's ETag makes it conditional (412 when the feature changed).
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from geoservice.api.auth import EditorDep, check_layer_scope
from geoservice.api.deps import BaseUrlDep, LayerDep, SettingsDep, StoreDep
from geoservice.api.params import FeatureIdPath
from geoservice.crs import CRS84_URI
from geoservice.edit.etag import current_etag
from geoservice.edit.service import (
    create_features,
    delete_feature,
    replace_feature,
    update_feature,
)
from geoservice.errors import InvalidParameter, PreconditionRequired, UnsupportedMediaType

router = APIRouter(tags=["Transactions"])
JSON_TYPES = ("application/geo+json", "application/json")
PATCH_TYPES = ("application/merge-patch+json", *JSON_TYPES)
ITEMS_ALLOW = "GET, HEAD, POST, OPTIONS"
ITEM_ALLOW = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
MAX_BODY = 50 * 1024 * 1024


@router.post(
    "/collections/{collectionId}/items",
    operation_id="createFeature",
    summary="Create features",
    status_code=201,
)
async def create(
    request: Request,
    principal: EditorDep,
    layer: LayerDep,
    store: StoreDep,
    settings: SettingsDep,
    base_url: BaseUrlDep,
):
    """Add a Feature (or a FeatureCollection) to the layer as a new version."""
    check_layer_scope(principal, layer.id)
    doc = await _body(request, JSON_TYPES)
    _, ids = await run_in_threadpool(
        create_features,
        store,
        layer,
        doc,
        crs=_content_crs(request),
        limits=settings.uploads,
        author=principal.label,
    )
    url = f"{base_url}/collections/{layer.id}/items/{ids[0]}"
    etag = await run_in_threadpool(current_etag, store, layer, ids[0], CRS84_URI)
    return Response(status_code=201, headers={"Location": url, "ETag": etag})


@router.put(
    "/collections/{collectionId}/items/{featureId}",
    operation_id="replaceFeature",
    summary="Replace a feature",
    status_code=204,
)
async def replace(
    request: Request,
    principal: EditorDep,
    layer: LayerDep,
    store: StoreDep,
    settings: SettingsDep,
    featureId: FeatureIdPath,
):
    """Replace a feature's geometry and attributes (If-Match: its ETag, optional)."""
    return await _edit(
        replace_feature, JSON_TYPES, request, principal, layer, store, settings, featureId
    )


@router.patch(
    "/collections/{collectionId}/items/{featureId}",
    operation_id="updateFeature",
    summary="Update a feature (JSON merge patch)",
    status_code=204,
)
async def update(
    request: Request,
    principal: EditorDep,
    layer: LayerDep,
    store: StoreDep,
    settings: SettingsDep,
    featureId: FeatureIdPath,
):
    """Change some attributes or the geometry of a feature (RFC 7396 merge patch)."""
    return await _edit(
        update_feature, PATCH_TYPES, request, principal, layer, store, settings, featureId
    )


async def _edit(operation, media_types, request, principal, layer, store, settings, feature_id):
    """Apply a replace or a merge patch (the body's media type decides which are allowed)."""
    check_layer_scope(principal, layer.id)
    doc = await _body(request, media_types)
    await run_in_threadpool(
        operation,
        store,
        layer,
        feature_id,
        doc,
        crs=_content_crs(request),
        limits=settings.uploads,
        author=principal.label,
        if_match=_if_match(request, settings),
    )
    return await _changed(store, layer, feature_id)


@router.delete(
    "/collections/{collectionId}/items/{featureId}",
    operation_id="deleteFeature",
    summary="Delete a feature",
    status_code=204,
)
async def delete(
    request: Request,
    principal: EditorDep,
    layer: LayerDep,
    store: StoreDep,
    settings: SettingsDep,
    featureId: FeatureIdPath,
):
    """Remove a feature from the current version (older versions keep it)."""
    check_layer_scope(principal, layer.id)
    await run_in_threadpool(
        delete_feature,
        store,
        layer,
        featureId,
        author=principal.label,
        if_match=_if_match(request, settings),
    )
    return Response(status_code=204)


@router.options("/collections/{collectionId}/items", include_in_schema=False)
def items_options(layer: LayerDep):
    """Say which methods and media types the features endpoint accepts."""
    headers = {"Allow": ITEMS_ALLOW, "Accept-Post": ", ".join(JSON_TYPES)}
    return Response(status_code=200, headers=headers)


@router.options("/collections/{collectionId}/items/{featureId}", include_in_schema=False)
def item_options(layer: LayerDep, store: StoreDep, featureId: FeatureIdPath):
    """Say which methods and media types a feature accepts."""
    store.get_feature(layer, featureId)
    headers = {"Allow": ITEM_ALLOW, "Accept-Patch": ", ".join(PATCH_TYPES)}
    return Response(status_code=200, headers=headers)


def _if_match(request: Request, settings) -> str | None:
    """Return the If-Match header, or refuse (428) its absence where it is required."""
    value = request.headers.get("if-match")
    if value is None and settings.edits.require_if_match:
        raise PreconditionRequired(
            "this service requires If-Match on feature edits: GET the feature, send its "
            "ETag as If-Match (or If-Match: * to overwrite whatever is there)"
        )
    return value


async def _body(request: Request, accepted: tuple[str, ...]):
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media:
        raise InvalidParameter(f"missing Content-Type; send {accepted[0]}")
    if media not in accepted:
        raise UnsupportedMediaType(f"Content-Type {media!r} is not accepted; use {accepted}")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidParameter("the body is larger than 50 MiB; upload a file instead")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}") from None


def _content_crs(request: Request) -> str | None:
    value = request.headers.get("content-crs")
    return value.strip().strip("<>") if value else None


async def _changed(store, layer, fid: int) -> Response:
    etag = await run_in_threadpool(current_etag, store, layer, fid, CRS84_URI)
    return Response(status_code=204, headers={"ETag": etag})
