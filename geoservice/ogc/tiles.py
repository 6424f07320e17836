"""OGC API Tiles documents: tile matrix sets, tileset lists, tileset metadata.

Framework-free: functions of layers, base URLs and extents returning dicts.
"""

from __future__ import annotations

from collections.abc import Sequence

from geoservice.catalog.models import LayerDef
from geoservice.ogc.links import JSON, link
from geoservice.tiles.tms import OFFERED, get_tms, tile_limits

TILES_1 = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf"
TILES_CONFORMANCE = [
    f"{TILES_1}/core",
    f"{TILES_1}/tileset",
    f"{TILES_1}/tilesets-list",
    f"{TILES_1}/geodata-tilesets",
    f"{TILES_1}/dataset-tilesets",
    f"{TILES_1}/collections-selection",
    f"{TILES_1}/mvt",
    f"{TILES_1}/png",
]
MVT = "application/vnd.mapbox-vector-tile"
PNG = "image/png"
TILEJSON = "application/json"
TMS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILESETS_VECTOR_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILESETS_MAP_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"
GEOMETRY_DIMENSION = {"point": 0, "line": 1, "polygon": 2}


def tms_list_document(base_url: str) -> dict:
    """Return ``/tileMatrixSets``."""
    return {
        "tileMatrixSets": [
            {
                "id": tms_id,
                "title": get_tms(tms_id).title,
                "uri": str(get_tms(tms_id).uri),
                "links": [link(f"{base_url}/tileMatrixSets/{tms_id}", TMS_REL, JSON)],
            }
            for tms_id in OFFERED
        ],
        "links": [link(f"{base_url}/tileMatrixSets", "self", JSON)],
    }


def tms_document(tms_id: str) -> dict:
    """Return one tile matrix set definition (OGC TMS 2.0 JSON)."""
    return get_tms(tms_id).model_dump(mode="json", exclude_none=True)


def tile_links(base: str, tms_id: str, *, png: bool = True, query: str = "") -> list[dict]:
    """Return the templated tile links of a tileset (MVT, and PNG map tiles)."""
    suffix = f"?{query}" if query else ""
    out = [
        {
            **link(f"{base}/{tms_id}/{TEMPLATE}{suffix}", "item", MVT, "Vector tiles (MVT)"),
            "templated": True,
        },
        link(f"{base}/{tms_id}/tilejson.json{suffix}", "describedby", TILEJSON, "TileJSON"),
    ]
    if png:
        sep = "&" if query else "?"
        out.append(
            {
                **link(
                    f"{base}/{tms_id}/{TEMPLATE}{suffix}{sep}f=png", "item", PNG, "Map tiles (PNG)"
                ),
                "templated": True,
            }
        )
    return out


def tilesets_document(base: str, base_url: str, title: str, *, query: str = "") -> dict:
    """Return a tileset list (``.../tiles``): one vector tileset per tile matrix set."""
    suffix = f"?{query}" if query else ""
    return {
        "tilesets": [
            {
                "title": f"{title} ({tms_id})",
                "dataType": "vector",
                "crs": str(get_tms(tms_id).crs.root),
                "tileMatrixSetURI": str(get_tms(tms_id).uri),
                "links": [
                    link(f"{base}/{tms_id}{suffix}", "self", JSON, "tileset"),
                    link(f"{base_url}/tileMatrixSets/{tms_id}", TMS_REL, JSON),
                    *tile_links(base, tms_id, query=query),
                ],
            }
            for tms_id in OFFERED
        ],
        "links": [link(f"{base}{suffix}", "self", JSON)],
    }


def tileset_document(
    base: str,
    base_url: str,
    tms_id: str,
    layers: Sequence[LayerDef],
    bbox: tuple[float, float, float, float],
    *,
    lang: str = "zh",
    query: str = "",
) -> dict:
    """Return tileset metadata: limits, layers and the tile URL template."""
    tms = get_tms(tms_id)
    min_zoom = min(layer.tiles.min_zoom for layer in layers)
    max_zoom = max(layer.tiles.max_zoom for layer in layers)
    suffix = f"?{query}" if query else ""
    return {
        "title": " + ".join(layer.title.get(lang) for layer in layers),
        "dataType": "vector",
        "crs": str(tms.crs.root),
        "tileMatrixSetURI": str(tms.uri),
        "tileMatrixSetLimits": tile_limits(tms_id, bbox, min_zoom, max_zoom),
        "boundingBox": {
            "lowerLeft": [bbox[0], bbox[1]],
            "upperRight": [bbox[2], bbox[3]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "layers": [_tileset_layer(layer, lang) for layer in layers],
        "links": [
            link(f"{base}/{tms_id}{suffix}", "self", JSON),
            link(f"{base_url}/tileMatrixSets/{tms_id}", TMS_REL, JSON),
            *tile_links(base, tms_id, query=query),
        ],
    }


def _tileset_layer(layer: LayerDef, lang: str) -> dict:
    family = layer.geometry_type.family
    attributes = layer.tiles.attributes or layer.attribute_names
    types = {"integer": "integer", "number": "number", "boolean": "boolean"}
    return {
        "id": layer.id,
        "title": layer.title.get(lang),
        "dataType": "vector",
        **({"geometryDimension": GEOMETRY_DIMENSION[family]} if family != "any" else {}),
        "minTileMatrix": str(layer.tiles.min_zoom),
        "maxTileMatrix": str(layer.tiles.max_zoom),
        "propertiesSchema": {
            "type": "object",
            "properties": {
                name: {"type": types.get(layer.attribute(name).type.value, "string")}
                for name in attributes
            },
        },
    }


def tiles_collection_links(base_url: str, layer: LayerDef) -> list[dict]:
    """Return the tiles links added to every collection document."""
    base = f"{base_url}/collections/{layer.id}/tiles"
    return [
        link(base, TILESETS_VECTOR_REL, JSON, "Vector tilesets"),
        link(base, TILESETS_MAP_REL, JSON, "Map tilesets (PNG)"),
        link(f"{base_url}/collections/{layer.id}/style.json", "stylesheet", JSON, "MapLibre style"),
    ]
