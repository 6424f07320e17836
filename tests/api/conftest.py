"""An app over a temporary store holding the CQL2 test dataset, on each backend."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.catalog.infer import declared_types, infer_layer
from geoservice.catalog.loader import write_layer_file
from tests.conftest import ROOT, fill_store
from tests.storage.conftest import CQL2_DATA

PLACES = "ne_110m_populated_places_simple"
COUNTRIES = "ne_110m_admin_0_countries"


@pytest.fixture
def api_settings(store_kind, tmp_path, settings_for):
    """Settings whose catalogue and store hold the three CQL2 test layers."""
    layers_dir, styles_dir = tmp_path / "layers", tmp_path / "styles"
    layers_dir.mkdir()
    shutil.copytree(ROOT / "styles", styles_dir)
    frames = {}
    for name in pyogrio.list_layers(CQL2_DATA)[:, 0]:
        frames[name] = gpd.read_file(CQL2_DATA, layer=name)
        info = pyogrio.read_info(CQL2_DATA, layer=name)
        types = declared_types(info["fields"], info["dtypes"])
        write_layer_file(infer_layer(name, frames[name], types=types), layers_dir)
    settings = settings_for(store_kind, layers_dir=layers_dir, styles_dir=styles_dir)
    fill_store(settings, frames)
    return settings


@pytest.fixture
def client(api_settings):
    """A TestClient with the lifespan running."""
    with TestClient(create_app(api_settings)) as c:
        yield c
