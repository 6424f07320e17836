"""Helpers for tile tests: decode MVTs back to lon/lat features."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geoservice.crs import reproject_geometries
from geoservice.tiles.tms import TileAddress, tile_bounds, tms_crs
from tests.conftest import fill_store


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


TILE_LAYERS = ("district", "farmland_grid", "villages", "tourist_routes")


@pytest.fixture(scope="session")
def sample_layers():
    """A few sample layers (1 km farmland cells keep it quick), built once."""
    from geoservice.sampledata import build_sample_layers

    layers = build_sample_layers(farmland_cell_m=1000)
    return {k: v for k, v in layers.items() if k in TILE_LAYERS}


@pytest.fixture
def tiles_settings(store_kind, settings_for, catalog_dirs, sample_layers, request):
    """Settings over a store holding the sample tile layers (each backend in turn)."""
    layers_dir, styles_dir = catalog_dirs
    overrides = getattr(request, "param", {})
    settings = settings_for(store_kind, layers_dir=layers_dir, styles_dir=styles_dir, **overrides)
    fill_store(settings, sample_layers)
    return settings


@pytest.fixture
def client(tiles_settings):
    """A TestClient (lifespan running) over the sample tile layers."""
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(tiles_settings)) as c:
        yield c
