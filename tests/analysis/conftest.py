"""Fixtures for the analysis tests: tiny layers built in code (EPSG:4546, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid


@pytest.fixture
def unit_square() -> gpd.GeoDataFrame:
    return frame([shapely.box(X0, Y0, X0 + 100, Y0 + 100)])


@pytest.fixture
def grid3() -> gpd.GeoDataFrame:
    """3 × 3 cells of 100 m, population 10 × (index + 1)."""
    g = grid(3, 100.0)
    g["population"] = 10.0 * (np.arange(9) + 1)
    return g


@pytest.fixture
def line_of_points() -> gpd.GeoDataFrame:
    """Eleven villages every 100 m along the x axis."""
    x = X0 + 100.0 * np.arange(11)
    return frame(shapely.points(x, np.full(11, Y0)), name=[f"v{i}" for i in range(11)])
