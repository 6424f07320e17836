"""Every broken input is refused with a 4xx that says what to fix, and changes nothing."""

from __future__ import annotations

import pytest

from tests.ingest.conftest import post_file, snapshot
from tests.ingest.corpus import CASES


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_upload_is_refused_and_changes_nothing(client, keys, tmp_path, name):
    case = CASES[name]
    path = case.build(tmp_path)
    before = snapshot(client, "towns")
    layers_before = sorted(c["id"] for c in client.get("/collections").json()["collections"])
    key = keys["admin"] if case.url == "/collections" else keys["editor"]
    r = post_file(client, case.url, path, key, **case.fields)
    assert r.status_code == case.status, r.text
    message = r.json()["description"]
    for word in case.words:
        assert word in message, f"{word!r} not in: {message}"
    assert snapshot(client, "towns") == before
    layers_after = sorted(c["id"] for c in client.get("/collections").json()["collections"])
    assert layers_after == layers_before
