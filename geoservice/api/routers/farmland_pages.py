"""Farmland supervision pages: grid maps per level, monthly reports, yearly scoring.

HTML first (printable, Chinese unless ``lang=en``), JSON with ``f=json``, CSV
with ``f=csv`` where a table is the point.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from geoservice.api.deps import CatalogDep, LangDep, SettingsDep, StoreDep
from geoservice.api.responses import JSONBytesResponse, render_html
from geoservice.farmland import gridmap, pages, report, scoring
from geoservice.farmland.scheme import CATEGORIES, SCORING_ITEMS, SECTIONS, STATUSES

router = APIRouter(tags=["Farmland supervision"])
UnitPath = Annotated[str, Path(description="level-2 grid code", max_length=40)]
CellPath = Annotated[str, Path(description="level-3 cell code", max_length=80)]
HTML_ONLY = {200: {"content": {"text/html": {}}}}
HTML_OR_JSON = {200: {"content": {"text/html": {}, "application/json": {}}}}
HTML_JSON_CSV = {200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}}}
MapFormat = Annotated[str, Query(description="html (default) or json", pattern="^(html|json)$")]
Format = Annotated[
    str, Query(description="html (default), json or csv", pattern="^(html|json|csv)$")
]


@router.get(
    "/farmland",
    operation_id="getFarmlandPlatform",
    summary="Farmland platform",
    response_class=HTMLResponse,
    responses=HTML_ONLY,
)
def farmland_index(request: Request, lang: LangDep):
    """Show the platform's entry page: grid maps, reports, scoring, the phone form."""
    return render_html(request, "farmland_index.html", lang=lang)


@router.get(
    "/farmland/maps",
    operation_id="getFarmlandDistrictMap",
    summary="District grid map",
    responses=HTML_OR_JSON,
)
def district_map(
    request: Request, store: StoreDep, catalog: CatalogDep, lang: LangDep, f: MapFormat = "html"
):
    """Show the district overview of the farmland grid (level 1 and its level-2 units)."""
    grid = gridmap.district_map(store, catalog, lang=lang)
    return _map_page(request, grid, lang, f)


@router.get(
    "/farmland/maps/{unitCode}",
    operation_id="getFarmlandUnitMap",
    summary="Unit grid map",
    responses=HTML_OR_JSON,
)
def unit_map(
    request: Request,
    store: StoreDep,
    catalog: CatalogDep,
    lang: LangDep,
    unitCode: UnitPath,
    f: MapFormat = "html",
):
    """Show a level-2 unit's grid map: boundary, cells and codes, responsibility table."""
    return _map_page(request, gridmap.unit_map(store, catalog, unitCode, lang=lang), lang, f)


@router.get(
    "/farmland/maps/{unitCode}/{cellCode}",
    operation_id="getFarmlandCellMap",
    summary="Cell map",
    responses=HTML_OR_JSON,
)
def cell_map(
    request: Request,
    store: StoreDep,
    catalog: CatalogDep,
    lang: LangDep,
    unitCode: UnitPath,
    cellCode: CellPath,
    f: MapFormat = "html",
):
    """Show a level-3 cell's grid map and who is responsible for it."""
    grid = gridmap.cell_map(store, catalog, unitCode, cellCode, lang=lang)
    return _map_page(request, grid, lang, f)


@router.get(
    "/farmland/reports/{month}",
    operation_id="getFarmlandDistrictReport",
    summary="Monthly report of every town/street",
    responses=HTML_JSON_CSV,
)
async def district_report(
    request: Request,
    store: StoreDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    lang: LangDep,
    month: Annotated[str, Path(description="YYYY-MM", max_length=7)],
    f: Format = "html",
):
    """Sum a month for every town/street: patrols done vs expected, incidents, overdue."""
    done = await run_in_threadpool(
        report.district_report, store, catalog, month, norms=settings.farmland
    )
    if f == "csv":
        return _csv(report.district_csv(done), f"farmland-{month}.csv")
    if f == "json":
        return JSONBytesResponse(
            {"month": month, "units": [pages.report_document(r) for r in done]}
        )
    return render_html(
        request, "farmland_district_report.html", lang=lang, reports=done, month=month
    )


@router.get(
    "/farmland/reports/{unitCode}/{month}",
    operation_id="getFarmlandMonthlyReport",
    summary="Monthly report",
    responses=HTML_JSON_CSV,
)
async def monthly_report(
    request: Request,
    store: StoreDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    lang: LangDep,
    unitCode: UnitPath,
    month: Annotated[str, Path(description="YYYY-MM", max_length=7)],
    f: Format = "html",
    table: Annotated[str, Query(pattern="^(cells|incidents|overdue)$")] = "cells",
):
    """Report a unit's month: patrols done vs expected, incidents by category/status, overdue."""
    done = await run_in_threadpool(
        report.monthly_report, store, catalog, unitCode, month, norms=settings.farmland
    )
    if f == "csv":
        name = f"farmland-{unitCode}-{month}-{table}.csv"
        return _csv(report.report_csv(done, table), name)
    if f == "json":
        return JSONBytesResponse(pages.report_document(done))
    return render_html(
        request,
        "farmland_report.html",
        lang=lang,
        report=done,
        categories=CATEGORIES,
        statuses=STATUSES,
    )


@router.get(
    "/farmland/scoring/{year}",
    operation_id="getFarmlandScoring",
    summary="Yearly scoring",
    responses=HTML_JSON_CSV,
)
async def yearly_scoring(
    request: Request,
    store: StoreDep,
    catalog: CatalogDep,
    lang: LangDep,
    year: Annotated[int, Path(description="assessment year", ge=2000, le=2100)],
    f: Format = "html",
):
    """Score every town/street on 附件1's 100 points; a choropleth of the ratings."""
    scores = await run_in_threadpool(scoring.yearly_scores, store, catalog, year)
    if f == "csv":
        return _csv(pages.scores_csv(scores), f"farmland-scoring-{year}.csv")
    if f == "json":
        return JSONBytesResponse(pages.scores_document(scores))
    grid = await run_in_threadpool(gridmap.district_map, store, catalog, lang=lang)
    return render_html(
        request,
        "farmland_scoring.html",
        lang=lang,
        scores=scores,
        year=year,
        grid=pages.rating_map(grid, scores),
        items=SCORING_ITEMS,
        sections=SECTIONS,
    )


def _map_page(request: Request, grid: gridmap.GridMap, lang: str, f: str):
    if f == "json":
        return JSONBytesResponse(pages.map_document(grid))
    return render_html(
        request,
        "farmland_map.html",
        lang=lang,
        grid=grid,
    )


def _csv(text: str, filename: str) -> Response:
    # a BOM so that Excel, which planners open these in, reads the Chinese as UTF-8
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
