"""Every route that is not GET/HEAD/OPTIONS refuses requests without a valid key.

The routes are enumerated from the app itself, so a write route added by any
router later (processes, styles, ...) is checked without editing this test.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import create_key

SAFE = {"GET", "HEAD", "OPTIONS"}
SAMPLE_VALUES = {
    "collectionId": "ne_110m_populated_places_simple",
    "featureId": "1",
    "version": "1",
}


def all_routes(routes, prefix: str = ""):
    """Yield (path, methods) of every route, through included routers and mounts."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers
            context = getattr(route, "include_context", None)
            sub = prefix + (getattr(context, "prefix", "") or "")
            yield from all_routes(route.original_router.routes, sub)
        elif hasattr(route, "methods") and hasattr(route, "path"):
            yield prefix + route.path, route.methods or set()
        elif hasattr(route, "routes"):  # a Mount
            yield from all_routes(route.routes, prefix + getattr(route, "path", ""))


def write_routes(app) -> list[tuple[str, str]]:
    """Return (method, concrete path) for every non-safe method of every route."""
    out = []
    for template, methods in all_routes(app.routes):
        path = re.sub(r"{(\w+)(:[^}]*)?}", lambda m: SAMPLE_VALUES.get(m[1], "x"), template)
        out += [(method, path) for method in sorted(methods) if method not in SAFE]
    return out


@pytest.fixture
def reader_key(api_settings) -> str:
    return create_key(api_settings, "reader", "reader-tester")


def test_the_app_has_write_routes(client):
    routes = write_routes(client.app)
    assert ("POST", "/collections") in routes
    assert ("DELETE", "/collections/ne_110m_populated_places_simple/items/1") in routes


def test_every_write_route_refuses_a_missing_or_wrong_key_or_a_reader(client, reader_key):
    before = client.get("/collections/ne_110m_populated_places_simple/versions").json()
    routes = write_routes(client.app)
    assert len(routes) >= 8
    for method, path in routes:
        r = client.request(method, path)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        r = client.request(method, path, headers={"Authorization": "Bearer gsk_nope_nope"})
        assert r.status_code == 401, (method, path, r.text)
        r = client.request(method, path, headers={"X-API-Key": reader_key})
        assert r.status_code == 403, (method, path, r.text)
    after = client.get("/collections/ne_110m_populated_places_simple/versions").json()
    assert after == before
