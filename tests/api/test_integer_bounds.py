"""Every integer parameter the OpenAPI document lists answers a huge value with 400.

The parameters are read from ``/openapi.json`` itself, so an integer added to any
route later is tried without editing this test. A value past what the stores hold
(SQLite INTEGER, PostgreSQL bigint) must be refused at the edge with the error
body every error uses, never reach a store and overflow there as a 500.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import create_key

HUGE = "36893488147419103233"  # 2**65 + 1: past int64 and uint64
LAYER = "ne_110m_populated_places_simple"
SAMPLE_PATH = {
    "collectionId": LAYER,
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": "1",
    "tileRow": "0",
    "tileCol": "0",
    "featureId": "1",
    "version": "1",
}


def _is_integer(schema: dict) -> bool:
    return schema.get("type") == "integer" or any(
        s.get("type") == "integer" for s in schema.get("anyOf", [])
    )


def integer_parameters(spec: dict) -> list[tuple[str, str, str, str]]:
    """Return (method, path template, parameter, in) for every integer parameter."""
    found = []
    for template, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if _is_integer(param.get("schema", {})):
                    found.append((method.upper(), template, param["name"], param["in"]))
    return found


def test_the_document_lists_the_integer_parameters_of_items_jobs_versions_and_tiles(client):
    names = {(t, n) for _, t, n, _ in integer_parameters(client.get("/openapi.json").json())}
    assert ("/jobs", "offset") in names
    assert ("/collections/{collectionId}/items", "version") in names
    assert ("/collections/{collectionId}/items/{featureId}", "featureId") in names
    assert ("/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", "tileMatrix") in names


def test_every_integer_parameter_declares_bounds_the_stores_hold(client):
    for method, template, name, _ in integer_parameters(client.get("/openapi.json").json()):
        op = client.get("/openapi.json").json()["paths"][template][method.lower()]
        schema = next(p["schema"] for p in op["parameters"] if p["name"] == name)
        if "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") == "integer")
        assert "maximum" in schema, f"{method} {template} {name} has no maximum"
        assert schema["maximum"] <= 2**63 - 1


def test_a_huge_value_in_every_integer_parameter_is_a_400_in_the_error_body(client, api_settings):
    admin = {"Authorization": f"Bearer {create_key(api_settings, 'admin', 'bounds')}"}
    spec = client.get("/openapi.json").json()
    tried = []
    for method, template, name, where in integer_parameters(spec):
        if "{rasterId}" in template:
            continue  # the fixture serves no raster: its lookup answers 404 first
        values = {**SAMPLE_PATH, **({name: HUGE} if where == "path" else {})}
        path = re.sub(r"{(\w+)}", lambda m, v=values: v.get(m[1], "x"), template)
        params = {name: HUGE} if where == "query" else {}
        r = client.request(method, path, params=params, headers=admin, json={})
        tried.append(f"{method} {template} {name}")
        assert r.status_code == 400, f"{method} {path} {params}: {r.status_code} {r.text[:200]}"
        body = r.json()
        assert body["code"] == "InvalidParameter"
        assert name in body["description"]
    assert len(tried) >= 20


@pytest.mark.parametrize(
    "url",
    [
        "/jobs?offset=36893488147419103233",
        "/jobs?limit=36893488147419103233",
        f"/collections/{LAYER}/items?version=27392216790943183929344",
        f"/collections/{LAYER}/items?offset=36893488147419103233",
        f"/collections/{LAYER}/items?limit=36893488147419103233",
        f"/collections/{LAYER}/download?offset=36893488147419103233",
        f"/collections/{LAYER}/items/1?version=36893488147419103233",
        f"/collections/{LAYER}/tiles/WebMercatorQuad/36893488147419103233/0/0",
        "/tiles/WebMercatorQuad/3/36893488147419103233/0",
    ],
)
def test_the_reported_overflows_are_400(client, url):
    r = client.get(url)
    assert r.status_code == 400, r.text[:200]
    assert r.json()["code"] == "InvalidParameter"
