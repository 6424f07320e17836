"""Items come in the representation the client's Accept header asks for, or a 406."""

from __future__ import annotations

import pytest

from geoservice.errors import NotAcceptable
from geoservice.ogc.negotiation import negotiate_features
from tests.api.conftest import PLACES

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("application/geo+json, application/json", "json"),
        (BROWSER, "html"),
        ("application/geopackage+sqlite3", "gpkg"),
        ("application/flatgeobuf", "fgb"),
        ("application/*;q=0.5, text/html", "html"),
        ("application/flatgeobuf;q=0.4, application/geo+json;q=0.9", "json"),
        ("text/html;q=0, */*", "json"),
    ],
)
def test_the_accept_header_chooses_the_representation(accept, fmt):
    assert negotiate_features(accept) == fmt


@pytest.mark.parametrize("accept", ["image/png", "application/xml", "text/plain, */*;q=0"])
def test_an_accept_header_nothing_offered_matches_is_not_acceptable(accept):
    with pytest.raises(NotAcceptable, match="offered"):
        negotiate_features(accept)


@pytest.mark.parametrize(
    ("accept", "content_type", "magic"),
    [
        ("application/geopackage+sqlite3", "application/geopackage+sqlite3", b"SQLite format 3"),
        ("application/flatgeobuf", "application/flatgeobuf", b"fgb"),
    ],
)
def test_items_honour_accept_for_files(client, accept, content_type, magic):
    r = client.get(f"/collections/{PLACES}/items", headers={"Accept": accept})

    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(content_type)
    assert r.content.startswith(magic)


def test_items_answer_406_naming_what_is_offered(client):
    r = client.get(f"/collections/{PLACES}/items", headers={"Accept": "image/png"})

    assert r.status_code == 406
    assert r.json()["code"] == "NotAcceptable"
    assert "application/geo+json" in r.json()["description"]


def test_f_wins_over_accept(client):
    r = client.get(
        f"/collections/{PLACES}/items", params={"f": "json"}, headers={"Accept": "image/png"}
    )

    assert r.status_code == 200
