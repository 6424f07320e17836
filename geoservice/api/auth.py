"""Authentication for every route, in one place; role checks as dependencies.

:class:`KeyMiddleware` wraps the whole app, so a route added by any router
(uploads, edits, processes, ...) is covered without opting in: any request
whose method is not GET/HEAD/OPTIONS needs a valid key of an ``editor`` or
``admin`` before its body is even read (401 without, 403 for a ``reader``
key), and reading needs a key when ``api.read_requires_key`` is set. A key that is
sent but unknown or revoked is refused (401) on any method. Which *role* a
route needs is declared on the route with :data:`EditorDep` or
:data:`AdminDep` (403 when the key lacks it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from geoservice.api.errors import error_response
from geoservice.auth.keys import Principal
from geoservice.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_METHODS = frozenset({"GET", "HEAD"})
ALWAYS_OPEN = frozenset({"/healthz", "/readyz"})
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
        # GET and HEAD skip the look-up (the hot path); OPTIONS that is not a CORS
        # preflight reaches here too and gets the same full Allow.
        allowed = _allowed_instead(scope) if scope["method"] not in READ_METHODS else None
        if allowed:
            headers = {"Allow": ", ".join(sorted(allowed))}
            problem = f"{scope['method']} is not allowed here; use {headers['Allow']}"
            response = error_response(405, "MethodNotAllowed", problem)
            response.headers.update(headers)
            await response(scope, receive, send)
            return
        key = key_from_headers(scope["headers"])
        principal = app_state.runtime.keys.verify(key) if key else None
        refusal = self._refusal(scope, key, principal, app_state.settings)
        if refusal is not None:
            status, code, problem = refusal
            await error_response(status, code, problem)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, key, principal, settings) -> tuple[int, str, str] | None:
        if key and principal is None:
            return 401, Unauthorized.code, "the API key is unknown or revoked; ask an admin"
        if principal is None and self._needs_key(scope, settings):
            return 401, Unauthorized.code, f"this request needs an API key; {HOW}"
        writing = scope["method"] not in SAFE_METHODS
        if writing and principal is not None and not principal.has_role("editor"):
            return 403, Forbidden.code, f"the key {principal.name!r} may only read"
        return None

    @staticmethod
    def _needs_key(scope: Scope, settings) -> bool:
        if scope["method"] not in SAFE_METHODS:
            return True
        path = scope.get("path", "")
        return settings.api.read_requires_key and path not in ALWAYS_OPEN


def _allowed_instead(scope: Scope) -> set[str]:
    """Return the methods the routes of the request's path accept when none accepts
    its method (TRACE, DELETE /tileMatrixSets), else nothing.

    Such a request reaches no endpoint: it gets 405 and every method of the path in
    Allow (the router's own 405 names only the first route's), never a 401 that
    would say a key could open it.
    """
    allowed: set[str] = set()
    for methods in _route_methods(scope["app"].router.routes, scope["path"]):
        if methods is None or scope["method"] in methods:
            return set()
        allowed |= methods
    return allowed


def _route_methods(routes, path: str):
    """Yield the methods of each route matching ``path`` (None: a mount, any method),
    through included routers."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers
            prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            if path.startswith(prefix):
                yield from _route_methods(route.original_router.routes, path[len(prefix) :])
        elif (regex := getattr(route, "path_regex", None)) is not None and regex.match(path):
            yield getattr(route, "methods", None)


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
