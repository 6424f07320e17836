"""Domain errors to HTTP responses, in one place.

Every error body is JSON ``{"code", "description", "details"}`` (the OGC API
exception shape), so a client or a GIS technician can read what went wrong.
"""

from __future__ import annotations

import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geoservice import errors as e

STATUS_CODES: dict[type[e.GeoserviceError], int] = {
    e.NotFoundError: 404,
    e.InvalidParameter: 400,
    e.UnsupportedMediaType: 415,
    e.InvalidUpload: 422,
    e.UploadTooLarge: 413,
    e.CatalogError: 400,
    e.ConflictError: 409,
    e.PreconditionFailed: 412,
    e.PreconditionRequired: 428,
    e.NotAcceptable: 406,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.StoreUnavailable: 503,
    e.InsufficientStorage: 507,
    e.MapAssetsMissing: 503,
}


def status_of(error: e.GeoserviceError) -> int:
    """Return the HTTP status of a domain error (most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


def status_of_code(code: str | None) -> int:
    """Return the HTTP status of a recorded error code (a failed job's, say).

    Jobs record the domain error's code, not a status, so the CLI and HTTP record
    the same thing; HTTP decides how to show it when it is read.
    """
    cls = e.error_class(code) if code else None
    for klass in cls.__mro__ if cls is not None else ():
        if klass in STATUS_CODES:
            return STATUS_CODES[klass]
    return 500


def error_response(
    status: int, code: str, description: str, details=None, *, retry_after_s: float | None = None
) -> JSONResponse:
    """Return the JSON error body every error uses (with Retry-After when it is known)."""
    body = {"code": code, "description": description}
    if details is not None:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after_s is not None:
        headers["Retry-After"] = retry_after(retry_after_s)
    return JSONResponse(body, status_code=status, headers=headers or None)


def retry_after(seconds: float) -> str:
    """Return a Retry-After value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


def add_exception_handlers(app: FastAPI) -> None:
    """Install the handlers mapping domain and validation errors to 4xx JSON."""

    @app.exception_handler(e.GeoserviceError)
    async def _domain(request: Request, exc: e.GeoserviceError) -> JSONResponse:
        return error_response(
            status_of(exc),
            exc.code,
            exc.message,
            exc.details,
            retry_after_s=getattr(exc, "retry_after_s", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        return error_response(400, "InvalidParameter", "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        response = error_response(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # 405's Allow
        return response
