"""The record layers ship empty: served as empty collections, filled by feature edits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geoservice.farmland.records import create_empty_record_layers
from tests.conftest import create_key, fill_store
from tests.farmland import fixture

RECORD_LAYERS = [
    "farmland_assessment",
    "farmland_incidents",
    "farmland_patrols",
    "farmland_register",
]


@pytest.fixture
def bare_settings(store_kind, settings_for, catalog_dirs):
    """A store with the fixture grid only: no register, no records."""
    layers_dir, styles_dir = catalog_dirs
    settings = settings_for(store_kind, layers_dir=layers_dir, styles_dir=styles_dir)
    units, cells = fixture.unit_frames()
    fill_store(settings, {"farmland_grid_units": units, "farmland_grid": cells})
    return settings


def test_record_layers_are_created_empty_once_and_then_edited(bare_settings):
    from geoservice.app import create_app
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    catalog = load_catalog(bare_settings.layers_dir, bare_settings.styles_dir)
    store = open_store(bare_settings)
    try:
        assert sorted(create_empty_record_layers(store, catalog, "dongsheng")) == RECORD_LAYERS
        assert create_empty_record_layers(store, catalog, "dongsheng") == []  # never twice
    finally:
        store.close()
    editor = {"X-API-Key": create_key(bare_settings, "editor", "测试")}
    with TestClient(create_app(bare_settings)) as client:
        for layer_id in RECORD_LAYERS:
            page = client.get(f"/collections/{layer_id}/items")
            assert page.status_code == 200 and page.json()["features"] == []
        entry = {
            "type": "Feature",
            "geometry": fixture.cell_point(fixture.A1),
            "properties": {
                "entry_id": "R1",
                "grid_code": fixture.A1,
                "grid_level": 3,
                "role": "网格员",
                "person_name": "测试",
                "source": fixture.SYNTHETIC,
                "geometry_quality": "approximate",
                "placement_method": "grid_point",
            },
        }
        r = client.post("/collections/farmland_register/items", json=entry, headers=editor)
        assert r.status_code == 201, r.text
        body = {"category": "撂荒", "geometry": fixture.cell_point(fixture.A1)}
        assert client.post("/farmland/incidents", json=body, headers=editor).status_code == 201
        doc = client.get(f"/farmland/maps/{fixture.TOWN_A}/{fixture.A1}?f=json").json()
        assert [r["name"] for r in doc["responsible"] if r["role"] == "网格员"] == ["测试"]
