"""HTTP methods across all routes: which a path takes, and HEAD for every GET.

Starlette answers a method a route lacks with 405 naming only the first route
whose path matched; a path here is often served by several routers (GET
``/collections`` in one, POST in another), so ``Allow`` is worked out over all of
them. HEAD is answered as GET without the body, so every GET route (items,
tiles, styles, maps, pages) gives the same status and headers, ETag included.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def routed(scope: Scope) -> bool:
    """Tell whether a route of the app takes this method at this path."""
    return any(route.matches(scope)[0] == Match.FULL for route in scope["app"].router.routes)


def allowed_methods(scope: Scope) -> list[str]:
    """Return the methods some route takes at this request's path."""
    allowed = [m for m in METHODS if m != "HEAD" and routed({**scope, "method": m})]
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return allowed


class HeadAsGet:
    """Answer HEAD as GET would, headers and all, without sending the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def headers_only(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not done:
                if not message.get("more_body", False):
                    done = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _flat(routes):
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router
        if inner is not None:
            yield from _flat(inner.routes)
        else:
            yield route


def route_of(scope: Scope) -> tuple[str | None, dict]:
    """Return the path template and path parameters of the route for this request.

    After routing they are in the scope; a request refused before routing (no key)
    is matched here against every route.
    """
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path, dict(scope.get("path_params") or {})
    for candidate in _flat(scope["app"].router.routes):
        match, child = candidate.matches(scope)
        if match == Match.FULL and hasattr(candidate, "path"):
            return candidate.path, dict(child.get("path_params") or {})
    return None, {}
