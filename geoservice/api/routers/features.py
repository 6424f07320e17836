"""OGC API Features: collections, queryables, items, one item, downloads."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from geoservice.api.deps import (
    AreaFilterDep,
    BaseUrlDep,
    CatalogDep,
    LangDep,
    LayerDep,
    SettingsDep,
    StoreDep,
)
from geoservice.api.openapi_params import ITEMS_PARAMETERS_DOC
from geoservice.api.params import FeatureIdPath, VersionQuery
from geoservice.api.responses import (
    GeoJSONResponse,
    JSONBytesResponse,
    render_html,
    started,
    wants_html,
)
from geoservice.crs import resolve_crs
from geoservice.edit.etag import make_etag
from geoservice.encoding.geojson import encode_feature
from geoservice.export import check_filter, export_file
from geoservice.ogc.collections import collection_document, queryables_document
from geoservice.ogc.items import items_document, parse_items_request
from geoservice.ogc.links import GEOJSON, HTML, JSON, link

router = APIRouter(tags=["Features"])


@router.get("/collections", operation_id="getCollections", summary="Collections")
def collections(
    request: Request,
    catalog: CatalogDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
    area: AreaFilterDep = None,
):
    """List the layers that hold data (of one study area with ``area=``)."""
    with_data = set(store.layer_ids())
    suffix = f"?area={area.id}" if area is not None else ""
    docs = [
        collection_document(
            layer,
            base_url=base_url,
            bounds=store.bounds(layer),
            version=None,
            lang=lang,
            extra_links=collection_extra_links(request, base_url, layer),
        )
        for layer in catalog
        if layer.id in with_data and (area is None or layer.area == area.id)
    ]
    doc = {
        "collections": docs,
        "links": [
            link(f"{base_url}/collections{suffix}", "self", JSON),
            link(
                f"{base_url}/collections{suffix}{'&' if suffix else '?'}f=html", "alternate", HTML
            ),
        ],
    }
    if wants_html(request):
        return render_html(request, "collections.html", doc=doc, lang=lang)
    return JSONBytesResponse(doc)


@router.get(
    "/collections/{collectionId}",
    operation_id="describeCollection",
    summary="Collection",
)
def collection(
    request: Request,
    layer: LayerDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Describe one layer: extent, CRSs, links to its items, queryables and tiles."""
    doc = collection_document(
        layer,
        base_url=base_url,
        bounds=store.bounds(layer),
        version=store.current_version(layer.id),
        lang=lang,
        extra_links=collection_extra_links(request, base_url, layer),
    )
    if wants_html(request):
        return render_html(request, "collection.html", doc=doc, layer=layer, lang=lang)
    return JSONBytesResponse(doc)


@router.get(
    "/collections/{collectionId}/queryables",
    operation_id="getQueryables",
    summary="Queryables",
    response_class=JSONBytesResponse,
)
def queryables(layer: LayerDep, base_url: BaseUrlDep, lang: LangDep):
    """Return the properties a filter may use, as JSON Schema."""
    return JSONBytesResponse(
        queryables_document(layer, base_url=base_url, lang=lang),
        media_type="application/schema+json",
    )


