"""The OpenAPI document lists the methods and content types the routes answer with.

Found by the schemathesis run (tests/api/fuzz): client generators and fuzzers take
the document at its word.
"""

from __future__ import annotations

from tests.api.conftest import PLACES


def test_a_collections_items_path_documents_posting_a_feature_as_allow_says(client):
    doc = client.get("/api").json()
    path = doc["paths"][f"/collections/{PLACES}/items"]
    allow = client.options(f"/collections/{PLACES}/items").headers["allow"]

    assert {m.strip().lower() for m in allow.split(",")} - {"head", "options"} == set(path)
    post = path["post"]
    assert "collectionId" not in {p["name"] for p in post.get("parameters", [])}
    assert post["operationId"].endswith(PLACES)


def test_the_api_document_declares_its_own_content_type(client):
    r = client.get("/api")
    documented = r.json()["paths"]["/api"]["get"]["responses"]["200"]["content"]
    assert r.headers["content-type"] in documented


def test_the_maps_list_declares_html_and_json(client):
    documented = client.get("/api").json()["paths"]["/maps"]["get"]["responses"]["200"]["content"]
    for params in ({}, {"f": "json"}):
        r = client.get("/maps", params=params)
        assert r.headers["content-type"].split(";")[0] in documented, params
