"""OGC API Features Part 4 on both stores: create, replace, update, delete, ETags."""

from __future__ import annotations

import pytest

from geoservice.ogc.conformance import COMMON_5, FEATURES_4
from tests.ingest.conftest import auth

ITEMS = "/collections/towns/items"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[110.2, 39.8], [110.21, 39.8], [110.21, 39.81], [110.2, 39.8]]],
}


def new_town(code="n1", **props):
    return {
        "type": "Feature",
        "geometry": SQUARE,
        "properties": {"code": code, "name_zh": "新镇", "pop": 7, **props},
    }


def post(client, key, body, **headers):
    return client.post(
        ITEMS, json=body, headers={**auth(key), "Content-Type": "application/geo+json", **headers}
    )


def test_conformance_declares_part_4_old_and_new_uris(client):
    classes = client.get("/conformance").json()["conformsTo"]
    for uri in (
        f"{FEATURES_4}/create-replace-delete",
        f"{FEATURES_4}/update",
        f"{FEATURES_4}/features",
        f"{COMMON_5}/create-replace-delete",
        f"{COMMON_5}/update",
        f"{COMMON_5}/optimistic-locking-etags",
    ):
        assert uri in classes


def test_create_returns_location_and_is_a_new_version(client, keys):
    r = post(client, keys["editor"], new_town())
    assert r.status_code == 201, r.text
    got = client.get(r.headers["location"])
    assert got.status_code == 200
    assert got.json()["properties"]["code"] == "n1"
    assert got.headers["etag"] == r.headers["etag"]
    versions = client.get("/collections/towns/versions").json()
    assert versions["current"] == 2 and versions["versions"][1]["action"] == "edit"


def test_create_with_a_content_crs_in_latitude_first_order(client, keys):
    flipped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in SQUARE["coordinates"][0]]]}
    body = {**new_town("n2"), "geometry": flipped}
    crs = "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    r = post(client, keys["editor"], body, **{"Content-Crs": crs})
    assert r.status_code == 201, r.text
    geometry = client.get(r.headers["location"]).json()["geometry"]
    assert geometry["coordinates"][0][0][0] == pytest.approx([110.2, 39.8])


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (new_town(pop="x"), 422, "'pop' must be integer"),
        (new_town(color="red"), 400, "not attributes"),
        (new_town("150602000"), 422, "already used"),
        ({"type": "Point"}, 400, "Feature"),
    ],
)
def test_bad_features_are_refused_and_change_nothing(client, keys, body, status, words):
    before = client.get("/collections/towns/versions").json()
    r = post(client, keys["editor"], body)
    assert r.status_code == status and words in r.json()["description"], r.text
    assert client.get("/collections/towns/versions").json() == before


def test_content_type_is_required(client, keys):
    r = client.post(ITEMS, content=b"{}", headers=auth(keys["editor"]))
    assert r.status_code == 400
    r = client.post(
        ITEMS, content=b"{}", headers={**auth(keys["editor"]), "Content-Type": "text/csv"}
    )
    assert r.status_code == 415


def test_replace_and_update_with_etags(client, keys):
    got = client.get(f"{ITEMS}/1")
    etag = got.headers["etag"]
    assert not etag.startswith("W/")
    replacement = new_town("150602000", name_zh="改名镇")
    headers = {**auth(keys["editor"]), "Content-Type": "application/geo+json"}
    r = client.put(f"{ITEMS}/1", json=replacement, headers={**headers, "If-Match": '"0-crs84"'})
    assert r.status_code == 412
    r = client.put(f"{ITEMS}/1", json=replacement, headers={**headers, "If-Match": etag})
    assert r.status_code == 204, r.text
    assert r.headers["etag"] != etag
    assert client.get(f"{ITEMS}/1").json()["properties"]["name_zh"] == "改名镇"
    patch_headers = {**auth(keys["editor"]), "Content-Type": "application/merge-patch+json"}
    r = client.patch(
        f"{ITEMS}/1", json={"properties": {"pop": 3}}, headers={**patch_headers, "If-Match": etag}
    )
    assert r.status_code == 412  # the old tag no longer matches
    r = client.patch(
        f"{ITEMS}/1",
        json={"properties": {"pop": 3, "name_en": None}},
        headers={
            **patch_headers,
            "If-Match": r.headers.get("etag") or client.get(f"{ITEMS}/1").headers["etag"],
        },
    )
    assert r.status_code == 204, r.text
    props = client.get(f"{ITEMS}/1").json()["properties"]
    assert props["pop"] == 3 and props["name_zh"] == "改名镇" and props["code"] == "150602000"


