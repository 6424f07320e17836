"""An app over the synthetic farmland fixture, on both stores, with warden and editor keys."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import create_key, fill_store
from tests.farmland import fixture


@pytest.fixture
def farmland_settings(store_kind, settings_for, catalog_dirs):
    """Settings over a store holding the fixture's grid and register (no records yet)."""
    layers_dir, styles_dir = catalog_dirs
    settings = settings_for(store_kind, layers_dir=layers_dir, styles_dir=styles_dir)
    units, cells = fixture.unit_frames()
    frames = {
        "farmland_grid_units": units,
        "farmland_grid": cells,
        "farmland_register": fixture.register_frame(cells),
    }
    fill_store(settings, frames)
    return settings


@pytest.fixture
def farmland_client(farmland_settings):
    """A client of the app (lifespan run) plus its keys: warden of cell A1, editor, reader."""
    from geoservice.app import create_app

    keys = {
        "warden": create_key_cells(farmland_settings, "测试网格员", (fixture.A1,)),
        "editor": create_key(farmland_settings, "editor", "测试监管人"),
        "reader": create_key(farmland_settings, "reader", "测试读者"),
    }
    with TestClient(create_app(farmland_settings)) as client:
        client.keys = keys
        yield client


def create_key_cells(settings, name: str, cells: tuple[str, ...]) -> str:
    """Create a warden key limited to ``cells``; return the plain key."""
    from geoservice.auth.keys import KeyStore

    keys = KeyStore(settings.api_keys_path)
    try:
        return keys.create("warden", name, cells=cells)[1]
    finally:
        keys.close()


def auth(client, who: str) -> dict:
    """Return the header carrying ``who``'s key."""
    return {"X-API-Key": client.keys[who]}


@pytest.fixture
def farmland_domain(farmland_settings):
    """The fixture's store and catalogue, for calling the domain directly."""
    from geoservice.catalog.loader import load_catalog
    from geoservice.storage import open_store

    catalog = load_catalog(farmland_settings.layers_dir, farmland_settings.styles_dir)
    store = open_store(farmland_settings)
    try:
        yield store, catalog
    finally:
        store.close()
