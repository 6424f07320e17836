"""The OpenAPI document says what the service answers, and the service agrees.

Client generators and fuzzers trust the document: every operation lists the
error answers it can give (with the one error body), writes list both ways of
sending a key, unsupported methods are 405 with Allow (not 401), and HEAD works
on every GET route with GET's headers and no body.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import create_key

LAYER = "ne_110m_populated_places_simple"
SAFE = {"get", "head", "options"}
ERROR_REF = "#/components/schemas/Exception"


def operations(spec: dict):
    """Yield (method, path, operation) of every operation in the document."""
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if isinstance(op, dict) and "responses" in op:
                yield method, path, op


def _concrete(template: str, **values: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: values.get(m[1], "nope"), template)


def test_every_operation_lists_its_error_answers_with_the_error_body(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["components"]["schemas"]["Exception"]["required"]) == {"code", "description"}
    for method, path, op in operations(spec):
        responses = op["responses"]
        where = f"{method.upper()} {path}"
        for status in ("400", "503"):
            assert status in responses, where
        if "{" in path:
            assert "404" in responses, where
        if method not in SAFE:
            assert {"401", "403", "409"} <= set(responses), where
        if "requestBody" in op:
            assert {"413", "415", "422"} <= set(responses), where
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, f"{where} {status}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_write_routes_list_both_key_schemes(client):
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {
        **schemes["ApiKeyHeader"],
        "in": "header",
        "name": "X-API-Key",
    }
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    writes = [(m, p, op) for m, p, op in operations(spec) if m not in SAFE]
    assert len(writes) >= 12
    for method, path, op in writes:
        assert {"HTTPBearer": []} in op["security"], f"{method} {path}"
        assert {"ApiKeyHeader": []} in op["security"], f"{method} {path}"


def test_the_ogc_api_document_carries_the_same_error_answers(client):
    doc = client.get("/api").json()
    op = doc["paths"]["/collections/{collectionId}/items/{featureId}"]["put"]
    assert {"400", "401", "403", "404", "412", "415", "428", "503"} <= set(op["responses"])


def test_what_writes_without_a_key_answer_is_in_the_document(client):
    spec = client.get("/openapi.json").json()
    for method, path, op in operations(spec):
        if method in SAFE:
            continue
        r = client.request(method.upper(), _concrete(path, collectionId=LAYER), json={})
        assert str(r.status_code) in op["responses"], f"{method.upper()} {path}: {r.status_code}"


def test_what_reads_of_missing_things_answer_is_in_the_document(client):
    spec = client.get("/openapi.json").json()
    for method, path, op in operations(spec):
        if method != "get" or "{" not in path:
            continue
        r = client.get(
            _concrete(
                path,
                tileMatrixSetId="WebMercatorQuad",
                tileMatrix="0",
                tileRow="0",
                tileCol="0",
                featureId="999999",
                version="1",
            )
        )
        assert r.status_code < 500, f"GET {path}: {r.status_code}"
        if r.status_code >= 400:
            assert str(r.status_code) in op["responses"], f"GET {path}: {r.status_code}"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_an_unsupported_method_is_405_with_allow_not_401(client, method):
    r = client.request(method, "/collections")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert r.json()["code"] == "MethodNotAllowed"


def test_a_write_method_on_a_read_only_path_is_405_not_401(client):
    r = client.post("/conformance", json={})
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]


def test_writes_to_routes_that_take_them_still_need_a_key(client):
    assert client.post("/collections", json={}).status_code == 401
    assert client.request("DELETE", f"/collections/{LAYER}").status_code == 401


HEAD_URLS = [
    f"/collections/{LAYER}/items?limit=3",
    f"/collections/{LAYER}/items/1",
    f"/collections/{LAYER}",
    f"/collections/{LAYER}/tiles/WebMercatorQuad/0/0/0",
    f"/collections/{LAYER}/style.json",
    f"/maps/{LAYER}",
    "/collections",
    "/openapi.json",
]


@pytest.mark.parametrize("url", HEAD_URLS)
def test_head_answers_like_get_without_a_body(client, url):
    got = client.get(url)
    head = client.head(url)
    assert got.status_code == head.status_code == 200, (got.status_code, head.status_code)
    assert head.content == b""
    for name in ("content-type", "etag", "cache-control", "content-crs"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_an_item_carries_its_etag(client):
    head = client.head(f"/collections/{LAYER}/items/1")
    assert head.headers["etag"]


def test_a_reader_key_on_a_write_is_403_as_documented(client, api_settings):
    reader = create_key(api_settings, "reader", "doc-reader")
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/collections/{collectionId}"]["delete"]
    r = client.delete(f"/collections/{LAYER}", headers={"X-API-Key": reader})
    assert r.status_code == 403
    assert "403" in op["responses"]


def test_an_accept_the_items_route_cannot_meet_is_a_documented_406(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/collections/{collectionId}/items"]["get"]
    r = client.get(f"/collections/{LAYER}/items", headers={"Accept": "image/tiff"})
    assert r.status_code == 406
    assert "406" in op["responses"]


def test_head_answers_like_get_on_every_get_route_in_the_document(client):
    spec = client.get("/openapi.json").json()
    values = {
        "collectionId": LAYER, "tileMatrixSetId": "WebMercatorQuad", "tileMatrix": "0",
        "tileRow": "0", "tileCol": "0", "featureId": "1", "version": "1",
    }  # fmt: skip
    tried = 0
    for method, path, _ in operations(spec):
        if method != "get" or "{areaId}" in path or "{rasterId}" in path or "{j" in path:
            continue
        if "{processId}" in path:
            continue
        url = _concrete(path, **values)
        got, head = client.get(url), client.head(url)
        assert got.status_code < 500, f"GET {url}: {got.status_code}"
        assert head.status_code == got.status_code, f"HEAD {url}"
        assert head.content == b"", f"HEAD {url}"
        assert head.headers.get("etag") == got.headers.get("etag"), f"HEAD {url}"
        assert head.headers.get("content-type") == got.headers.get("content-type"), url
        tried += 1
    assert tried >= 25
