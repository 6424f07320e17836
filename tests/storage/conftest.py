"""Fixtures for the storage contract: small frames built in code, and the CQL2 data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, box

from geoservice.catalog.infer import declared_types, infer_layer
from geoservice.catalog.models import LayerDef

CQL2_DATA = Path(__file__).resolve().parent.parent / "data" / "ne110m4cql2.gpkg"


@pytest.fixture
def grid_layer() -> tuple[LayerDef, gpd.GeoDataFrame]:
    """A 3x3 grid of 1-degree cells near Dongsheng with typed attributes."""
    cells, rows = [], []
    for i in range(3):
        for j in range(3):
            cells.append(box(109 + j, 39 + i, 110 + j, 40 + i))
            rows.append(
                {
                    "code": f"c{i}{j}",
                    "row": i,
                    "share": (i * 3 + j) / 8,
                    "protected": (i + j) % 2 == 0,
                    "name_zh": f"格{i}{j}",
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry=cells, crs="EPSG:4326")
    return infer_layer("grid", frame), frame


@pytest.fixture
def points_layer() -> tuple[LayerDef, gpd.GeoDataFrame]:
    """Five points with names, one per degree of longitude."""
    frame = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(5)], "value": [float(i) for i in range(5)]},
        geometry=[Point(105 + i, 40) for i in range(5)],
        crs="EPSG:4326",
    )
    return infer_layer("points", frame), frame


@pytest.fixture
def cql2_store(store):
    """The store loaded with the three layers of the OGC CQL2 test dataset."""
    layers = {}
    for name in pyogrio.list_layers(CQL2_DATA)[:, 0]:
        frame = gpd.read_file(CQL2_DATA, layer=name)
        info = pyogrio.read_info(CQL2_DATA, layer=name)
        layer = infer_layer(name, frame, types=declared_types(info["fields"], info["dtypes"]))
        store.write(layer, frame)
        layers[name] = layer
    return store, layers
