"""Collection, collections and queryables documents (OGC API Features)."""

from __future__ import annotations

from geoservice.catalog.models import AttributeType, LayerDef, StyleDef
from geoservice.crs import CRS84_URI, offered_crs_uris, resolve_crs, same_crs
from geoservice.features import BBox
from geoservice.ogc.links import GEOJSON, HTML, JSON, link
from geoservice.storage.base import VersionInfo

GEOMETRY_SCHEMAS = {
    "point": "https://geojson.org/schema/Point.json",
    "line": "https://geojson.org/schema/LineString.json",
    "polygon": "https://geojson.org/schema/Polygon.json",
}
JSON_SCHEMA_TYPES = {
    AttributeType.string: {"type": "string"},
    AttributeType.integer: {"type": "integer"},
    AttributeType.number: {"type": "number"},
    AttributeType.boolean: {"type": "boolean"},
    AttributeType.date: {"type": "string", "format": "date"},
    AttributeType.datetime: {"type": "string", "format": "date-time"},
}


def collection_document(
    layer: LayerDef,
    *,
    base_url: str,
    bounds: BBox | None,
    version: VersionInfo | None,
    lang: str = "zh",
    extra_links: list[dict] | None = None,
) -> dict:
    """Return the ``/collections/{id}`` document."""
    url = f"{base_url}/collections/{layer.id}"
    doc: dict = {
        "id": layer.id,
        "title": layer.title.get(lang),
        "description": layer.description.get(lang) if layer.description else None,
        "keywords": [layer.kind.value, *layer.keywords],
        "geoservice:area": layer.area,
        "itemType": "feature",
        "crs": offered_crs_uris(),
        "storageCrs": storage_crs_uri(layer),
        "links": [
            link(url, "self", JSON),
            link(f"{url}?f=html", "alternate", HTML),
            link(f"{url}/items", "items", GEOJSON, "features (GeoJSON)"),
            link(f"{url}/items?f=html", "items", HTML, "features (HTML)"),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "queryables",
            ),
            link(
                f"{url}/items?f=gpkg",
                "enclosure",
                "application/geopackage+sqlite3",
                "whole layer as GeoPackage",
            ),
            link(
                f"{url}/items?f=fgb",
                "enclosure",
                "application/flatgeobuf",
                "whole layer as FlatGeobuf",
            ),
            link(
                f"{url}/download?f=geojson",
                "enclosure",
                GEOJSON,
                "whole layer as GeoJSON",
            ),
            *(extra_links or []),
        ],
        "geoservice:kind": layer.kind.value,
        "geoservice:source": layer.source.model_dump(exclude_none=True),
        "geoservice:titles": layer.title.model_dump(),
    }
    if layer.source.license:
        doc["license"] = layer.source.license
    if layer.source.attribution:
        doc["attribution"] = layer.source.attribution
    if bounds is not None:
        doc["extent"] = {"spatial": {"bbox": [list(bounds)], "crs": CRS84_URI}}
    if version is not None:
        doc["geoservice:version"] = {
            "version": version.version,
            "updated": version.created_at.isoformat(),
            "featureCount": version.feature_count,
        }
    return {k: v for k, v in doc.items() if v is not None}


def storage_crs_uri(layer: LayerDef) -> str:
    """Return the URI of the storage CRS; lon/lat EPSG:4326 storage is CRS84."""
    if same_crs(layer.storage_crs, "OGC:CRS84"):
        return CRS84_URI
    return resolve_crs(layer.storage_crs).uri


def queryables_document(layer: LayerDef, *, base_url: str, lang: str = "zh") -> dict:
    """Return the JSON Schema of a collection's queryables (OGC API Features Part 3)."""
    properties: dict = {
        "geometry": {
            "title": "geometry",
            **(
                {"$ref": GEOMETRY_SCHEMAS[layer.geometry_type.family]}
                if layer.geometry_type.family in GEOMETRY_SCHEMAS
                else {"format": "geometry-any"}
            ),
        },
        "id": {"title": "feature id", "type": "integer"},
    }
    for attr in layer.attributes:
        schema = dict(JSON_SCHEMA_TYPES[attr.type])
        if attr.title:
            schema["title"] = attr.title.get(lang)
        if attr.description:
            schema["description"] = attr.description
        if attr.enum:
            schema["enum"] = list(attr.enum)
        properties[attr.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}/collections/{layer.id}/queryables",
        "type": "object",
        "title": layer.title.get(lang),
        "properties": properties,
        "additionalProperties": False,
    }


def style_summary(style: StyleDef) -> dict:
    """Return the style facts worth showing next to a collection."""
    return {
        "id": style.id,
        "title": style.title.model_dump(),
        "geometry": style.geometry,
    }
