"""Per-collection items paths in the OpenAPI document, with each queryable as a parameter.

OGC API Features Part 1 lets an API describe ``/collections/villages/items``
beside the generic ``/collections/{collectionId}/items``, listing the
properties a client may filter on as query parameters (``?kind=village``).
GDAL's OAPIF driver (QGIS, ogr2ogr) reads exactly these parameters to decide
which ``-where`` comparisons it can send to the server; without them it pages
the whole layer and filters on the client. The operation is otherwise the
generic one: same parameters, responses and security. The generic path's other
operations (``POST`` a feature) are listed on each path too, so the methods a path
documents are the methods it accepts (what ``Allow`` says).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from geoservice.catalog.models import LayerDef
from geoservice.ogc.collections import JSON_SCHEMA_TYPES

GENERIC_ITEMS = "/collections/{collectionId}/items"


def with_collection_paths(doc: dict, layers: Iterable[LayerDef]) -> dict:
    """Return ``doc`` with an items path per layer (``doc`` is not changed)."""
    generic_path = doc.get("paths", {}).get(GENERIC_ITEMS, {})
    generic = generic_path.get("get")
    if generic is None:
        return doc
    out = dict(doc)
    paths = dict(doc["paths"])
    for layer in layers:
        path = {"get": _items_operation(generic, layer)}
        for method, operation in generic_path.items():
            if method != "get" and isinstance(operation, dict) and "responses" in operation:
                path[method] = _for_layer(operation, layer)
        paths[f"/collections/{layer.id}/items"] = path
    out["paths"] = paths
    return out


def _for_layer(generic: dict, layer: LayerDef) -> dict:
    """Return ``generic`` (another method of the items path) for one layer's path."""
    operation = copy.deepcopy(generic)
    operation["operationId"] = f"{generic.get('operationId', 'operation')}_{layer.id}"
    operation["parameters"] = _without_collection_id(operation.get("parameters", []))
    return operation


def _without_collection_id(parameters: list) -> list:
    return [
        p for p in parameters if not (p.get("in") == "path" and p.get("name") == "collectionId")
    ]


def _items_operation(generic: dict, layer: LayerDef) -> dict:
    operation = copy.deepcopy(generic)
    operation["operationId"] = f"getFeatures_{layer.id}"
    operation["summary"] = f"Features of {layer.title.en or layer.id} ({layer.title.zh})"
    shared = _without_collection_id(operation.get("parameters", []))
    taken = {p.get("name") for p in shared}
    operation["parameters"] = shared + [
        _property_parameter(attr)
        for attr in layer.attributes
        if attr.name not in taken  # a property named like a parameter stays a filter-only one
    ]
    return operation


def _property_parameter(attr) -> dict:
    schema = dict(JSON_SCHEMA_TYPES[attr.type])
    if attr.enum:
        schema["enum"] = list(attr.enum)
    title = f" ({attr.title.zh} / {attr.title.en})" if attr.title else ""
    return {
        "name": attr.name,
        "in": "query",
        "required": False,
        "description": f"features whose {attr.name}{title} equals this value",
        "schema": schema,
        "style": "form",
        "explode": False,
    }
