"""The FeatureStore contract, run on GeoPackage and PostGIS alike."""

from __future__ import annotations

import geopandas as gpd
import orjson
import pytest
import shapely
from shapely.geometry import Point, box

from geoservice.errors import (
    FeatureNotFound,
    InvalidFilter,
    LayerNotFound,
    VersionNotFound,
)
from geoservice.storage.base import FeatureQuery, SortKey
from geoservice.storage.cql import parse_filter


def cql(text: str) -> dict:
    return parse_filter(text, "cql2-text")


def test_written_features_read_back_with_attributes_and_geometry(store, grid_layer):
    layer, frame = grid_layer
    info = store.write(layer, frame)
    assert (info.version, info.feature_count, info.current) == (1, 9, True)
    back = store.read_frame(layer)
    assert list(back["code"]) == list(frame["code"])
    assert list(back["protected"]) == list(frame["protected"])
    assert back.geometry.geom_equals(frame.geometry, align=False).all()
    assert info.bbox == pytest.approx((109, 39, 112, 42))


def test_unknown_layer_raises_layer_not_found(store, grid_layer):
    layer, _ = grid_layer
    assert not store.has_layer("grid")
    with pytest.raises(LayerNotFound):
        store.query(layer, FeatureQuery())


def test_each_write_is_a_new_version_and_older_versions_stay_readable(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame, author="alice", message="first")
    store.write(layer, frame.iloc[:4], author="bob", message="second")
    versions = store.versions("grid")
    assert [(v.version, v.author, v.feature_count, v.current) for v in versions] == [
        (1, "alice", 9, False),
        (2, "bob", 4, True),
    ]
    assert len(store.read_frame(layer)) == 4
    assert len(store.read_frame(layer, version=1)) == 9
    with pytest.raises(VersionNotFound):
        store.read_frame(layer, version=7)


def test_append_mode_keeps_previous_features_and_continues_ids(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame.iloc[:3])
    store.write(layer, frame.iloc[3:], mode="append")
    back = store.read_frame(layer)
    assert list(back.index) == [1, 2, 3, 4, 5]
    assert list(back["name"]) == ["p0", "p1", "p2", "p3", "p4"]


