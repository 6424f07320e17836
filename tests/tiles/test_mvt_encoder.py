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
