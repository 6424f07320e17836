"""Hostile CQL2 filters sent to a real server: each is a 400, and the server lives on.

Before the pre-scan (``storage/cql_limits.py``) the first of these requests killed
the process with a segmentation fault in the ``cql2`` parser; a crash here would
take the whole test run down with it.
"""

from __future__ import annotations

import json

import httpx
import pytest

from geoservice.app import create_app
from tests.api.conftest import PLACES
from tests.conftest import LiveServer, create_key

pytestmark = pytest.mark.usefixtures("store_kind")


def nested_json(depth: int) -> str:
    """Return ``NOT NOT ... name = 'x'`` as CQL2-JSON, ``depth`` NOTs deep."""
    inner = '{"op":"=","args":[{"property":"name"},"x"]}'
    return '{"op":"not","args":[' * depth + inner + "]}" * depth


HOSTILE = {
    "parentheses": "(" * 3000 + "name = 'x'" + ")" * 3000,
    "not chain": "NOT " * 3000 + "name = 'x'",
    "unary minus": "pop_other = " + "-" * 5000 + "1",
    "arithmetic chain": "pop_other = " + " + ".join(["1"] * 5000),
    "functions": "CASEI(" * 3000 + "name" + ")" * 3000 + " = 'x'",
    "arrays": "A_CONTAINS(name, " + "(" * 3000 + "'x'" + ")" * 3000 + ")",
    "flat or": " OR ".join(["pop_other = 1"] * 3000),
}
EXPECTED = {
    "parentheses": "nests",
    "not chain": "nests",
    "unary minus": "nests",
    "arithmetic chain": "nests",
    "functions": "nests",
    "arrays": "nests",
    "flat or": "operators",
}


@pytest.fixture
def server(api_settings):
    with LiveServer(create_app(api_settings)) as live:
        yield live


def _alive(client: httpx.Client) -> None:
    page = client.get(f"/collections/{PLACES}/items", params={"filter": "name = 'Tokyo'"})
    assert page.status_code == 200 and page.json()["numberReturned"] == 1


def test_hostile_text_filters_on_items_are_400_and_the_server_lives(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for name, text in HOSTILE.items():
            r = client.get(f"/collections/{PLACES}/items", params={"filter": text})
            assert r.status_code == 400, (name, r.status_code, r.text[:300])
            assert EXPECTED[name] in r.json()["description"], (name, r.json())
            assert "api.filters." in r.json()["description"]
            _alive(client)


def test_a_deep_cql2_json_filter_on_items_is_400(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        r = client.get(
            f"/collections/{PLACES}/items",
            params={"filter": nested_json(1000), "filter-lang": "cql2-json"},
        )
        assert r.status_code == 400, r.text[:300]
        assert "nests" in r.json()["description"]
        _alive(client)


def _coverage(facilities: dict) -> dict:
    return {
        "facilities": facilities,
        "demand": {"collection": PLACES},
        "distance_m": 1000,
        "out_layer": "cover_attack",
    }


@pytest.fixture
def editor_server(api_settings):
    key = create_key(api_settings, "editor", "attacker")
    with LiveServer(create_app(api_settings)) as live:
        live.headers = {"Authorization": f"Bearer {key}"}
        yield live


@pytest.mark.parametrize("lang", ["cql2-text", "cql2-json"])
def test_hostile_filters_in_process_inputs_are_400_and_queue_nothing(editor_server, lang):
    filters = [nested_json(3000)] if lang == "cql2-json" else list(HOSTILE.values())
    with httpx.Client(base_url=editor_server.url, timeout=60) as client:
        for text in filters:
            facilities = {"collection": PLACES, "filter": text, "filter-lang": lang}
            r = client.post(
                "/processes/coverage/execution",
                json={"inputs": _coverage(facilities)},
                headers=editor_server.headers,
            )
            assert r.status_code == 400, r.text[:300]
            description = r.json()["description"]
            assert "input 'facilities'" in description and "api.filters." in description
        assert client.get("/jobs").json()["jobs"] == []
        _alive(client)


def test_a_long_filter_is_400_naming_the_length_limit(editor_server):
    text = "name IN (" + ",".join(["'x'"] * 100_000) + ")"
    with httpx.Client(base_url=editor_server.url, timeout=60) as client:
        r = client.post(
            "/processes/coverage/execution",
            json={"inputs": _coverage({"collection": PLACES, "filter": text})},
            headers=editor_server.headers,
        )
        assert r.status_code == 400, r.text[:300]
        assert "characters long" in r.json()["description"]
        _alive(client)


def test_type_mismatches_are_400_naming_the_property_on_both_stores(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        r = client.get(f"/collections/{PLACES}/items", params={"filter": "name = 1.5"})
        assert r.status_code == 400
        assert "property 'name'" in r.json()["description"]
        assert "'1.5'" in r.json()["description"]
        r = client.get(
            f"/collections/{PLACES}/items",
            params={"filter": json.dumps({"op": "=", "args": []}), "filter-lang": "cql2-json"},
        )
        assert r.status_code == 400 and "takes 2 argument" in r.json()["description"]


def test_a_process_filter_that_does_not_fit_the_layer_is_400_before_queuing(editor_server):
    with httpx.Client(base_url=editor_server.url, timeout=60) as client:
        facilities = {"collection": PLACES, "filter": "pop_other LIKE '1%'"}
        r = client.post(
            "/processes/coverage/execution",
            json={"inputs": _coverage(facilities)},
            headers=editor_server.headers,
        )
        assert r.status_code == 400, r.text[:300]
        assert "input 'facilities'" in r.json()["description"]
        assert "property 'pop_other'" in r.json()["description"]
        assert client.get("/jobs").json()["jobs"] == []
