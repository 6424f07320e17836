"""Farmland supervision records: patrols, incidents, status changes, photos, the phone form.

Wardens' keys may write here (and only here), each in its own cells; the domain
(:mod:`geoservice.farmland.records`) checks the cell and makes every record a
new version of its layer.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from geoservice.api.auth import WardenDep
from geoservice.api.deps import BaseUrlDep, CatalogDep, LangDep, SettingsDep, StoreDep
from geoservice.api.responses import JSONBytesResponse, render_html
from geoservice.errors import InvalidParameter, UploadTooLarge
from geoservice.farmland import photos, records
from geoservice.farmland.scheme import CATEGORIES

router = APIRouter(tags=["Farmland supervision"])
GEOMETRY = {"type": "object", "description": "GeoJSON geometry in lon/lat (CRS84)"}
PLACEMENT = {"type": "string", "enum": list(records.PLACEMENTS), "default": "device_gps"}


def _json_body(properties: dict, required: list[str]) -> dict:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


PATROL_BODY = _json_body(
    {
        "patrol_date": {"type": "string", "format": "date"},
        "geometry": {**GEOMETRY, "description": "Point, MultiPoint or LineString route"},
        "cell_code": {"type": "string", "description": "optional; found from the position"},
        "findings": {"type": "string", "maxLength": records.MAX_TEXT},
        "placement_method": PLACEMENT,
    },
    ["patrol_date", "geometry"],
)
INCIDENT_BODY = _json_body(
    {
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "geometry": {**GEOMETRY, "description": "Point or Polygon"},
        "cell_code": {"type": "string", "description": "optional; found from the position"},
        "description": {"type": "string", "maxLength": records.MAX_TEXT},
        "placement_method": PLACEMENT,
    },
    ["category", "geometry"],
)
STATUS_BODY = _json_body(
    {
        "status": {"type": "string", "enum": ["verified", "rectified", "closed"]},
        "note": {"type": "string", "maxLength": records.MAX_TEXT},
    },
    ["status"],
)
PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            t: {"schema": {"type": "string", "format": "binary"}} for t in photos.SIGNATURES
        },
    }
}
MAX_JSON = 1024 * 1024
IncidentPath = Annotated[str, Path(description="incident id (I + 12 hex digits)", max_length=40)]


@router.post(
    "/farmland/patrols", operation_id="recordPatrol", status_code=201, openapi_extra=PATROL_BODY
)
async def record_patrol(
    request: Request,
    principal: WardenDep,
    store: StoreDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    base_url: BaseUrlDep,
):
    """Record a patrol (巡田): date, route or points, findings; in one of the key's cells."""
    body = await _json(request)
    done = await run_in_threadpool(
        records.record_patrol, store, catalog, body, principal=principal, limits=settings.uploads
    )
    return _created(done, "patrol_id", f"{base_url}/collections/farmland_patrols/items/{done.fid}")


@router.post(
    "/farmland/incidents",
    operation_id="reportIncident",
    status_code=201,
    openapi_extra=INCIDENT_BODY,
)
async def report_incident(
    request: Request,
    principal: WardenDep,
    store: StoreDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    base_url: BaseUrlDep,
):
    """Report an incident (point or polygon, a category of the scheme); status ``reported``."""
    body = await _json(request)
    done = await run_in_threadpool(
        records.report_incident,
        store,
        catalog,
        body,
        principal=principal,
        limits=settings.uploads,
    )
    url = f"{base_url}/collections/farmland_incidents/items/{done.fid}"
    return _created(done, "incident_id", url)


@router.post(
    "/farmland/incidents/{incidentId}/status",
    operation_id="changeIncidentStatus",
    openapi_extra=STATUS_BODY,
)
async def change_status(
    request: Request,
    principal: WardenDep,
    store: StoreDep,
    catalog: CatalogDep,
    incidentId: IncidentPath,
):
    """Move an incident to its next status (verified, rectified, closed), with a note."""
    body = await _json(request)
    done = await run_in_threadpool(
        records.change_status, store, catalog, incidentId, body, principal=principal
    )
    return JSONBytesResponse({"incident_id": done.key, "id": done.fid, "version": done.version})


@router.post(
    "/farmland/incidents/{incidentId}/photos",
    operation_id="attachIncidentPhoto",
    status_code=201,
    openapi_extra=PHOTO_BODY,
)
async def attach_photo(
    request: Request,
    principal: WardenDep,
    store: StoreDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    incidentId: IncidentPath,
):
    """Attach a photo (body: the JPEG, PNG or WebP file itself; size-limited)."""
    limits = settings.farmland
    length = request.headers.get("content-length")
    media = photos.check_declared(
        request.headers.get("content-type"),
        int(length) if length and length.isdigit() else None,
        limits,
    )
    data = await _limited_body(request, limits.photo_max_bytes, photos.too_large(limits))
    done, entry = await run_in_threadpool(
        records.attach_photo,
        store,
        catalog,
        incidentId,
        media,
        data,
        photos_dir=settings.farmland_photos_dir,
        limits=limits,
        principal=principal,
    )
    return JSONBytesResponse({**entry, "version": done.version}, status_code=201)


@router.get(
    "/farmland/incidents/{incidentId}/photos/{name}",
    operation_id="getIncidentPhoto",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in photos.SIGNATURES}}},
)
def get_photo(
    settings: SettingsDep,
    incidentId: IncidentPath,
    name: Annotated[str, Path(description="photo file name", max_length=80)],
):
    """Return a stored photo of an incident."""
    path, media = photos.photo_path(settings.farmland_photos_dir, incidentId, name)
    return FileResponse(path, media_type=media)


@router.get("/farmland/record", operation_id="getRecordForm", include_in_schema=False)
def record_form(request: Request, lang: LangDep, settings: SettingsDep):
    """Show the phone form that records a patrol or an incident at the device's position."""
    return render_html(
        request,
        "farmland_record.html",
        lang=lang,
        categories=CATEGORIES,
        max_photo=settings.farmland.photo_max_bytes,
        photo_types=settings.farmland.photo_types,
    )


def _created(done: records.Recorded, key_name: str, url: str) -> JSONBytesResponse:
    doc = {key_name: done.key, "id": done.fid, "version": done.version, "cell_code": done.cell_code}
    return JSONBytesResponse(doc, status_code=201, headers={"Location": url})


async def _json(request: Request):
    raw = await _limited_body(request, MAX_JSON, "the body is larger than 1 MiB")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}") from None


async def _limited_body(request: Request, limit: int, message: str) -> bytes:
    """Read the body, refusing it as soon as it passes ``limit`` bytes (nothing kept)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise UploadTooLarge(message)
    return bytes(data)
