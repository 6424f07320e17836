"""A GeoPackage that is locked, gone or damaged: 503 with Retry-After, never a 500.

Writes wait ``gpkg_busy_timeout_s`` for another writer's lock (an upload, another
process), then give up; a file deleted, made unreadable or damaged under a
running service is reported as the store being unavailable, and ``/readyz``
names it. Nothing is created or changed on the way.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from geoservice.app import create_app
from geoservice.catalog.infer import infer_layer
from geoservice.catalog.loader import write_layer_file
from geoservice.errors import StoreUnavailable
from geoservice.settings import Settings
from geoservice.storage.base import FeatureQuery
from geoservice.storage.geopackage import GeoPackageStore
from tests.conftest import ROOT, create_key, fill_store

FRAME = gpd.GeoDataFrame(
    {"name": ["a", "b", "c"]},
    geometry=[Point(110, 39), Point(110.1, 39.1), Point(110.2, 39.2)],
    crs="EPSG:4326",
)
LAYER = infer_layer("sites", FRAME)


def in_new_thread(func):
    """Run ``func`` in a thread of its own (a fresh connection); return or raise its outcome."""
    outcome = {}

    def run():
        try:
            outcome["value"] = func()
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def gpkg_settings(tmp_path) -> Settings:
    layers_dir, styles_dir = tmp_path / "layers", tmp_path / "styles"
    layers_dir.mkdir()
    shutil.copytree(ROOT / "styles", styles_dir)
    write_layer_file(LAYER, layers_dir)
    settings = Settings(
        layers_dir=layers_dir,
        styles_dir=styles_dir,
        data_dir=tmp_path / "data",
        gpkg_path=tmp_path / "data" / "store.gpkg",
        gpkg_busy_timeout_s=0.2,
    )
    fill_store(settings, {"sites": FRAME})
    return settings


def test_a_write_blocked_by_another_writer_is_a_503_with_retry_after(gpkg_settings):
    editor = {"Authorization": f"Bearer {create_key(gpkg_settings, 'editor', 'ed')}"}
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [110.5, 39.5]},
        "properties": {"name": "d"},
    }
    with TestClient(create_app(gpkg_settings)) as client:
        other = sqlite3.connect(gpkg_settings.store_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing
        try:
            blocked = client.post(
                "/collections/sites/items",
                json=feature,
                headers={**editor, "Content-Type": "application/geo+json"},
            )
            assert blocked.status_code == 503
            assert blocked.json()["code"] == "StoreUnavailable"
            assert "store.gpkg is locked" in blocked.json()["description"]
            assert int(blocked.headers["Retry-After"]) >= 1
            assert (
                client.get("/collections/sites/items").json()["numberMatched"] == 3
            )  # reads go on
        finally:
            other.execute("ROLLBACK")
            other.close()
        done = client.post(
            "/collections/sites/items",
            json=feature,
            headers={**editor, "Content-Type": "application/geo+json"},
        )
        assert done.status_code == 201


def test_a_deleted_store_file_is_unavailable_and_not_recreated_empty(tmp_path):
    path = tmp_path / "store.gpkg"
    store = GeoPackageStore(path)
    store.write(LAYER, FRAME, author="test")
    for leftover in tmp_path.glob("store.gpkg*"):
        leftover.unlink()
    with pytest.raises(StoreUnavailable) as gone:
        in_new_thread(lambda: store.query(LAYER, FeatureQuery(limit=5)))
    assert "cannot be opened" in gone.value.message
    assert not path.exists()
    with pytest.raises(StoreUnavailable):
        store.check_health()
    store.close()


def test_readyz_names_a_damaged_store_while_healthz_stays_up(gpkg_settings):
    with TestClient(create_app(gpkg_settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["parts"]["store"]["status"] == "up"
        assert {"store", "keys", "jobs"} <= set(ready.json()["parts"])
        garbage = gpkg_settings.store_path.with_name("garbage")
        garbage.write_bytes(b"not a database, not at all" * 1000)
        garbage.replace(gpkg_settings.store_path)  # a bad copy put in its place
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["down"] == ["store"]
        assert "Retry-After" in ready.headers
        assert client.get("/healthz").status_code == 200
