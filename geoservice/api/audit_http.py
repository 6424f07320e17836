"""The audit log at the API edge: a record for every write request.

:class:`AuditMiddleware` wraps the key check, so writes it refuses (401, 403)
are recorded too. Who comes from the principal the key check leaves in the
scope (key id, name, role: never the key), what from the route and its
parameters, the outcome from the status sent. Each write gets a request id,
sent back as ``X-Request-Id`` (a client's own id is kept when it is sane).
"""

from __future__ import annotations

import logging
import re
import uuid

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geoservice.api.methods import route_of
from geoservice.audit import AuditLog, AuditRecord

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
JOB_LOCATION = re.compile(r"/jobs/([A-Za-z0-9._-]+)")
LAYER_LOCATION = re.compile(r"/collections/([^/?]+)")
log = logging.getLogger(__name__)


class AuditMiddleware:
    """Record every request whose method is not GET/HEAD/OPTIONS in the audit log."""

    def __init__(self, app: ASGIApp, log: AuditLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        sent: dict = {"status": 500, "location": None}

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                headers = list(message.get("headers", []))
                for name, value in headers:
                    if name.lower() == b"location":
                        sent["location"] = value.decode("latin-1")
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            record = _record(scope, state, request_id, sent["status"], sent["location"])
            try:
                await anyio.to_thread.run_sync(self.log.append, record)
            except OSError as exc:  # a full disk must not turn the answer into a 500
                log.error("audit record not written (%s): %s", exc, record)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1").strip()
            if SANE_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


def _record(scope: Scope, state: dict, request_id: str, status: int, location) -> AuditRecord:
    route, params = route_of(scope)
    principal = state.get("principal")
    layer = params.get("collectionId")
    job = params.get("jobId") or state.get("audit_job")  # a route may name the job it made
    if location and job is None and (found := JOB_LOCATION.search(location)):
        job = found[1]
    if location and layer is None and (found := LAYER_LOCATION.search(location)):
        layer = found[1]
    client = scope.get("client")
    return AuditRecord(
        time=AuditRecord.now(),
        request_id=request_id,
        client=client[0] if client else None,
        key_id=getattr(principal, "key_id", None),
        key_name=getattr(principal, "name", None),
        role=getattr(principal, "role", None),
        method=scope["method"],
        route=route or "",
        path=scope.get("path", ""),
        layer=layer,
        job=job,
        status=status,
    )