@router.get(
    "/collections/{collectionId}/items",
    operation_id="getFeatures",
    summary="Features",
    openapi_extra={"parameters": ITEMS_PARAMETERS_DOC},
    responses={200: {"content": {"application/geo+json": {}, "text/html": {}}}},
)
def items(
    request: Request,
    layer: LayerDep,
    store: StoreDep,
    settings: SettingsDep,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Return features, filtered by bbox, properties or CQL2, one page at a time."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    parsed = parse_items_request(
        layer, params, settings.api, accept=request.headers.get("accept", "")
    )
    if parsed.format in ("gpkg", "fgb"):
        return _download_file(store, layer, parsed.query, parsed.format, settings)
    key = str(request.url.query)
    if "if-none-match" in request.headers:  # only then is a version lookup worth it
        version = parsed.query.version or store.current_version(layer.id).version
        etag = _etag(layer.id, version, key)
        if request.headers["if-none-match"] == etag:
            return Response(status_code=304, headers={"ETag": etag})
    url = f"{base_url}/collections/{layer.id}"
    if parsed.format == "html":  # the rows and counts are enough: no GeoJSON encoding
        page = store.query(layer, parsed.query)
        return render_html(
            request,
            "items.html",
            layer=layer,
            rows=page.rows,
            page=page,
            lang=lang,
            collection_url=url,
        )
    page = store.query_geojson(layer, parsed.query)
    headers = {"ETag": _etag(layer.id, page.version, key), "Content-Crs": f"<{parsed.crs_uri}>"}
    body = items_document(page, parsed, items_url=f"{url}/items", collection_url=url)
    return GeoJSONResponse(body, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    operation_id="getFeature",
    summary="Feature",
)
def item(
    request: Request,
    layer: LayerDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
    featureId: FeatureIdPath,
    crs: str | None = None,
    version: VersionQuery = None,
):
    """Return one feature."""
    crs_ref = resolve_crs(crs)
    rows = store.get_feature(layer, featureId, crs=crs_ref.uri, version=version)
    feature = encode_feature(rows, north_first=crs_ref.north_first)
    # Per-feature tag (geoservice.edit.etag): editing another feature leaves it valid.
    etag = make_etag(feature, crs_ref.uri)
    headers = {"ETag": etag, "Content-Crs": f"<{crs_ref.uri}>"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if wants_html(request):
        return render_html(request, "item.html", layer=layer, rows=rows, lang=lang)
    url = f"{base_url}/collections/{layer.id}"
    links = [
        link(f"{url}/items/{featureId}", "self", GEOJSON),
        link(f"{url}/items/{featureId}?f=html", "alternate", HTML),
        link(url, "collection", JSON),
    ]
    body = feature[:-1] + b',"links":' + orjson.dumps(links) + b"}"
    return GeoJSONResponse(body, headers=headers)


@router.get(
    "/collections/{collectionId}/download",
    operation_id="downloadCollection",
    summary="Whole layer download",
    openapi_extra={"parameters": ITEMS_PARAMETERS_DOC},
)
def download(request: Request, layer: LayerDep, store: StoreDep, settings: SettingsDep):
    """Stream every matching feature as GeoJSON (default), GeoPackage or FlatGeobuf."""
    params = {k: v for k, v in request.query_params.items() if k not in ("lang",)}
    fmt = params.pop("f", "geojson")
    parsed = parse_items_request(layer, params, settings.api)
    if fmt in ("gpkg", "fgb"):
        return _download_file(store, layer, parsed.query, fmt, settings)
    whole = dataclasses.replace(parsed.query, limit=None, offset=0)
    crs_uri = parsed.crs_uri
    check_filter(store, layer, whole)  # a filter failing on any row fails here, before any byte
    features = started(store.iter_geojson(layer, whole))  # as does a missing version

    def stream():
        yield b'{"type":"FeatureCollection","features":['
        yield from features
        yield b"]}"

    return StreamingResponse(
        stream(),
        media_type="application/geo+json",
        headers={
            "Content-Crs": f"<{crs_uri}>",
            "Content-Disposition": f'attachment; filename="{layer.id}.geojson"',
        },
    )


def collection_extra_links(request: Request, base_url: str, layer) -> list[dict]:
    """Return links other routers (tiles, maps) add to every collection."""
    builders = request.app.state.web.collection_link_builders
    return [item for build in builders for item in build(base_url, layer)]


def _download_file(store, layer, query, fmt, settings):
    path, media = export_file(store, layer, query, fmt, settings.uploads.work_dir)
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        background=BackgroundTask(_remove_tree, path.parent),
    )


def _remove_tree(folder) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _etag(layer_id: str, version: int, key: str) -> str:
    digest = hashlib.sha1(f"{layer_id}|{version}|{key}".encode()).hexdigest()[:20]
    return f'W/"{layer_id}-v{version}-{digest}"'
