"""Property test: every vertex of an encoded vector tile lies in the buffered tile,
or, for a small shape left whole, within the frame of one tile width around it."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoservice.storage.capabilities import TileQuery
from geoservice.tiles.vector import SMALL_SHAPE_COORDINATES, encode_mvt

HALF = 20_037_508.342789244  # half the Web Mercator world


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    minx, maxy = -HALF + x * size, HALF - y * size
    return (minx, maxy - size, minx + size, maxy)


@st.composite
def tiles_and_features(draw):
    z = draw(st.integers(0, 16))
    x = draw(st.integers(0, 2**z - 1))
    y = draw(st.integers(0, 2**z - 1))
    bounds = tile_bounds(z, x, y)
    size = bounds[2] - bounds[0]
    coordinate = st.tuples(
        st.floats(bounds[0] - size, bounds[2] + size, allow_nan=False),
        st.floats(bounds[1] - size, bounds[3] + size, allow_nan=False),
    )
    geoms = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["point", "line", "polygon"]))
        points = draw(st.lists(coordinate, min_size=3, max_size=12))
        if kind == "point":
            geoms.append(shapely.Point(points[0]))
        elif kind == "line":
            geoms.append(shapely.LineString(points))
        else:
            # stored polygons are valid (uploads check them): a convex hull is one
            geoms.append(shapely.convex_hull(shapely.MultiPoint(points)))
    return bounds, geoms


@settings(max_examples=200, deadline=None, derandomize=True)
@given(tiles_and_features())
def test_encoded_vertices_stay_inside_the_buffered_tile(case):
    bounds, geoms = case
    query = TileQuery(bounds=bounds, crs="EPSG:3857", attributes=[])
    buffered = shapely.box(*bounds).buffer(query.buffer * query.unit, join_style="mitre")
    # The store hands over what intersects the buffered tile, as a tile query selects.
    chosen = [g for g in geoms if not g.is_empty and g.intersects(buffered)]
    if not chosen:
        return

    tile = encode_mvt("t", list(range(len(chosen))), np.asarray(chosen, dtype=object), {}, query)

    if not tile.data:
        return
    decoded = mapbox_vector_tile.decode(tile.data, default_options={"y_coord_down": True})
    for feature in decoded["t"]["features"]:
        geometry = feature["geometry"]
        xy = np.asarray(list(_vertices(geometry["coordinates"])), dtype=float)
        # a small shape (rings decode closed, as stored) may be left whole in the frame
        if len(xy) <= SMALL_SHAPE_COORDINATES:
            low, high = -query.extent, 2 * query.extent
        else:  # a narrow feature may reach one buffer past the buffered edge
            low, high = -2 * query.buffer, query.extent + 2 * query.buffer
        assert ((xy >= low) & (xy <= high)).all(), (bounds, geometry["type"])


def _vertices(coords):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
        return
    for part in coords:
        yield from _vertices(part)
