"""Map products (issue 17): the industry map with its site sheets, the logistics e-map,
the scenic-area e-guide. Registered before ``/maps/{collectionId}``, which would
otherwise take their paths for collection ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, RuntimeDep, StoreDep
from geoservice.api.responses import map_page_response, render_html
from geoservice.maps import products, service, site_sheet

router = APIRouter(tags=["Maps"])
HTML_ONLY = {200: {"content": {"text/html": {}}}}


def _product_route(product_id: str, summary: str):
    async def show(
        runtime: RuntimeDep, catalog: CatalogDep, lang: LangDep, base_url: BaseUrlDep
    ) -> HTMLResponse:
        area = site_sheet.product_area(catalog, products.PRODUCTS[product_id])
        outline = await run_in_threadpool(service.outline_geojson, catalog, runtime.store, area)
        page = await run_in_threadpool(
            products.product_page,
            runtime.map_pages,
            catalog,
            runtime.store,
            runtime.settings,
            product_id,
            area=area,
            lang=lang,
            base_url=base_url,
            outline=outline,
        )
        return map_page_response(page, runtime.settings)

    show.__doc__ = summary
    router.add_api_route(
        f"/maps/{product_id}",
        show,
        methods=["GET"],
        operation_id=f"get{product_id.title()}Map",
        summary=summary,
        response_class=HTMLResponse,
        responses=HTML_ONLY,
    )


_product_route("industry", "Industry map (产业地图): firms by chain, idle assets by status, parks")
_product_route("logistics", "Logistics e-map (电子物流信息地图): tiers, zones, roads, catchments")
_product_route("tourism", "Scenic-area e-guide (景区电子导览): clusters, routes and stops")


@router.get(
    "/maps/industry/sites/{siteId}",
    operation_id="getSiteSheet",
    summary="Printable one-page sheet of an idle site",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
async def site_sheet_page(
    request: Request,
    catalog: CatalogDep,
    store: StoreDep,
    lang: LangDep,
    siteId: Annotated[str, Path(description="code of the site in idle_assets", max_length=100)],
    min_area_ha: Annotated[float, Query(ge=0, le=100_000)] = site_sheet.DEFAULT_MIN_AREA_HA,
    max_base_km: Annotated[float, Query(gt=0, le=500)] = site_sheet.DEFAULT_MAX_BASE_KM,
    max_park_km: Annotated[float, Query(gt=0, le=500)] = site_sheet.DEFAULT_MAX_PARK_KM,
) -> HTMLResponse:
    """Location map, area, the constraints it meets, nearest logistics park and business circle."""
    criteria = site_sheet.Criteria(min_area_ha, max_base_km, max_park_km)
    sheet = await run_in_threadpool(site_sheet.build_sheet, catalog, store, siteId, criteria, lang)
    return render_html(request, "site_sheet.html", sheet=sheet, lang=lang)
