"""Features as the package passes them around, below storage and encoding alike.

Stores return :class:`FeatureRows`; encoders (GeoJSON, MVT) consume them. Keeping
the type here, under both, lets storage use the encoders (stored GeoJSON) without
the encoders importing storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

BBox = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy) in GIS axis order."""

INT64_MAX = 2**63 - 1
"""The largest integer both stores hold (SQLite INTEGER, PostgreSQL bigint): the
bound of every id, version, offset and count a request may name."""


@dataclass(frozen=True)
class FeatureRows:
    """Features as columns: ids, shapely geometries and attribute lists.

    Cheaper than a GeoDataFrame for the request path; ``to_frame`` gives one.
    """

    ids: list[int]
    geometries: np.ndarray
    properties: dict[str, list[Any]]
    crs: str

    def __len__(self) -> int:
        return len(self.ids)

    def to_frame(self) -> gpd.GeoDataFrame:
        """Return the rows as a GeoDataFrame indexed by feature id."""
        index = pd.Index(np.asarray(self.ids, dtype="int64"), name="fid")
        return gpd.GeoDataFrame(
            self.properties,
            geometry=gpd.GeoSeries(self.geometries, crs=self.crs, index=index),
            index=index,
        )
