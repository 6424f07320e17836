"""Planners' web maps (Folium): the list, the one-map (一张图) and one map per collection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geoservice.api.deps import (
    AreaDep,
    BaseUrlDep,
    CatalogDep,
    LangDep,
    LayerDep,
    RuntimeDep,
    SettingsDep,
    StoreDep,
)
from geoservice.api.responses import JSONBytesResponse, map_page_response, render_html
from geoservice.catalog.areas import AreaDef
from geoservice.errors import NotFoundError
from geoservice.ingest.previews import read_preview
from geoservice.maps import products, service
from geoservice.maps.assets import MEASURE_SCRIPTS, measure_script
from geoservice.ogc.links import HTML, link

router = APIRouter(tags=["Maps"])
HTML_ONLY = {200: {"content": {"text/html": {}}}}
HTML_OR_JSON = {200: {"content": {"text/html": {}, "application/json": {}}}}


@router.get("/maps", operation_id="getMaps", summary="Maps", responses=HTML_OR_JSON)
def maps_list(
    request: Request, catalog: CatalogDep, store: StoreDep, lang: LangDep, base_url: BaseUrlDep
):
    """List the maps: the one-map and one per collection (HTML, or JSON with ``f=json``)."""
    entries = service.map_index(catalog, store, lang)
    entries[len(catalog.areas) : len(catalog.areas)] = products.product_entries(
        catalog, store, lang
    )
    for entry in entries:
        entry["links"] = [link(f"{base_url}/maps/{entry['id']}?lang={lang}", "item", HTML)]
    if request.query_params.get("f") == "json":
        return JSONBytesResponse({"maps": entries})
    return render_html(request, "maps.html", entries=entries, lang=lang, base_url=base_url)


@router.get(
    f"/maps/{service.ONE_MAP}",
    operation_id="getOneMap",
    summary="One map of the default study area's planning layers",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
async def one_map(
    runtime: RuntimeDep, catalog: CatalogDep, lang: LangDep, base_url: BaseUrlDep
) -> HTMLResponse:
    """Show the default study area's planning layers, grouped by kind, with its indicators."""
    return await _one_map(runtime, catalog, catalog.area(), lang, base_url)


@router.get(
    f"/maps/{{areaId}}/{service.ONE_MAP}",
    operation_id="getAreaOneMap",
    summary="One map of a study area's planning layers",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
async def area_one_map(
    runtime: RuntimeDep, catalog: CatalogDep, area: AreaDep, lang: LangDep, base_url: BaseUrlDep
) -> HTMLResponse:
    """Show a study area's planning layers, grouped by kind, with its plan indicators."""
    return await _one_map(runtime, catalog, area, lang, base_url)


async def _one_map(runtime, catalog, area: AreaDef, lang: str, base_url: str) -> HTMLResponse:
    page = await run_in_threadpool(
        service.one_map_page,
        runtime.map_pages,
        catalog,
        runtime.store,
        runtime.settings,
        area=area,
        lang=lang,
        base_url=base_url,
        jobs=runtime.jobs.jobs,
    )
    return map_page_response(page, runtime.settings)


@router.get(
    "/maps/preview/{token}",
    operation_id="getUploadPreviewMap",
    summary="Map of a dry-run upload over the layer it targets",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
async def upload_preview_map(
    catalog: CatalogDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: LangDep,
    base_url: BaseUrlDep,
    token: Annotated[str, Path(max_length=64, description="from a dry run's preview_map")],
) -> HTMLResponse:
    """Show a dry run's first features over what the layer holds now (kept a day)."""
    preview = await run_in_threadpool(read_preview, settings.previews_dir, token)
    if preview is None:
        raise NotFoundError(
            f"no upload preview {token[:64]!r}: previews are kept a day; run the dry run again"
        )
    options = service.map_options(settings.maps, lang=lang, service_url=base_url)
    page = await run_in_threadpool(service.preview_map, catalog, store, preview, options)
    return map_page_response(page, settings)


@router.get(
    "/maps/{collectionId}",
    operation_id="getCollectionMap",
    summary="Map of a collection",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
async def collection_map(
    request: Request,
    layer: LayerDep,
    catalog: CatalogDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: LangDep,
    base_url: BaseUrlDep,
) -> HTMLResponse:
    """Show one collection with its style, legend and popups."""
    page = await run_in_threadpool(
        service.layer_map_page,
        request.app.state.runtime.map_pages,
        catalog,
        store,
        settings,
        layer.id,
        lang=lang,
        base_url=base_url,
    )
    return map_page_response(page, settings)


MEASURE_FILES = {path.rsplit("/", 1)[-1]: lang for (_, path), lang in MEASURE_SCRIPTS.items()}


@router.get("/maps/assets/{name}", include_in_schema=False)
def map_asset(name: str) -> Response:
    """Serve the measure control's script, made CSP-safe (``assets.csp_safe_measure``)."""
    if name not in MEASURE_FILES:
        raise NotFoundError(f"no map asset {name!r}")
    return Response(
        measure_script(MEASURE_FILES[name]),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )
