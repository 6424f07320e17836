"""A real LocalCluster (two in-process workers) and a small synthetic study area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: a metric CRS


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture
def area():
    """A synthetic 20 km disc split into two units (west 'A', east 'B'); not a real place."""
    centre = shapely.Point(500_000, 4_500_000)
    boundary = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[centre.buffer(10_000)], crs=CRS)
    units = gpd.GeoDataFrame(
        {"code": ["A", "B"]},
        geometry=[
            shapely.box(480_000, 4_480_000, 500_000, 4_520_000),
            shapely.box(500_000, 4_480_000, 520_000, 4_520_000),
        ],
        crs=CRS,
    )
    return boundary, units


@pytest.fixture
def facilities():
    """Forty synthetic facilities scattered over the area (seeded)."""
    rng = np.random.default_rng(7)
    xy = rng.uniform([491_000, 4_491_000], [509_000, 4_509_000], size=(40, 2))
    return gpd.GeoDataFrame(
        index=[f"f{i}" for i in range(40)], geometry=shapely.points(xy), crs=CRS
    )
