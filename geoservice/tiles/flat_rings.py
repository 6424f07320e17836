"""The fast path of in-memory tiles: grid cells and four-corner parcels as arrays.

Most planning grids and parcel layers are polygons of one ring of three or four
corners. Such a polygon needs no simplification (too few vertices), no clipping
while it lies within the frame (see ``tiles/vector.py``) and stays valid after
rounding while it stays strictly convex, so its command stream is array
arithmetic on its corners, with no geometry object made per tile. Any feature
this path cannot take goes the general way (``to_tile_units`` and the encoder),
and both ways make the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoservice.encoding.mvt import Segments, ring_streams
from geoservice.storage.capabilities import TileQuery
from geoservice.tiles.vector import within_frame

_CORNERS = (3, 4)


@dataclass(frozen=True)
class FlatRings:
    """The corners of a layer's simple polygons, in the tile CRS, one row per feature.

    Rings are wound so that the tile's y flip gives MVT's order and start at the
    vertex GEOS starts them at, as the general path does.
    """

    corners: np.ndarray  # int8 per feature: 3 or 4 for a simple polygon, 0 otherwise
    rings: np.ndarray  # (features, 4, 2) float64: the corners (unused rows: zeros)
    bounds: np.ndarray  # (features, 4) in the tile CRS


def flat_rings(geometries: np.ndarray) -> FlatRings:
    """Return the corners of the simple polygons among ``geometries``."""
    n = len(geometries)
    kinds = shapely.get_type_id(geometries)
    polygons = geometries.copy()
    multi = (kinds == 6) & (shapely.get_num_geometries(geometries) == 1)
    polygons[multi] = shapely.get_geometry(geometries[multi], 0)
    single = (kinds == 3) | multi
    coordinates = shapely.get_num_coordinates(polygons)
    holes = np.zeros(n, dtype=np.int64)
    holes[single] = shapely.get_num_interior_rings(polygons[single])
    member = single & (holes == 0) & (coordinates >= 4) & (coordinates <= 5)
    rows = np.flatnonzero(member)
    rings = shapely.get_exterior_ring(shapely.orient_polygons(polygons[rows], exterior_cw=True))
    coords, of = shapely.get_coordinates(rings, return_index=True)
    count = np.bincount(of, minlength=len(rows))
    start = np.cumsum(count) - count
    corners = np.zeros(n, dtype=np.int8)
    table = np.zeros((n, 4, 2), dtype=np.float64)
    for k in _CORNERS:  # a ring of k corners has k + 1 coordinates, the closing one last
        group = np.flatnonzero(count == k + 1)
        corners[rows[group]] = k
        table[rows[group], :k] = coords[start[group][:, None] + np.arange(k)[None, :]]
    return FlatRings(corners, table, shapely.bounds(geometries))


def flat_streams(
    flat: FlatRings, rows: np.ndarray, query: TileQuery
) -> tuple[np.ndarray, Segments]:
    """Return which of ``rows`` the flat path encodes, and their command streams.

    A row is encoded here when it is a simple polygon that clipping leaves as it
    is (narrower than the buffer, or within the frame) and that is still strictly
    convex, wound as MVT wants, once its corners are rounded to tile units; the
    others go the general way. Streams come in the order of the rows taken.
    """
    unit = query.unit
    x0, _, _, y1 = query.bounds
    box_ = flat.bounds[rows]
    with np.errstate(invalid="ignore"):
        left, right = (box_[:, 0] - x0) / unit, (box_[:, 2] - x0) / unit
        top, bottom = (y1 - box_[:, 3]) / unit, (y1 - box_[:, 1]) / unit
        narrow = np.fmax(right - left, bottom - top) <= query.buffer
    framed = within_frame(np.column_stack((left, top, right, bottom)), query)
    candidate = (flat.corners[rows] > 0) & (narrow | framed)
    chosen = np.flatnonzero(candidate)
    corners = flat.corners[rows[chosen]]
    taken = np.zeros(len(chosen), dtype=bool)
    streams = Segments.empty(len(chosen))
    for k in _CORNERS:
        group = np.flatnonzero(corners == k)
        if not len(group):
            continue
        ring = flat.rings[rows[chosen[group]], :k]
        # As to_tile_units does it: the same affine, then GEOS's rounding (half up).
        tile = np.empty_like(ring)
        tile[..., 0] = (ring[..., 0] - x0) / unit
        tile[..., 1] = (y1 - ring[..., 1]) / unit
        tile = np.floor(tile + 0.5).astype(np.int64)
        following = np.r_[1:k, 0]
        edge = tile[:, following] - tile
        turn = edge[..., 0] * edge[:, following, 1] - edge[..., 1] * edge[:, following, 0]
        convex = (turn > 0).all(axis=1)
        taken[group[convex]] = True
        streams = streams.put(group[convex], ring_streams(tile[convex]))
    candidate[chosen[~taken]] = False
    return candidate, streams.take(np.flatnonzero(taken))
