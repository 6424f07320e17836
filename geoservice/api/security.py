"""Security headers on every response (a pure ASGI middleware).

Every response gets:

* ``X-Content-Type-Options: nosniff``: an error naming a hostile id, or a JSON
  document holding markup, is never sniffed and rendered as HTML;
* ``Referrer-Policy: strict-origin-when-cross-origin``: another site (a base-map
  host) learns the service's origin, which tile keys are often bound to, never
  a page's path or query;
* a ``Content-Security-Policy`` (:mod:`geoservice.csp`): the one the route set
  (map pages carry their nonce), else the one of its content type, always with
  ``frame-ancestors`` from ``api.frame_ancestors`` (which portals may embed the
  pages), and ``X-Frame-Options`` for browsers that predate it when the list
  is only ``'self'`` or ``'none'``.

The API docs page (FastAPI's Swagger UI, loaded from its CDN) holds one inline
script made from the app's settings, never from data: its policy allows
exactly that script by hash, read from the page itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geoservice.csp import Policies, frame_ancestors, origin_of
from geoservice.maps.basemaps import basemap_template
from geoservice.settings import Settings

CSP = b"content-security-policy"
NOSNIFF = (b"x-content-type-options", b"nosniff")
REFERRER = (b"referrer-policy", b"strict-origin-when-cross-origin")
FRAME_OPTIONS = {("'self'",): b"SAMEORIGIN", ("'none'",): b"DENY"}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_SCRIPT_SRC = re.compile(r"""<script[^>]*\ssrc=["'](https?://[^"']+)["']""")
_STYLE_HREF = re.compile(r"""<link[^>]*\shref=["'](https?://[^"']+\.css)["']""")


def policies_of(settings: Settings) -> Policies:
    """Return the policies of the deployment ``settings`` describe."""
    maps = settings.maps
    key = maps.tianditu_key.get_secret_value() if maps.tianditu_key else None
    return _policies(settings.base_url, basemap_template(maps.basemap, key))


@lru_cache(maxsize=16)
def _policies(base_url: str | None, basemap: str) -> Policies:
    return Policies.of(base_url=base_url, basemap=basemap)


class SecurityHeaders:
    """Add the security headers to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.policies = policies_of(settings)
        ancestors = settings.api.frame_ancestors
        self.frame = frame_ancestors(ancestors).encode()
        frame_option = FRAME_OPTIONS.get(tuple(ancestors))
        fixed = [NOSNIFF, REFERRER]
        if frame_option is not None:
            fixed.append((b"x-frame-options", frame_option))
        self.fixed = fixed
        self.by_type = {
            "html": self._with_frame(self.policies.page()),
            "script": self._with_frame(self.policies.script_file()),
            "other": self._with_frame(self.policies.api()),
        }

    def _with_frame(self, policy: str) -> bytes:
        return policy.encode() + b"; " + self.frame

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in _docs_paths(scope):
            await self._docs(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.secure(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_secured)

    def secure(self, raw_headers, policy: bytes | None = None) -> list:
        """Return the response's headers with the security headers added (none replaced)."""
        headers = list(raw_headers)
        names = {name.lower() for name, _ in headers}
        content_type = b""
        for i, (name, value) in enumerate(headers):
            lowered = name.lower()
            if lowered == b"content-type":
                content_type = value.lower()
            elif lowered == CSP and b"frame-ancestors" not in value:
                headers[i] = (name, value + b"; " + self.frame)
        headers += [(name, value) for name, value in self.fixed if name not in names]
        if CSP not in names:
            headers.append((CSP, policy or self.by_type[_kind(content_type)]))
        return headers

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the API docs page with a policy allowing its own inline script by hash."""
        # the body is read here, so it must not arrive compressed
        scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != b"accept-encoding"]}
        start: Message | None = None
        body = b""

        async def collect(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            assert start is not None
            policy = None
            if _kind(dict(start.get("headers", ())).get(b"content-type", b"")) == "html":
                policy = self._with_frame(self._docs_policy(body.decode("utf-8", "replace")))
            headers = [h for h in start.get("headers", ()) if h[0].lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": self.secure(headers, policy)})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)

    def _docs_policy(self, html: str) -> str:
        return self.policies.docs(
            _INLINE_SCRIPT.findall(html),
            script_origins=_origins(_SCRIPT_SRC.findall(html)),
            style_origins=_origins(_STYLE_HREF.findall(html)),
        )


def _kind(content_type: bytes) -> str:
    if content_type.startswith(b"text/html"):
        return "html"
    if b"javascript" in content_type:
        return "script"
    return "other"


def _docs_paths(scope: Scope) -> tuple[str, ...]:
    app = scope.get("app")
    paths = (getattr(app, "docs_url", None), getattr(app, "swagger_ui_oauth2_redirect_url", None))
    return tuple(p for p in paths if p)


def _origins(urls: list[str]) -> list[str]:
    return sorted({o for o in map(origin_of, urls) if o is not None})
