"""A download that cannot succeed is an error response, not a 200 cut short.

The whole-layer download streams; what makes it fail (a version that does not
exist, a filter the store can only reject once it runs against the data) must be
found before the status line is sent, on both stores.
"""

from __future__ import annotations

import pytest

LAYER = "ne_110m_populated_places_simple"


def test_a_download_of_a_version_that_does_not_exist_is_a_404(client):
    r = client.get(f"/collections/{LAYER}/download", params={"version": 8033})
    assert r.status_code == 404
    assert r.json()["code"] == "VersionNotFound"
    assert "8033" in r.json()["description"]


@pytest.mark.parametrize(
    "cql",
    [
        "pop_max = 'abc'",  # a number compared with text
        "CASEI(pop_max) = 'x'",
        "name > DATE('2020-01-01')",
        "pop_max ^ 1e10 > 1",  # only evaluating it over the rows shows the overflow
    ],
)
def test_a_download_with_a_filter_the_store_rejects_is_a_400_like_the_items_page(client, cql):
    page = client.get(f"/collections/{LAYER}/items", params={"filter": cql})
    download = client.get(f"/collections/{LAYER}/download", params={"filter": cql})
    assert page.status_code == 400
    assert download.status_code == 400
    assert download.json()["code"] == page.json()["code"] == "InvalidFilter"


def test_a_download_that_can_succeed_still_streams_every_feature(client):
    total = client.get(f"/collections/{LAYER}/items", params={"limit": 10000}).json()
    r = client.get(f"/collections/{LAYER}/download")
    assert r.status_code == 200
    assert len(r.json()["features"]) == len(total["features"]) > 0


def test_a_download_with_no_matching_feature_is_an_empty_collection(client):
    r = client.get(f"/collections/{LAYER}/download", params={"filter": "name = 'no such place'"})
    assert r.status_code == 200
    assert r.json() == {"type": "FeatureCollection", "features": []}


def test_a_filter_failing_only_on_a_later_row_fails_before_the_first_byte(client, monkeypatch):
    # Batches of two rows: the first rows match without evaluating the power (the
    # OR is decided by id), so only a row far into the stream overflows.
    import geoservice.storage.geopackage as gpkg
    import geoservice.storage.postgis as pg

    monkeypatch.setattr(gpkg, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(pg, "EXPORT_CHUNK", 2)
    cql = "id < 5 OR pop_max ^ 1e10 > 1"
    r = client.get(f"/collections/{LAYER}/download", params={"filter": cql})
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidFilter"
