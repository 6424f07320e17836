"""A method no route of a path accepts is a 405 with Allow, with or without a key.

A 401 there would tell a client that a key opens the request; no key does.
"""

from __future__ import annotations

import pytest

from tests.conftest import create_key


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/collections", {"GET", "POST"}),
        ("DELETE", "/tileMatrixSets", {"GET"}),
        ("PUT", "/collections/ne_110m_populated_places_simple/items", {"GET", "POST"}),
        ("OPTIONS", "/collections", {"GET", "POST"}),
        ("OPTIONS", "/collections/ne_110m_populated_places_simple", {"GET", "DELETE"}),
        ("GET", "/keys/abc", {"DELETE"}),  # a safe method: the router's own 405
    ],
)
def test_an_undeclared_method_is_405_with_allow_for_anyone(
    client, api_settings, method, path, allowed
):
    reader = create_key(api_settings, "reader", "reader-405")
    for headers in ({}, {"X-API-Key": reader}):
        r = client.request(method, path, headers=headers)
        assert r.status_code == 405, (headers, r.text)
        assert r.json()["code"] == "MethodNotAllowed"
        assert allowed <= {m.strip() for m in r.headers["allow"].split(",")}


def test_a_declared_write_method_still_needs_a_key(client):
    r = client.post("/collections")
    assert r.status_code == 401


def test_an_undeclared_method_is_405_before_the_key_is_looked_at(client):
    r = client.request("TRACE", "/collections", headers={"X-API-Key": "gsk_nope_nope"})
    assert r.status_code == 405
