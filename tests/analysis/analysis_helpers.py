"""Builders of tiny layers for the analysis tests (EPSG:4546, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 4_400_000.0  # near Dongsheng in EPSG:4546


def frame(geoms, crs=CRS, **columns) -> gpd.GeoDataFrame:
    """A GeoDataFrame from geometries and columns."""
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def grid(n: int, size: float, x0: float = X0, y0: float = Y0) -> gpd.GeoDataFrame:
    """An n × n grid of square cells, row by row from the south-west."""
    ix, iy = np.meshgrid(np.arange(n), np.arange(n))
    x, y = x0 + ix.ravel() * size, y0 + iy.ravel() * size
    return frame(shapely.box(x, y, x + size, y + size), row=iy.ravel(), col=ix.ravel())
