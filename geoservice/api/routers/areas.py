"""Study areas: ``/areas`` and ``/areas/{areaId}``, as JSON or HTML."""

from __future__ import annotations

from fastapi import APIRouter, Request

from geoservice.api.deps import AreaDep, BaseUrlDep, CatalogDep, LangDep, StoreDep
from geoservice.api.responses import JSONBytesResponse, render_html, wants_html
from geoservice.catalog.areas import AreaDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import NotFoundError
from geoservice.ogc.areas import area_document, areas_document
from geoservice.storage.base import FeatureStore

router = APIRouter(tags=["Study areas"])


@router.get("/areas", operation_id="getAreas", summary="Study areas")
def list_areas(
    request: Request, catalog: CatalogDep, store: StoreDep, base_url: BaseUrlDep, lang: LangDep
):
    """List the study areas this service serves, the default one first."""
    ordered = sorted(catalog.areas.values(), key=lambda a: (a.id != catalog.default_area, a.id))
    docs = [_document(a, catalog, store, base_url, lang) for a in ordered]
    doc = areas_document(docs, base_url=base_url)
    if wants_html(request):
        return render_html(request, "areas.html", doc=doc, lang=lang)
    return JSONBytesResponse(doc)


@router.get("/areas/{areaId}", operation_id="getArea", summary="Study area")
def describe_area(
    request: Request,
    area: AreaDep,
    catalog: CatalogDep,
    store: StoreDep,
    base_url: BaseUrlDep,
    lang: LangDep,
):
    """Describe one study area: names, metric CRS, boundary, layers, maps."""
    doc = _document(area, catalog, store, base_url, lang)
    if wants_html(request):
        return render_html(request, "area.html", doc=doc, lang=lang)
    return JSONBytesResponse(doc)


def _document(area: AreaDef, catalog: Catalog, store: FeatureStore, base_url: str, lang: str):
    return area_document(
        area,
        catalog,
        base_url=base_url,
        with_data=set(store.layer_ids()),
        bounds=_boundary_bounds(area, catalog, store),
        lang=lang,
    )


def _boundary_bounds(area: AreaDef, catalog: Catalog, store: FeatureStore):
    boundary = area.boundary
    if boundary is None or boundary.layer not in catalog or not store.has_layer(boundary.layer):
        return None
    try:
        return store.bounds(catalog.get(boundary.layer))
    except NotFoundError:
        return None
