"""Landing page, conformance, API definition and health check."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, RuntimeDep, SettingsDep
from geoservice.api.errors import retry_after
from geoservice.api.responses import JSONBytesResponse, render_html, wants_html
from geoservice.ogc.collection_paths import with_collection_paths
from geoservice.ogc.links import HTML, JSON, OPENAPI, link
from geoservice.ogc.openapi import openapi_30
from geoservice.readiness import check_readiness
from geoservice.version import build_info

router = APIRouter(tags=["Capabilities"])


@router.get("/", operation_id="getLandingPage", summary="Landing page")
def landing(
    request: Request,
    base_url: BaseUrlDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    lang: LangDep,
):
    """Describe the service, its version and commit, its study areas and its parts."""
    build = build_info()
    areas = "、".join(a.title.zh for a in catalog.areas.values())
    areas_en = ", ".join(a.title.en for a in catalog.areas.values())
    doc = {
        "title": settings.api.title,
        "description": f"服务业规划图层（研究区：{areas}）：分析、OGC API 发布、瓦片与地图 / "
        f"Planning layers for service-industry plans (study areas: {areas_en}): analysis, "
        "OGC APIs, tiles and maps",
        "version": build.version,
        "commit": build.commit,
        "links": [
            link(f"{base_url}/", "self", JSON),
            link(f"{base_url}/?f=html", "alternate", HTML),
            link(f"{base_url}/api", "service-desc", OPENAPI, "API definition"),
            link(f"{base_url}/api.html", "service-doc", HTML, "API documentation"),
            link(f"{base_url}/conformance", "conformance", JSON, "conformance classes"),
            link(f"{base_url}/collections", "data", JSON, "collections"),
            link(f"{base_url}/areas", "data", JSON, "study areas"),
            *(
                link(base_url + path, rel, media, title)
                for path, rel, media, title in request.app.state.web.landing_links
            ),
        ],
    }
    if wants_html(request):
        return render_html(request, "landing.html", doc=doc, lang=lang)
    return JSONBytesResponse(doc)


@router.get("/conformance", operation_id="getConformanceDeclaration", summary="Conformance")
def conformance(request: Request):
    """List the conformance classes this service implements."""
    doc = {"conformsTo": request.app.state.web.conformance}
    if wants_html(request):
        return render_html(request, "conformance.html", doc=doc)
    return JSONBytesResponse(doc)


@router.get(
    "/api",
    operation_id="getAPI",
    summary="API definition (OpenAPI 3.0)",
    responses={200: {"content": {OPENAPI: {}}}},
)
def api_definition(request: Request, catalog: CatalogDep):
    """Return the OpenAPI 3.0 definition generated from the code, with an items path
    per collection listing its queryables (what GDAL/QGIS read to filter on the server)."""
    return JSONBytesResponse(
        openapi_30(with_collection_paths(request.app.openapi(), catalog)),
        media_type=OPENAPI,
    )


FAVICON = (Path(__file__).resolve().parents[2] / "static" / "favicon.svg").read_bytes()


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """Browsers ask for it on every page; a 404 would be an error in their console."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/healthz", include_in_schema=False)
async def health() -> dict:
    """Answer without touching the thread pool, so a busy server still reports alive.

    Liveness only: whether the store answers is ``/readyz``'s question.
    """
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def ready(runtime: RuntimeDep) -> JSONResponse:
    """Ask the store and the service's own files; 503 naming the parts that are down."""
    state = check_readiness(runtime)
    headers = {}
    if state.retry_after_s is not None:
        headers["Retry-After"] = retry_after(state.retry_after_s)
    return JSONResponse(state.as_dict(), status_code=200 if state.ready else 503, headers=headers)
