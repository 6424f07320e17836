"""Helpers for tile tests: decode MVTs back to lon/lat features."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry import shape

from geoservice.crs import reproject_geometries
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs


def decode_tile(data: bytes, address: TileAddress, extent: int = 4096) -> dict[str, dict]:
    """Return ``{layer: {fid: (lon/lat geometry, properties)}}`` of an MVT."""
    x0, _, x1, y1 = tile_bounds(address)
    unit = (x1 - x0) / extent
    out: dict[str, dict] = {}
    decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    for name, layer in decoded.items():
        assert layer["extent"] == extent
        features = {}
        for feature in layer["features"]:
            tile_geom = shape(feature["geometry"])
            geom = shapely.transform(
                tile_geom,
                lambda c: np.column_stack((x0 + c[:, 0] * unit, y1 - c[:, 1] * unit)),
            )
            lonlat = reproject_geometries(np.array([geom]), tms_crs(address.tms), "OGC:CRS84")[0]
            features[feature["id"]] = (lonlat, feature["properties"])
        out[name] = features
    return out
