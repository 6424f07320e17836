"""Shared constants and small helpers of the sample-data builders.

Every sample layer is computed in a metric CRS and stored in lon/lat, so the two
CRSs are named once here. Distances and areas are only ever measured in
:data:`METRIC_CRS` (CGCS2000 / 3-degree Gauss-Kruger CM 111E, the zone that
holds Dongsheng at about 110E).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoservice import quality

METRIC_CRS = "EPSG:4546"
"""CGCS2000 / 3-degree Gauss-Kruger CM 111E: metres, low distortion at 110E."""
STORAGE_CRS = "EPSG:4326"
"""Lon/lat storage CRS of every sample layer (WGS84 ≈ CGCS2000 at this scale)."""

SOURCED_POINT = quality.SOURCED_POINT
"""geometry_quality: a point a cited source gives for this feature (after datum conversion)."""
OFFICIAL_BOUNDARY = quality.OFFICIAL_BOUNDARY
"""geometry_quality: an administrative outline as published (or a union of such outlines)."""
APPROXIMATE = quality.APPROXIMATE
"""geometry_quality: geometry derived by a documented rule; not a measured location."""
SYMBOLIC = quality.SYMBOLIC
"""geometry_quality: no position is known; drawn at a reference point only. Not a location."""

SEED_000 = "seed 000 (《鄂尔多斯市东胜区服务业发展第十四个五年规划》)"
"""How features cite the Dongsheng services plan; line numbers follow it."""
SEED_003 = "seed 003 (《东胜区人民政府公报》2023年第10-12期合刊)"
"""How features cite the Dongsheng government gazette."""


def frame_from_records(
    records: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    crs: str,
) -> gpd.GeoDataFrame:
    """Build a GeoDataFrame with exactly ``columns`` plus ``geometry``, in order.

    Builders collect plain dicts and hand them here, so every layer ends with the
    same column order as its YAML declaration and no stray helper columns.

    Raises
    ------
    KeyError
        If a record lacks a declared column (a schema slip caught at build time).
    """
    rows = list(records)
    data = {name: [row[name] for row in rows] for name in columns}
    geometry = [row["geometry"] for row in rows]
    frame = pd.DataFrame(data, columns=list(columns))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def to_storage(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` reprojected to :data:`STORAGE_CRS` with a fresh index."""
    return frame.to_crs(STORAGE_CRS).reset_index(drop=True)


def as_multipolygon(geometry: BaseGeometry) -> shapely.MultiPolygon:
    """Return the polygon parts of ``geometry`` as one MultiPolygon.

    Clipping can leave points or line slivers in a GeometryCollection; layers
    declared as MultiPolygon keep only the areas.
    """
    parts = shapely.get_parts(shapely.make_valid(geometry))
    polygons = [p for p in parts if isinstance(p, shapely.Polygon) and p.area > 0]
    return shapely.MultiPolygon(polygons)
