"""Security headers on every response; a Content-Security-Policy fit for each HTML page.

The app's GET routes are enumerated from the app itself (a new page cannot be
missed), filled with ids of a store holding hostile text, and asked for HTML
and for their default answer.
"""

from __future__ import annotations

import math
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from geoservice.api.security import SecurityHeaders
from geoservice.app import create_app
from geoservice.csp import Policies, hash_source, origin_of, tile_host_source
from geoservice.settings import ApiSettings
from tests.maps import hostile

LON, LAT, ZOOM = 109.95, 39.8, 12
X = int((LON + 180) / 360 * 2**ZOOM)
Y = int((1 - math.asinh(math.tan(math.radians(LAT))) / math.pi) / 2 * 2**ZOOM)
PARAMS = {
    "collectionId": hostile.POINTS,
    "featureId": "1",
    "areaId": "dongsheng",
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": str(ZOOM),
    "tileRow": str(Y),
    "tileCol": str(X),
    "fontstack": "Noto Sans",
    "fontrange": "0-255",
    "rasterId": "none",
    "version": "1",
    "jobId": "none",
    "token": "none",
    "processId": "huff",
    "name": "leaflet-measure.cn.js",
    "incidentId": "I000000000000",
    "unitCode": "150602101000",
    "cellCode": "150602101000-004407-000413",
    "month": "2025-11",
    "year": "2025",
    "siteId": "none",
}
QUERIES = {"/map": "collections=hostile,hostile_zones&", "/style.json": "collections=hostile&"}
HTML_PAGES = {
    "/", "/conformance", "/areas", "/areas/{areaId}", "/collections", "/collections/{collectionId}",
    "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
    "/maps", "/maps/one-map", "/maps/{areaId}/one-map", "/maps/{collectionId}", "/map",
    "/api.html", "/docs/oauth2-redirect",
}  # fmt: skip
"""Pages that must be found among the routes answering HTML (more may be)."""
LEAFLET_PAGES = {"/maps/one-map", "/maps/{areaId}/one-map", "/maps/{collectionId}",
                 "/maps/industry", "/maps/logistics", "/maps/tourism"}  # fmt: skip
DOCS_PAGES = {"/api.html", "/docs/oauth2-redirect"}


@pytest.fixture
def hostile_settings(catalog_dirs, settings_for):
    return hostile.hostile_settings(catalog_dirs, settings_for)


@pytest.fixture
def client(hostile_settings):
    with TestClient(create_app(hostile_settings)) as client:
        yield client


def get_routes(app) -> list[str]:
    """Return the path of every GET route of ``app`` (routers included, mounts as one file)."""

    def walk(routes, prefix: str = ""):
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield prefix + route.path
            elif getattr(route, "path", None) == "/static":
                yield "/static/pages/site.css"

    return sorted(set(walk(app.routes)))


def policy(response) -> dict[str, list[str]]:
    """Return a response's Content-Security-Policy as directive → sources."""
    header = response.headers["content-security-policy"]
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def fetch_every_route(client) -> dict[str, list]:
    """GET every route as HTML and as its default; return the responses by route."""
    out = {}
    for route in get_routes(client.app):
        path = route.format(**PARAMS) if "{" in route else route
        query = QUERIES.get(route, "")
        out[route] = [
            client.get(f"{path}?{query}f=html", headers={"Accept": "text/html"}),
            client.get(f"{path}?{query}"),
        ]
    return out


def test_every_response_has_nosniff_a_referrer_policy_and_a_csp_with_frame_ancestors(client):
    responses = [r for rs in fetch_every_route(client).values() for r in rs]
    responses += [
        client.get("/collections/nope?f=html"),  # errors: 404, 400, 405
        client.get("/collections?limit=x"),
        client.post("/maps"),
        client.options("/collections", headers={"Origin": "https://a.example",
                                                "Access-Control-Request-Method": "GET"}),
    ]  # fmt: skip
    assert len(responses) > 100
    for r in responses:
        where = (r.request.url, r.status_code)
        assert r.headers["x-content-type-options"] == "nosniff", where
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", where
        assert policy(r)["frame-ancestors"] == ["'self'"], where
        assert r.headers["x-frame-options"] == "SAMEORIGIN", where
        if not r.headers.get("content-type", "").startswith(("text/html", "text/javascript")):
            assert policy(r)["default-src"] == ["'none'"], where  # an answer runs nothing


