"""GeoPackage pages joined from stored GeoJSON are byte for byte those encoded per request.

The stored texts must follow every way a version is made: a replace, an append,
edits (replace, insert, delete) and a rollback; and a store without them (written
before they existed) must still answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geoservice.catalog.infer import infer_layer
from geoservice.catalog.models import AttributeType
from geoservice.storage.base import FeatureQuery
from geoservice.storage.geopackage import GeoPackageStore
from geoservice.storage.gpkg_features import has_json, json_table

TYPES = {
    "name_zh": AttributeType.string,
    "count": AttributeType.integer,
    "share": AttributeType.number,
    "protected": AttributeType.boolean,
    "surveyed_on": AttributeType.date,
    "updated_at": AttributeType.datetime,
}
BOXES = [(109.9, 39.75, 110.05, 39.85), (109.97, 39.79, 110.0, 39.81), (100.0, 10.0, 101.0, 11.0)]


def _cells(n: int = 60, start: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(start)
    x = 109.9 + rng.random(n) * 0.15
    y = 39.75 + rng.random(n) * 0.1
    frame = gpd.GeoDataFrame(
        {
            "name_zh": [f"格{start + i}" if i % 7 else None for i in range(n)],
            "count": [int(v) for v in rng.integers(-5, 10**6, n)],
            "share": [float("nan") if i % 11 == 0 else v for i, v in enumerate(rng.random(n))],
            "protected": [None if i % 13 == 0 else bool(i % 2) for i in range(n)],
            "surveyed_on": [date(2025, 1 + i % 12, 1 + i % 28) for i in range(n)],
            "updated_at": [datetime(2026, 11, 1, 8, i % 60, tzinfo=UTC) for i in range(n)],
        },
        geometry=[box(a, b, a + 0.004, b + 0.003) for a, b in zip(x, y, strict=True)],
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:4546")


@pytest.fixture
def store(tmp_path):
    s = GeoPackageStore(tmp_path / "store.gpkg")
    yield s
    s.close()


@pytest.fixture
def layer():
    return infer_layer("cells", _cells(), storage_crs="EPSG:4546", types=TYPES)


@pytest.fixture
def joined(monkeypatch) -> list[str]:
    """Record each page or export the store joins from its stored GeoJSON.

    The comparisons below are only worth something while the two queries take
    different paths; this is how the tests know they still do.
    """
    from geoservice.storage import geopackage

    calls: list[str] = []
    real_page = geopackage.bbox_page_text
    real_export = geopackage.GeoPackageStore._iter_prebuilt

    def page(*args, **kwargs):
        calls.append("page")
        return real_page(*args, **kwargs)

    def export(self, *args, **kwargs):
        calls.append("export")
        yield from real_export(self, *args, **kwargs)

    monkeypatch.setattr(geopackage, "bbox_page_text", page)
    monkeypatch.setattr(geopackage.GeoPackageStore, "_iter_prebuilt", export)
    return calls


def _both(store, layer, joined, **kw):
    """Return (prebuilt, encoded-per-request) pages of the same query."""
    before = len(joined)
    fast = store.query_geojson(layer, FeatureQuery(**kw))
    assert joined[before:] == ["page"], "the page was not joined from the stored GeoJSON"
    slow = store.query_geojson(layer, FeatureQuery(properties=list(layer.attribute_names), **kw))
    assert joined[before:] == ["page"], "the page asking for properties was not encoded here"
    return fast, slow


def _assert_same_pages(store, layer, joined):
    for bbox in BOXES:
        for limit, offset in ((10, 0), (100, 5), (None, 0)):
            fast, slow = _both(store, layer, joined, bbox=bbox, limit=limit, offset=offset)
            assert fast.features == slow.features
            assert (fast.number_returned, fast.number_matched) == (
                slow.number_returned,
                slow.number_matched,
            )
    before = len(joined)
    export = b"".join(store.iter_geojson(layer, FeatureQuery(limit=None)))
    encoded = b"".join(
        store.iter_geojson(layer, FeatureQuery(limit=None, properties=list(layer.attribute_names)))
    )
    assert joined[before:] == ["export"]
    assert export == encoded


def test_prebuilt_pages_equal_encoded_pages_through_every_kind_of_version(store, layer, joined):
    store.write(layer, _cells())
    info = store.current_version(layer.id)
    assert has_json(store._conn(), info.table)
    _assert_same_pages(store, layer, joined)

    store.write(layer, _cells(20, start=100), mode="append")
    _assert_same_pages(store, layer, joined)

    changed = _cells(3, start=200)
    changed.index = [2, 5, -1]  # replace 2 and 5, insert a new one
    changed.loc[-1, "name_zh"] = "新格"
    store.edit(layer, upserts=changed, deletes=[7, 8])
    _assert_same_pages(store, layer, joined)
    features = store.query_geojson(layer, FeatureQuery(limit=None)).features
    assert b'"id":7,' not in features and "新格".encode() in features

    store.rollback(layer, 1)
    _assert_same_pages(store, layer, joined)


def test_prebuilt_page_is_what_a_client_asked_for(store, layer):
    store.write(layer, _cells())
    page = store.query_geojson(layer, FeatureQuery(bbox=BOXES[0], limit=100))
    assert page.number_returned == page.number_matched > 0
    assert b'"properties":{"name_zh":' in page.features
    assert b'"surveyed_on":"2025-' in page.features and b'"protected":true' in page.features


def test_a_store_without_stored_geojson_still_answers(store, layer):
    store.write(layer, _cells())
    expected = store.query_geojson(layer, FeatureQuery(bbox=BOXES[0], limit=50)).features
    table = store.current_version(layer.id).table
    conn = store._conn()
    conn.execute(f'DROP TABLE "{json_table(table)}"')
    assert store.query_geojson(layer, FeatureQuery(bbox=BOXES[0], limit=50)).features == expected
    store.write(layer, _cells(5, start=300), mode="append")  # copies what it can: nothing
    assert not has_json(conn, store.current_version(layer.id).table)
    assert store.query(layer, FeatureQuery(limit=None)).number_returned == 65


def test_the_geojson_table_is_not_a_layer_for_qgis(store, layer):
    store.write(layer, _cells())
    contents = [r[0] for r in store._conn().execute("SELECT table_name FROM gpkg_contents")]
    assert all(not name.startswith("gs_json_") for name in contents)


def test_points_with_other_crs_requests_use_the_per_request_encoder(store):
    frame = gpd.GeoDataFrame(
        {"n": [1, 2]}, geometry=[Point(110, 39.8), Point(110.01, 39.81)], crs=4326
    )
    layer = infer_layer("pts", frame)
    store.write(layer, frame)
    lat_first = store.query_geojson(layer, FeatureQuery(bbox=BOXES[0], crs="EPSG:4326"))
    assert b"[39.8,110.0]" in lat_first.features


def test_without_prebuilt_geojson_the_store_answers_the_same(tmp_path, layer):
    lean = GeoPackageStore(tmp_path / "lean.gpkg", prebuilt_geojson=False)
    full = GeoPackageStore(tmp_path / "full.gpkg")
    for s in (lean, full):
        s.write(layer, _cells())
        s.write(layer, _cells(5, start=400), mode="append")
    assert not has_json(lean._conn(), lean.current_version(layer.id).table)
    query = FeatureQuery(bbox=BOXES[0], limit=100)
    assert lean.query_geojson(layer, query).features == full.query_geojson(layer, query).features
    lean.close()  # the last connection closed folds the WAL into the file
    full.close()
    assert (tmp_path / "lean.gpkg").stat().st_size < (tmp_path / "full.gpkg").stat().st_size


def test_a_layer_deleted_and_written_again_without_stored_geojson_still_answers(tmp_path, layer):
    path = tmp_path / "shared.gpkg"
    server = GeoPackageStore(path)
    server.write(layer, _cells())
    query = FeatureQuery(bbox=BOXES[0], limit=20)
    before = server.query_geojson(layer, query).features
    other = GeoPackageStore(path, prebuilt_geojson=False)  # another process, setting off
    other.delete_layer(layer.id)
    other.write(layer, _cells())  # the same table name, now without stored GeoJSON
    other.close()
    assert server.query_geojson(layer, query).features == before
    server.close()
