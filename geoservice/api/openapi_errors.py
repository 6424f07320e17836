"""Make the OpenAPI document tell the truth about errors and keys.

FastAPI documents only a route's success and a 422 for validation errors, which
this service answers as 400 (``api/errors.py``). Client generators and fuzzers
read the document, so every operation here lists the error answers it can give,
each with the one error body (``Exception``), and every write (and every read,
when reads need a key) lists both ways of sending a key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from fastapi import FastAPI

SAFE_METHODS = frozenset({"get", "head", "options"})
WITH_BODY = frozenset({"post", "put", "patch"})

EXCEPTION_SCHEMA = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {
        "code": {"type": "string", "description": "error class, e.g. InvalidParameter"},
        "description": {"type": "string", "description": "what went wrong, for a person"},
        "details": {"description": "which file, row, rule or parameter (when known)"},
    },
}

WHY = {
    400: "A parameter, filter or body is not valid (the description says which).",
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role or layers do not allow this.",
    404: "No such collection, feature, version, tile, job or process.",
    409: "The request conflicts with what is stored (the layer exists, a job runs).",
    406: "No media type the Accept header lists is offered (the description says which are).",
    412: "If-Match names a feature version that is no longer current, or others are editing.",
    413: "The body is larger than the upload limit.",
    415: "The body's media type is not one this route reads.",
    422: "The upload or input was read but its content cannot be used.",
    428: "Edits must name the feature version they change (If-Match).",
    503: "The store is unavailable; retry after Retry-After seconds.",
    507: "The disk is full; nothing was written.",
}

API_KEY_SCHEMES = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "API key gsk_... as 'Authorization: Bearer <key>'",
    },
    "ApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "the same API key in the X-API-Key header",
    },
}


# Query parameters that name a thing, so naming an unknown one is a 404 (like a path).
LOOKUP_QUERY_PARAMETERS = frozenset({"area"})


def error_statuses(method: str, path: str, *, needs_key: bool, lookups: bool = False) -> list[int]:
    """Return the error statuses an operation can answer (``lookups``: it takes a query
    parameter naming a study area or the like, which may not exist)."""
    codes = {400, 503}
    if "{" in path or lookups:
        codes.add(404)
    writing = method not in SAFE_METHODS
    if needs_key:
        codes |= {401, 403}
    if writing:
        codes.add(409)
    if method == "get" and path.endswith(("/items", "/items/{featureId}", "/download")):
        codes.add(406)
    if method in WITH_BODY:
        codes |= {413, 415, 422, 507}
    if writing and path.startswith("/collections/{collectionId}/"):
        codes.add(412)  # edits check the version they change
    if writing and path.endswith("/items/{featureId}"):
        codes.add(428)
    return sorted(codes)


def with_error_responses(doc: dict, *, reads_need_key: bool) -> dict:
    """Return a copy of ``doc`` listing each operation's errors and key schemes."""
    out = copy.deepcopy(doc)
    components = out.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Exception"] = EXCEPTION_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {**components.get("securitySchemes", {}), **API_KEY_SCHEMES}
    for path, operations in out.get("paths", {}).items():
        for method, op in operations.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            _document(op, method, path, reads_need_key=reads_need_key)
    return out


def _document(op: dict, method: str, path: str, *, reads_need_key: bool) -> None:
    responses = op["responses"]
    needs_key = method not in SAFE_METHODS or reads_need_key or bool(op.get("security"))
    lookups = any(
        p.get("in") == "query" and p.get("name") in LOOKUP_QUERY_PARAMETERS
        for p in op.get("parameters", [])
    )
    statuses = error_statuses(method, path, needs_key=needs_key, lookups=lookups)
    if 422 not in statuses:
        responses.pop("422", None)  # FastAPI's validation answer: this service's is 400
    for status in statuses:
        responses[str(status)] = {
            "description": WHY[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Exception"}}},
        }
        if status == 503:
            responses["503"]["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
            }
    if needs_key:
        op["security"] = [{"HTTPBearer": []}, {"ApiKeyHeader": []}]


def install_openapi(app: FastAPI, *, reads_need_key: bool) -> None:
    """Make ``app.openapi()`` return the document with the error answers listed."""
    generate: Callable[[], dict] = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = with_error_responses(generate(), reads_need_key=reads_need_key)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
