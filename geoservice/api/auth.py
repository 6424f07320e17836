"""Authentication for every route, in one place; role checks as dependencies.

:class:`KeyMiddleware` wraps the whole app, so a route added by any router
(uploads, edits, processes, ...) is covered without opting in: any request
whose method is not GET/HEAD/OPTIONS needs a valid key of an ``editor`` or
``admin`` before its body is even read (401 without, 403 for a ``reader``
key), and reading needs a key when ``api.read_requires_key`` is set. A key that is
sent but unknown or revoked is refused (401) on any method. Which *role* a
route needs is declared on the route with :data:`EditorDep` or
:data:`AdminDep` (403 when the key lacks it). A ``warden`` key may write only
under ``/farmland/``, whose routes check that the grid cell is one of its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from geoservice.api.errors import error_response
from geoservice.api.methods import routed
from geoservice.auth.keys import Principal
from geoservice.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALWAYS_OPEN = frozenset({"/healthz", "/readyz"})
WARDEN_WRITES = "/farmland/"
"""Where a warden key may write (its routes check the key's cells)."""
HOW = "send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


def key_from_headers(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Return the API key a request carries, if any."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif lowered == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
    return None


class KeyMiddleware:
    """Resolve the API key of every request; refuse writes (and reads, if so set) without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        key = key_from_headers(scope["headers"])
        principal = app_state.runtime.keys.verify(key) if key else None
        scope.setdefault("state", {})["principal"] = principal  # the audit log reads it
        refusal = self._refusal(scope, key, principal, app_state.settings)
        # A request no route takes (TRACE, POST to a read-only path) goes on to the
        # router's 405 with Allow (or 404): there is nothing a key could unlock.
        if refusal is not None and routed(scope):
            status, code, problem = refusal
            await error_response(status, code, problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, key, principal, settings) -> tuple[int, str, str] | None:
        if key and principal is None:
            return 401, Unauthorized.code, "the API key is unknown or revoked; ask an admin"
        if principal is None and self._needs_key(scope, settings):
            return 401, Unauthorized.code, f"this request needs an API key; {HOW}"
        writing = scope["method"] not in SAFE_METHODS
        if (
            writing
            and principal is not None
            and not principal.has_role("editor")
            and not (principal.role == "warden" and scope["path"].startswith(WARDEN_WRITES))
        ):
            if principal.role == "warden":
                return (
                    403,
                    Forbidden.code,
                    (
                        f"the warden key {principal.name!r} may write only farmland patrols and "
                        f"incidents ({WARDEN_WRITES}...) in its own cells"
                    ),
                )
            return 403, Forbidden.code, f"the key {principal.name!r} may only read"
        return None

    @staticmethod
    def _needs_key(scope: Scope, settings) -> bool:
        if scope["method"] not in SAFE_METHODS:
            return True
        path = scope.get("path", "")
        return settings.api.read_requires_key and path not in ALWAYS_OPEN


def get_principal(request: Request) -> Principal | None:
    """Return who sent the request (None without a key)."""
    return getattr(request.state, "principal", None)


# Documents the scheme in OpenAPI; the key itself is checked by KeyMiddleware.
_bearer = HTTPBearer(auto_error=False, description="API key gsk_...; X-API-Key also works")


def _require(role: str):
    def dependency(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    ) -> Principal:
        principal = get_principal(request)
        if principal is None:
            raise Unauthorized(f"this request needs an API key with the role {role!r}; {HOW}")
        if not principal.has_role(role):
            raise Forbidden(
                f"the key {principal.name!r} has the role {principal.role!r}; this request "
                f"needs {role!r}"
            )
        return principal

    return dependency


EditorDep = Annotated[Principal, Depends(_require("editor"))]
WardenDep = Annotated[Principal, Depends(_require("warden"))]
AdminDep = Annotated[Principal, Depends(_require("admin"))]


def check_layer_scope(principal: Principal, layer_id: str) -> None:
    """Refuse (403) an editor key limited to other layers."""
    if not principal.may_edit(layer_id):
        raise Forbidden(
            f"the key {principal.name!r} may edit only {list(principal.layers)}, not {layer_id!r}"
        )


def result_writer(principal: Principal):
    """Return the check a job runs before writing each result collection.

    Replacing an existing result collection needs edit rights on it (a key
    limited to some layers may replace only those). A new result collection is a
    new layer: a key limited to some layers may not create one; a key for every
    layer (editor) and an admin may.
    """

    def authorise(layer_id: str, exists: bool) -> None:
        if exists:
            check_layer_scope(principal, layer_id)
        elif principal.role != "admin" and principal.layers:
            raise Forbidden(
                f"the key {principal.name!r} may edit only {list(principal.layers)}; a new "
                f"result collection ({layer_id!r}) is a new layer: set out_layer to one of "
                "those result layers, or use a key not limited to layers"
            )

    return authorise


def may_see_all_jobs(principal: Principal | None) -> bool:
    """Tell whether a caller sees every job (admins) rather than only its own."""
    return principal is not None and principal.has_role("admin")


def check_job_owner(principal: Principal, owner_key: str, job_id: str) -> None:
    """Refuse (403) to touch another key's job unless the caller is an admin.

    Dismissing a job deletes the collections it wrote, so another key's job needs
    the rights that deleting a layer needs.
    """
    if owner_key != principal.key_id and not principal.has_role("admin"):
        raise Forbidden(
            f"job {job_id} was started by another key; only that key or an admin may dismiss it"
        )