def test_editing_one_feature_keeps_other_features_tags_valid(client, keys):
    tag_2 = client.get(f"{ITEMS}/2").headers["etag"]
    headers = {**auth(keys["editor"]), "Content-Type": "application/merge-patch+json"}
    assert (
        client.patch(f"{ITEMS}/1", json={"properties": {"pop": 1}}, headers=headers).status_code
        == 204
    )
    assert client.get(f"{ITEMS}/2").headers["etag"] == tag_2
    r = client.patch(
        f"{ITEMS}/2", json={"properties": {"pop": 2}}, headers={**headers, "If-Match": tag_2}
    )
    assert r.status_code == 204


def test_delete_and_missing_features(client, keys):
    tag = client.get(f"{ITEMS}/3").headers["etag"]
    r = client.delete(f"{ITEMS}/3", headers={**auth(keys["editor"]), "If-Match": '"x-crs84"'})
    assert r.status_code == 412
    r = client.delete(f"{ITEMS}/3", headers={**auth(keys["editor"]), "If-Match": tag})
    assert r.status_code == 204
    assert client.get(f"{ITEMS}/3").status_code == 404
    assert client.get(f"{ITEMS}/3", params={"version": 1}).status_code == 200
    headers = {
        **auth(keys["editor"]),
        "Content-Type": "application/geo+json",
        "If-Match": '"a-crs84"',
    }
    assert client.put(f"{ITEMS}/99", json=new_town(), headers=headers).status_code == 404
    assert client.delete(f"{ITEMS}/99", headers=auth(keys["editor"])).status_code == 404


def test_patch_may_not_change_the_id(client, keys):
    headers = {**auth(keys["editor"]), "Content-Type": "application/merge-patch+json"}
    assert client.patch(f"{ITEMS}/1", json={"id": 7}, headers=headers).status_code == 400


def test_options_declare_methods_and_media_types(client):
    r = client.options(ITEMS)
    assert "POST" in r.headers["allow"] and "application/geo+json" in r.headers["accept-post"]
    r = client.options(f"{ITEMS}/1")
    assert {"PUT", "PATCH", "DELETE"} <= {m.strip() for m in r.headers["allow"].split(",")}
    assert "application/merge-patch+json" in r.headers["accept-patch"]


@pytest.fixture
def strict_client(ingest_settings):
    """A client over a service that requires If-Match on feature edits."""
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    edits = ingest_settings.edits.model_copy(update={"require_if_match": True})
    with TestClient(create_app(ingest_settings.model_copy(update={"edits": edits}))) as c:
        yield c


def test_required_if_match_refuses_blind_edits_with_428(strict_client, keys):
    client = strict_client
    headers = {**auth(keys["editor"]), "Content-Type": "application/merge-patch+json"}
    before = client.get(f"{ITEMS}/1").json()

    for method in ("put", "patch", "delete"):
        kwargs = {} if method == "delete" else {"json": {"properties": {"pop": 9}}}
        if method == "put":
            kwargs = {"json": new_town("c1")}
            send = {**auth(keys["editor"]), "Content-Type": "application/geo+json"}
        else:
            send = headers
        r = getattr(client, method)(f"{ITEMS}/1", headers=send, **kwargs)
        assert r.status_code == 428, (method, r.text)
        assert "If-Match" in r.json()["description"]

    assert client.get(f"{ITEMS}/1").json() == before
    tag = client.get(f"{ITEMS}/1").headers["etag"]
    r = client.patch(
        f"{ITEMS}/1", json={"properties": {"pop": 9}}, headers={**headers, "If-Match": tag}
    )
    assert r.status_code in (200, 204), r.text
