"""OpenAPI descriptions of the items query parameters.

The items route reads raw query parameters (property names are parameters too),
so the parameters are documented here rather than parsed by FastAPI.
"""

from __future__ import annotations

from geoservice.crs import OFFERED_EPSG, offered_crs_uris
from geoservice.features import INT64_MAX


def _param(name: str, description: str, schema: dict, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


# The CRSs offered, as OGC URIs and as the short names also accepted.
CRS_SCHEMA = {
    "type": "string",
    "enum": [
        *offered_crs_uris(),
        "CRS84",
        "OGC:CRS84",
        *(f"EPSG:{code}" for code in OFFERED_EPSG),
    ],
}

ITEMS_PARAMETERS_DOC = [
    _param(
        "bbox",
        "minx,miny,maxx,maxy (or 6 numbers with heights), in bbox-crs",
        {
            "type": "array",
            "items": {"type": "number"},
            "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
        },
        style="form",
        explode=False,
    ),
    _param("bbox-crs", "CRS of bbox (default CRS84)", CRS_SCHEMA),
    _param("crs", "CRS of the returned geometries (default CRS84)", CRS_SCHEMA),
    _param(
        "limit",
        "features per page (default 1000; 10 on HTML pages; at most 10000)",
        {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
    ),
    _param(
        "offset",
        "features to skip",
        {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "default": 0},
    ),
    _param("filter", "CQL2 filter", {"type": "string"}),
    _param(
        "filter-lang",
        "cql2-text (default) or cql2-json; cql-text, the pre-standard name GDAL's "
        "OAPIF driver (QGIS, ogr2ogr) sends, is read as cql2-text",
        {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"]},
    ),
    _param("filter-crs", "CRS of geometry literals in the filter", CRS_SCHEMA),
    _param(
        "sortby",
        "comma-separated properties, '-' prefix for descending",
        {"type": "string"},
    ),
    _param("properties", "comma-separated properties to return", {"type": "string"}),
    _param(
        "f",
        "json (GeoJSON), html, gpkg or fgb",
        {"type": "string", "enum": ["json", "html", "gpkg", "fgb"]},
    ),
    _param(
        "version",
        "a past version of the layer (see /versions)",
        {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
    ),
    _param("lang", "zh or en", {"type": "string", "enum": ["zh", "en"]}),
]
