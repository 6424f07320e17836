"""``GET /admin/audit``: the last records of the audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from geoservice.api.auth import AdminDep
from geoservice.api.responses import JSONBytesResponse

router = APIRouter(tags=["Admin"])


@router.get("/admin/audit", operation_id="getAuditLog", summary="Audit log of writes")
def audit_tail(
    request: Request,
    principal: AdminDep,
    limit: Annotated[int, Query(ge=1, le=10_000, description="records, newest last")] = 100,
):
    """Return the last ``limit`` write requests: who, what, when, from where, outcome."""
    return JSONBytesResponse({"records": request.app.state.audit.tail(limit)})
