"""GeoJSON encoding of feature rows, fast enough for the request path.

Geometries are serialised by GEOS (``shapely.to_geojson``, vectorised) and
properties by orjson; the feature text is assembled from those pieces rather than
building nested dicts and dumping them again.
"""

from __future__ import annotations

import numpy as np
import orjson
import shapely

from geoservice.crs import swap_axes
from geoservice.features import FeatureRows

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def encode_geometries(geometries: np.ndarray, *, north_first: bool = False) -> list[bytes]:
    """Return the GeoJSON text of each geometry (``null`` for missing ones)."""
    if north_first and len(geometries):
        geometries = swap_axes(geometries)
    texts = shapely.to_geojson(geometries)
    return [b"null" if t is None else t.encode() for t in texts]


def encode_features(rows: FeatureRows, *, north_first: bool = False) -> list[bytes]:
    """Return one GeoJSON Feature text per row."""
    geoms = encode_geometries(rows.geometries, north_first=north_first)
    names = list(rows.properties)
    columns = [rows.properties[n] for n in names]
    out = []
    for i, (fid, geom) in enumerate(zip(rows.ids, geoms, strict=True)):
        props = orjson.dumps(
            {n: col[i] for n, col in zip(names, columns, strict=True)}, option=_OPTS
        )
        out.append(b'{"type":"Feature","id":%d,"geometry":%s,"properties":%s}' % (fid, geom, props))
    return out


def encode_feature_array(rows: FeatureRows, *, north_first: bool = False) -> bytes:
    """Return the features joined by commas (the inside of a JSON array)."""
    return b",".join(encode_features(rows, north_first=north_first))


def encode_feature(rows: FeatureRows, *, north_first: bool = False) -> bytes:
    """Return the single feature of ``rows`` as a GeoJSON Feature."""
    return encode_features(rows, north_first=north_first)[0]
