"""Our numpy MVT encoder writes tiles that decode exactly as the reference encoder's do.

``mapbox_vector_tile.encode`` is the reference: every geometry family, holes,
multi-parts, repeated vertices, signed and large ids, and every value type must
come back identical through ``mapbox_vector_tile.decode``.
"""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon

from geoservice.encoding.mvt import encode_layer

SQUARE = [(0, 0), (0, 100), (100, 100), (100, 0), (0, 0)]
HOLE = [(20, 20), (40, 20), (40, 40), (20, 40), (20, 20)]

GEOMETRIES = {
    "point": Point(5, 7),
    "multipoint": MultiPoint([(1, 2), (300, 400), (-10, 4100)]),
    "line": LineString([(0, 0), (10, 0), (10, 10), (10, 10), (200, -30)]),
    "multiline": MultiLineString([[(0, 0), (5, 5)], [(100, 100), (90, 120), (80, 80)]]),
    "polygon": Polygon(SQUARE),
    "clockwise polygon": Polygon(SQUARE[::-1]),
    "polygon with hole": Polygon(SQUARE, [HOLE]),
    "multipolygon": MultiPolygon(
        [Polygon(SQUARE, [HOLE]), Polygon([(200, 200), (260, 200), (260, 290), (200, 200)])]
    ),
}


def _decode(data: bytes) -> list[dict]:
    layer = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["cells"]
    return sorted(layer["features"], key=lambda f: f["id"])


def _reference(ids, geometries, properties) -> bytes:
    features = [
        {
            "id": int(ids[i]),
            "geometry": geometries[i],
            "properties": {k: v[i] for k, v in properties.items() if v[i] is not None},
        }
        for i in range(len(ids))
    ]
    options = {"y_coord_down": True, "quantize_bounds": None, "extents": 4096}
    return mapbox_vector_tile.encode(
        {"name": "cells", "features": features}, default_options=options
    )


def _as_shape(feature: dict):
    return shapely.geometry.shape(feature["geometry"])


@pytest.mark.parametrize("kind", list(GEOMETRIES))
def test_each_geometry_family_decodes_as_the_reference_encoders(kind):
    geometry = GEOMETRIES[kind]
    data, count = encode_layer("cells", [7], np.array([geometry], dtype=object), {})
    ours = _decode(data)
    reference = _decode(_reference([7], [geometry], {}))
    assert count == 1
    assert ours[0]["type"] == reference[0]["type"]
    assert _as_shape(ours[0]).normalize().equals_exact(_as_shape(reference[0]).normalize(), 0)
    if isinstance(geometry, Polygon | MultiPolygon):  # exterior rings wound as MVT wants
        assert _as_shape(ours[0]).area == pytest.approx(geometry.area)


def test_attributes_of_every_type_round_trip_and_nulls_are_left_out():
    properties = {
        "name_zh": ["东胜区", "铜川镇", None, "诃额伦街道"],
        "count": [0, 5, -3, 2**40],
        "share": [0.25, 0.5, 0.25, float("nan")],
        "protected": [True, False, None, True],
        "mixed": [1, 2.5, "three", None],
    }
    geometries = np.array([Point(i, i) for i in range(4)], dtype=object)
    ids = [1, 2, 3, 2**33]
    data, count = encode_layer("cells", ids, geometries, properties)
    clean = {
        k: [None if isinstance(x, float) and np.isnan(x) else x for x in v]
        for k, v in properties.items()
    }
    assert count == 4
    assert [f["properties"] for f in _decode(data)] == [
        f["properties"] for f in _decode(_reference(ids, geometries, clean))
    ]
    assert [f["id"] for f in _decode(data)] == ids


def test_empty_or_collapsed_geometries_are_skipped_and_counted_out():
    geometries = np.array(
        [Point(1, 1), shapely.Polygon(), None, LineString([(3, 3), (3, 3)])], dtype=object
    )
    data, count = encode_layer("cells", [1, 2, 3, 4], geometries, {"n": [1, 2, 3, 4]})
    assert count == 1
    assert [f["id"] for f in _decode(data)] == [1]


def test_nothing_to_encode_gives_an_empty_tile():
    assert encode_layer("cells", [], np.array([], dtype=object), {}) == (b"", 0)


def test_a_grid_of_thousands_of_cells_decodes_as_the_reference_encoders():
    rng = np.random.default_rng(3)
    corners = rng.integers(-64, 4096, size=(2000, 2))
    geometries = shapely.box(corners[:, 0], corners[:, 1], corners[:, 0] + 40, corners[:, 1] + 25)
    ids = list(range(1, 2001))
    properties = {"code": [f"g{i:05d}" for i in ids], "share": rng.random(2000).round(3).tolist()}
    data, count = encode_layer("cells", ids, geometries, properties)
    ours, reference = _decode(data), _decode(_reference(ids, geometries, properties))
    assert count == 2000
    assert [f["properties"] for f in ours] == [f["properties"] for f in reference]
    assert [f["geometry"] for f in ours] == [f["geometry"] for f in reference]


# -- the byte-array plumbing under the encoder ---------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=60))
def test_varints_are_those_protobuf_writes_value_by_value(values):
    from geoservice.encoding.mvt import _varint, _varints

    data, sizes = _varints(np.asarray(values, dtype=np.uint64))

    assert data.tobytes() == b"".join(_varint(v) for v in values)
    assert sizes.tolist() == [len(_varint(v)) for v in values]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(st.binary(max_size=6), min_size=1, max_size=12),
    st.lists(st.binary(max_size=6), min_size=1, max_size=12),
    st.data(),
)
def test_segments_take_put_and_join_as_lists_of_bytes_do(first, second, data):
    from geoservice.encoding.mvt import Segments, join_segments

    def segments(strings):
        blob = np.frombuffer(b"".join(strings), dtype=np.uint8)
        return Segments(blob, np.array([len(s) for s in strings], dtype=np.int64))

    a = segments(first)
    rows = data.draw(st.lists(st.integers(0, len(first) - 1), max_size=20))
    assert a.take(np.array(rows, dtype=np.int64)).strings() == [first[r] for r in rows]

    where = data.draw(st.permutations(range(len(first))))[: min(len(first), len(second))]
    put = a.put(np.array(where, dtype=np.int64), segments(second[: len(where)]))
    expected = list(first)
    for row, value in zip(where, second, strict=False):
        expected[row] = value
    assert put.strings() == expected

    pairs = min(len(first), len(second))
    joined = join_segments([segments(first[:pairs]), segments(second[:pairs])])
    assert joined.strings() == [x + y for x, y in zip(first, second, strict=False)][:pairs]


def test_single_ring_polygons_written_as_a_table_encode_as_the_general_way():
    from geoservice.encoding.mvt import geometry_streams, ring_streams

    quads = [[(0, 0), (0, 80), (80, 80), (80, 0)], [(100, 5), (90, 60), (150, 70), (160, 0)]]
    triangles = [[(0, 0), (30, 90), (60, 0)], [(5, 5), (4000, 10), (300, 4090)]]
    for rings in (quads, triangles):
        polygons = shapely.orient_polygons(np.array([Polygon(r) for r in rings], dtype=object))
        corners = np.array(
            [shapely.get_coordinates(p.exterior)[:-1] for p in polygons], dtype=np.int64
        )
        _, general = geometry_streams(polygons)
        assert ring_streams(corners).strings() == general.strings()
