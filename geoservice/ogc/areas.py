"""Study-area documents: ``/areas`` and ``/areas/{areaId}`` (JSON; HTML from templates)."""

from __future__ import annotations

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.registry import Catalog
from geoservice.features import BBox
from geoservice.ogc.links import HTML, JSON, link


def area_document(
    area: AreaDef,
    catalog: Catalog,
    *,
    base_url: str,
    with_data: set[str],
    bounds: BBox | None,
    lang: str = "zh",
) -> dict:
    """Return one study area: names, CRS, boundary, its layers and where to see them."""
    url = f"{base_url}/areas/{area.id}"
    layers = catalog.layers_in(area.id)
    one_map = "one-map" if area.id == catalog.default_area else f"{area.id}/one-map"
    return {
        "id": area.id,
        "title": area.title.get(lang),
        "titles": area.title.model_dump(),
        "description": area.description.get(lang) if area.description else None,
        "default": area.id == catalog.default_area,
        "metricCrs": area.metric_crs_for(bounds),
        "extent": {"spatial": {"bbox": [list(area.bounds or bounds)]}}
        if (area.bounds or bounds)
        else None,
        "boundary": area.boundary.model_dump() if area.boundary else None,
        "referenceLayer": area.reference,
        "sampleData": area.sample_data,
        "sources": area.sources,
        "collections": [layer.id for layer in layers if layer.id in with_data],
        "declaredCollections": [layer.id for layer in layers],
        "links": [
            link(url, "self", JSON),
            link(f"{url}?f=html", "alternate", HTML),
            link(f"{base_url}/collections?area={area.id}", "data", JSON, "collections"),
            link(f"{base_url}/maps/{one_map}", "alternate", HTML, area.one_map_title(lang)),
        ],
    }


def areas_document(docs: list[dict], *, base_url: str) -> dict:
    """Return the list of study areas."""
    return {
        "areas": docs,
        "links": [
            link(f"{base_url}/areas", "self", JSON),
            link(f"{base_url}/areas?f=html", "alternate", HTML),
        ],
    }