def test_every_html_page_forbids_inline_script_and_plugins(client):
    pages = {
        route: r
        for route, rs in fetch_every_route(client).items()
        for r in rs
        if r.headers.get("content-type", "").startswith("text/html")
    }
    assert set(pages) >= HTML_PAGES, HTML_PAGES - set(pages)
    for route, r in pages.items():
        csp = policy(r)
        scripts = csp.get("script-src", csp["default-src"])
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, route
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], route
        assert "*" not in " ".join(scripts) and "https:" not in scripts, route
        if route in LEAFLET_PAGES:  # its own scripts, by a nonce made for this response
            (nonce,) = {s for s in scripts if s.startswith("'nonce-")}
            assert set(re.findall(r'<script nonce="([^"]+)"', r.text)) == {nonce[7:-1]}
            assert not re.search(r"<script>", r.text), route
        elif route in DOCS_PAGES:  # FastAPI's page: its one inline script, by hash
            inline = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
            assert {hash_source(s) for s in inline} <= set(scripts), route
        else:  # the plain pages: nothing inline at all
            assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", r.text)
            assert "<style" not in r.text, route
            assert not re.search(r"<[a-z][^<>]*\s(?:on[a-z]+|style)=", r.text), route
            assert csp.get("style-src", csp["default-src"]) == ["'self'"], route


def test_the_plain_pages_show_source_urls_as_links_only_when_they_are_web_addresses(client):
    html = client.get(f"/collections/{hostile.POINTS}?f=html").text
    assert "javascript:window.__xss=11" in html  # shown, as text
    assert not re.search(r"href=[\"']?\s*javascript:", html, re.IGNORECASE)


def test_a_bureau_portal_can_be_allowed_to_embed_the_pages(hostile_settings):
    portal = "https://portal.example.gov"
    api = hostile_settings.api.model_copy(update={"frame_ancestors": ["'self'", portal]})
    settings = hostile_settings.model_copy(update={"api": api})
    with TestClient(create_app(settings)) as client:
        for path in ("/maps/one-map", "/collections?f=html", "/collections"):
            r = client.get(path)
            assert policy(r)["frame-ancestors"] == ["'self'", portal], path
            assert "x-frame-options" not in r.headers  # it cannot say "these origins"


def test_frame_ancestors_none_forbids_framing_everywhere(hostile_settings):
    api = hostile_settings.api.model_copy(update={"frame_ancestors": ["'none'"]})
    settings = hostile_settings.model_copy(update={"api": api})
    with TestClient(create_app(settings)) as client:
        r = client.get("/maps")
        assert policy(r)["frame-ancestors"] == ["'none'"] and r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "sources",
    [[], ["*"], ["https://a.example/path"], ["https://a.example; script-src *"],
     ["'none'", "'self'"], ["javascript:"], ["https://a.example 'unsafe-inline'"]],
)  # fmt: skip
def test_frame_ancestors_accepts_only_origins_self_or_none(sources):
    with pytest.raises(ValidationError):
        ApiSettings(frame_ancestors=sources)


def test_map_pages_allow_the_base_maps_tile_host_and_the_public_origin_only():
    policies = Policies.of(
        base_url="https://maps.example.org/geoservice/",
        basemap="https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}",
    )
    leaflet = policies.leaflet("n0nce")
    assert (
        "img-src 'self' https://maps.example.org data: blob: https://*.is.autonavi.com" in leaflet
    )
    assert "script-src 'self' https://maps.example.org 'nonce-n0nce';" in leaflet
    assert "connect-src" not in leaflet and "default-src 'self' https://maps.example.org" in leaflet
    assert tile_host_source("tiles:district") is None
    assert tile_host_source("https://a.example;script-src *") is None
    assert origin_of("https://a.example x") is None and origin_of("javascript:x") is None


def test_the_docs_page_policy_is_computed_from_the_page(client):
    r = client.get("/api.html", headers={"Accept-Encoding": "gzip"})
    (script,) = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
    assert hash_source(script) in policy(r)["script-src"]
    assert int(r.headers["content-length"]) == len(r.content)


def test_the_middleware_keeps_a_policy_the_route_set_and_adds_frame_ancestors(hostile_settings):
    middleware = SecurityHeaders(None, settings=hostile_settings)
    headers = dict(
        middleware.secure([(b"content-type", b"text/html"), (b"content-security-policy", b"x")])
    )
    assert headers[b"content-security-policy"] == b"x; frame-ancestors 'self'"
