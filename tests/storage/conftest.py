"""Fixtures for the storage contract: small frames built in code, and the CQL2 data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, box

from geoservice.catalog.infer import declared_types, infer_layer
from geoservice.catalog.models import AttributeType, LayerDef

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


@pytest.fixture
def typed_layer() -> tuple[LayerDef, gpd.GeoDataFrame]:
    """Five features with a column of each attribute type, nulls, points and polygons."""
    frame = gpd.GeoDataFrame(
        {
            "code": ["150602", "abc", None, "It's", "0150602"],
            "n": [1, 2, None, -5, 150602],
            "confidence": [0.5, 1.5, None, 2.0, 0.0],
            "flag": [True, False, None, True, False],
            "d": [date(2020, 1, 1), date(2021, 6, 1), None, date(1999, 12, 31), date(2020, 1, 1)],
            "t": [
                datetime(2020, 1, 1, tzinfo=UTC),
                datetime(2021, 6, 1, 12, tzinfo=UTC),
                None,
                datetime(1999, 12, 31, tzinfo=UTC),
                datetime(2020, 1, 1, tzinfo=UTC),
            ],
            "name": ["Straße", "ABC", None, "Été", "abc"],
        },
        geometry=[Point(1, 1), box(0, 0, 2, 2), Point(5, 5), box(4, 4, 6, 6), None],
        crs="EPSG:4326",
    )
    types = {
        "code": AttributeType.string,
        "n": AttributeType.integer,
        "confidence": AttributeType.number,
        "flag": AttributeType.boolean,
        "d": AttributeType.date,
        "t": AttributeType.datetime,
        "name": AttributeType.string,
    }
    return infer_layer("typed", frame, types=types), frame