def test_rollback_makes_a_new_version_with_old_content(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    store.write(layer, frame.iloc[:2])
    info = store.rollback(layer, 1, author="carol")
    assert (info.version, info.action, info.feature_count) == (3, "rollback", 9)
    assert len(store.read_frame(layer)) == 9
    assert [v.version for v in store.versions("grid") if v.current] == [3]


def test_edits_insert_replace_and_delete_as_one_new_version(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    changes = gpd.GeoDataFrame(
        {"name": ["renamed", "new"], "value": [10.0, 99.0]},
        geometry=[Point(0, 0), Point(1, 1)],
        index=[2, None],
        crs="EPSG:4326",
    )
    info, new_ids = store.edit(layer, upserts=changes, deletes=[5], author="dora")
    assert info.version == 2 and new_ids == [6]
    back = store.read_frame(layer)
    assert sorted(back.index) == [1, 2, 3, 4, 6]
    assert back.loc[2, "name"] == "renamed" and back.loc[6, "value"] == 99.0
    assert len(store.read_frame(layer, version=1)) == 5


def test_editing_a_missing_feature_changes_nothing(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    with pytest.raises(FeatureNotFound):
        store.edit(layer, deletes=[42])
    assert store.current_version("points").version == 1


def test_a_write_failing_half_way_leaves_the_current_version_untouched(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    broken = frame.astype({"row": object})
    broken.loc[7, "row"] = "not a number"  # fails while rows are being written
    with pytest.raises(ValueError):
        store.write(layer, broken)
    assert [v.version for v in store.versions("grid")] == [1]
    assert len(store.read_frame(layer)) == 9


def test_bbox_returns_features_intersecting_it(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    page = store.query(layer, FeatureQuery(bbox=(109.2, 39.2, 109.8, 39.8), limit=100))
    assert page.rows.properties["code"] == ["c00"]
    page = store.query(layer, FeatureQuery(bbox=(110.5, 40.5, 111.5, 41.5), limit=100))
    assert sorted(page.rows.properties["code"]) == ["c11", "c12", "c21", "c22"]


def test_bbox_in_another_crs_is_reprojected(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    x, y = 109.5, 39.5
    from pyproj import Transformer

    e, n = Transformer.from_crs(4326, 3857, always_xy=True).transform(x, y)
    query = FeatureQuery(bbox=(e - 10, n - 10, e + 10, n + 10), bbox_crs="EPSG:3857")
    assert store.query(layer, query).rows.properties["code"] == ["c00"]


def test_bbox_crossing_the_antimeridian_matches_both_sides(store):
    from geoservice.catalog.infer import infer_layer

    frame = gpd.GeoDataFrame(
        {"name": ["east", "west", "middle"]},
        geometry=[Point(170, 0), Point(-170, 0), Point(0, 0)],
        crs="EPSG:4326",
    )
    layer = infer_layer("dateline", frame)
    store.write(layer, frame)
    page = store.query(layer, FeatureQuery(bbox=(160, -10, -160, 10), limit=10))
    assert sorted(page.rows.properties["name"]) == ["east", "west"]


def test_paging_with_limit_offset_and_number_matched(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    first = store.query(layer, FeatureQuery(limit=4))
    last = store.query(layer, FeatureQuery(limit=4, offset=8))
    assert first.rows.ids == [1, 2, 3, 4] and first.number_matched == 9
    assert last.rows.ids == [9] and last.number_matched == 9
    filtered = store.query(layer, FeatureQuery(equals={"row": 1}, limit=2))
    assert filtered.number_returned == 2 and filtered.number_matched == 3


def test_number_matched_is_omitted_beyond_the_count_cap(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    page = store.query(layer, FeatureQuery(cql=cql("row >= 0"), limit=2, count_cap=5))
    assert page.number_returned == 2 and page.number_matched is None


def test_sortby_and_property_selection(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    query = FeatureQuery(sortby=[SortKey("share", ascending=False)], properties=["code"], limit=3)
    page = store.query(layer, query)
    assert page.rows.properties == {"code": ["c22", "c21", "c20"]}


def test_output_crs_reprojects_geometries(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    page = store.query(layer, FeatureQuery(crs="EPSG:4546", equals={"name": "p4"}))
    x, y = shapely.get_coordinates(page.rows.geometries)[0]
    # 109°E, 40°N is about 171 km west of the 111°E central meridian (false easting 500 km)
    assert x == pytest.approx(329_000, abs=2_000) and y == pytest.approx(4_430_000, abs=10_000)


def test_geojson_page_matches_the_rows(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    page = store.query_geojson(layer, FeatureQuery(limit=3, offset=1))
    features = orjson.loads(b"[" + page.features + b"]")
    assert [f["id"] for f in features] == [2, 3, 4]
    assert features[0]["properties"]["code"] == "c01"
    assert features[0]["properties"]["protected"] is False
    assert shapely.geometry.shape(features[0]["geometry"]).equals(box(110, 39, 111, 40))
    assert page.number_matched == 9


def test_geojson_in_epsg_4326_is_latitude_first(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    page = store.query_geojson(layer, FeatureQuery(limit=1, crs="EPSG:4326"))
    (feature,) = orjson.loads(b"[" + page.features + b"]")
    assert feature["geometry"]["coordinates"] == pytest.approx([40, 105])


def test_streamed_export_holds_every_feature(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    chunks = b"".join(store.iter_geojson(layer, FeatureQuery(limit=None)))
    assert len(orjson.loads(b"[" + chunks + b"]")) == 9


def test_filters_on_attributes_run_in_the_store(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)

    def codes(text):
        return sorted(
            store.query(layer, FeatureQuery(cql=cql(text), limit=100)).rows.properties["code"]
        )

    assert codes("row = 2 AND share > 0.8") == ["c21", "c22"]
    assert codes("code IN ('c00', 'c11') OR protected = false") == [
        "c00",
        "c01",
        "c10",
        "c11",
        "c12",
        "c21",
    ]
    assert codes("name_zh LIKE '格1%'") == ["c10", "c11", "c12"]
    assert codes("share BETWEEN 0.2 AND 0.4") == ["c02", "c10"]
    assert codes("S_INTERSECTS(geometry, POINT(111.5 41.5))") == ["c22"]
    assert codes("S_WITHIN(geometry, BBOX(108, 38, 110.5, 40.5))") == ["c00"]


def test_unknown_property_in_filter_is_reported_with_the_queryables(store, grid_layer):
    layer, frame = grid_layer
    store.write(layer, frame)
    with pytest.raises(InvalidFilter, match="unknown property 'nope'"):
        store.query(layer, FeatureQuery(cql=cql("nope = 1")))


def test_get_feature_by_id(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    rows = store.get_feature(layer, 3)
    assert rows.properties["name"] == ["p2"]
    with pytest.raises(FeatureNotFound):
        store.get_feature(layer, 99)


def test_delete_layer_removes_every_version(store, points_layer):
    layer, frame = points_layer
    store.write(layer, frame)
    store.write(layer, frame)
    store.delete_layer("points")
    assert "points" not in store.layer_ids()


def test_geometries_of_another_type_are_refused(store, grid_layer):
    from geoservice.errors import InvalidParameter

    layer, frame = grid_layer
    mixed = frame.copy()
    mixed.loc[4, "geometry"] = Point(1, 1)
    with pytest.raises(InvalidParameter, match="not Polygon"):
        store.write(layer, mixed)
    assert not store.has_layer("grid")


def test_bbox_uses_exact_geometry_not_envelopes(store):
    from shapely.geometry import Polygon

    from geoservice.catalog.infer import infer_layer

    # An L whose envelope covers the query box while its arms miss it.
    ell = Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)])
    frame = gpd.GeoDataFrame(
        {"name": ["ell", "inside", "straddling"]},
        geometry=[ell, box(5, 5, 6, 6), box(7.5, 7.5, 9, 9)],
        crs="EPSG:4326",
    )
    layer = infer_layer("shapes", frame)
    store.write(layer, frame)
    page = store.query(layer, FeatureQuery(bbox=(4, 4, 8, 8), limit=10))
    assert sorted(page.rows.properties["name"]) == ["inside", "straddling"]
    assert page.number_matched == 2
    second = store.query(layer, FeatureQuery(bbox=(4, 4, 8, 8), limit=1, offset=1))
    assert second.rows.properties["name"] == ["straddling"] and second.number_matched == 2


def test_a_version_stored_before_an_attribute_was_declared_lacks_its_column(store, grid_layer):
    from geoservice.catalog.models import AttributeDef

    layer, frame = grid_layer
    store.write(layer, frame)
    declared = layer.model_copy(
        update={"attributes": [*layer.attributes, AttributeDef(name="name_zh_note")]}
    )
    assert store.missing_attributes(layer) == []
    assert store.missing_attributes(declared) == ["name_zh_note"]
    with pytest.raises(LayerNotFound):
        store.missing_attributes(layer.model_copy(update={"id": "never_stored"}))
