"""Keep the areal part of an overlay result (private helper of :mod:`.farmland`)."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry


def polygonal_array(geometries: np.ndarray) -> np.ndarray:
    """Drop the non-areal parts a cut can leave (shared edges, touching corners)."""
    out = geometries.copy()
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)  # GeometryCollection
    for i in mixed:
        parts = shapely.get_parts(out[i])
        polygons = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
    lines_or_points = ~np.isin(shapely.get_type_id(out), (3, 6, 7))
    out[lines_or_points] = shapely.Polygon()
    return out


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """:func:`polygonal_array` for one geometry."""
    return polygonal_array(np.array([geometry], dtype=object))[0]
