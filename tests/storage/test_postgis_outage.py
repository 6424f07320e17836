"""A PostgreSQL restart under a running service: 503 + Retry-After meanwhile, then back.

Clients used to get 500s after waiting 30 s on the pool, ``/healthz`` stayed 200
and nothing said the database was gone. The test stops and starts a private
cluster of its own (never the shared server) under a live app.
"""

from __future__ import annotations

import shutil
import time

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from geoservice.app import create_app
from geoservice.catalog.infer import infer_layer
from geoservice.catalog.loader import write_layer_file
from geoservice.settings import Settings
from tests.conftest import ROOT, create_key, fill_store
from tests.pg_cluster import PrivateCluster

pytestmark = pytest.mark.postgis

ITEMS = "/collections/sites/items?limit=5"
TILE = "/collections/sites/tiles/WebMercatorQuad/10/{row}/{col}"


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster, started; removed after the test."""
    server = PrivateCluster()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def outage_settings(cluster, tmp_path) -> Settings:
    """Settings over a store in the private cluster holding one point layer."""
    layers_dir, styles_dir = tmp_path / "layers", tmp_path / "styles"
    layers_dir.mkdir()
    shutil.copytree(ROOT / "styles", styles_dir)
    frame = gpd.GeoDataFrame(
        {"name": [f"site {i}" for i in range(20)]},
        geometry=[Point(110 + i * 0.01, 39.5) for i in range(20)],
        crs="EPSG:4326",
    )
    write_layer_file(infer_layer("sites", frame), layers_dir)
    settings = Settings(
        layers_dir=layers_dir,
        styles_dir=styles_dir,
        data_dir=tmp_path / "data",
        database_url=cluster.create_database("gs"),
        db_probe_interval_s=0.2,
        db_pool_timeout_s=5,
    )
    fill_store(settings, {"sites": frame})
    return settings


def tile_path() -> str:
    from geoservice.tiles.tms import get_tms

    tile = get_tms("WebMercatorQuad").tile(110.05, 39.5, 10)
    return TILE.format(row=tile.y, col=tile.x)


def wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def new_site(i: int) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [110.5, 39.6 + i / 100]},
        "properties": {"name": f"new {i}"},
    }


def test_a_restart_answers_503_meanwhile_and_recovers_without_restarting_the_service(
    cluster, outage_settings
):
    editor = {"Authorization": f"Bearer {create_key(outage_settings, 'editor', 'ed')}"}
    with TestClient(create_app(outage_settings)) as client:
        store = client.app.state.runtime.store
        assert client.get(ITEMS).status_code == 200
        assert client.get(tile_path()).status_code == 200
        assert client.get("/readyz").json()["status"] == "ready"

        cluster.stop()

        first = client.get(ITEMS)
        assert first.status_code == 503
        assert first.json()["code"] == "StoreUnavailable"
        assert int(first.headers["Retry-After"]) >= 1
        assert store.outage.down
        # While the database is known to be away nothing queues on the pool.
        asked = store.pool.get_stats().get("requests_num", 0)
        for path in (ITEMS, "/collections/sites/items/1", tile_path(), "/collections/sites"):
            answer = client.get(path)
            if path == "/collections/sites":  # the catalogue answers without the store
                assert answer.status_code in (200, 503)
                continue
            assert answer.status_code == 503, path
            assert "Retry-After" in answer.headers
        write = client.post(
            "/collections/sites/items",
            json=new_site(1),
            headers={**editor, "Content-Type": "application/geo+json"},
        )
        assert write.status_code == 503
        assert store.pool.get_stats().get("requests_num", 0) == asked
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["down"] == ["store"]
        assert ready.json()["parts"]["keys"]["status"] == "up"
        assert "Retry-After" in ready.headers
        assert client.get("/healthz").status_code == 200  # alive: do not restart it

        cluster.start()

        assert wait_for(lambda: client.get("/readyz").status_code == 200)
        assert client.get(ITEMS).json()["numberMatched"] == 20
        assert client.get(tile_path()).status_code == 200
        write = client.post(
            "/collections/sites/items",
            json=new_site(2),
            headers={**editor, "Content-Type": "application/geo+json"},
        )
        assert write.status_code == 201
        assert client.get(ITEMS).json()["numberMatched"] == 21  # the refused write left nothing
        versions = client.app.state.runtime.tiles.vector.versions
        assert wait_for(lambda: versions.pushed)  # notifications are back too


def test_a_dead_server_found_by_a_pool_wait_trips_the_outage_once(cluster, tmp_path):
    from geoservice.errors import StoreUnavailable
    from geoservice.storage.postgis import PostGISStore

    store = PostGISStore(
        cluster.create_database("gs"), pool_size=2, pool_timeout_s=1, probe_interval_s=0.2
    )
    try:
        assert store.layer_ids() == []
        cluster.stop(mode="immediate")
        store.pool.check()  # the idle connections are found dead and dropped
        with pytest.raises(StoreUnavailable) as waited:
            store.layer_ids()  # nothing idle: waits on the pool while connecting fails
        assert waited.value.retry_after_s == pytest.approx(0.2)
        assert store.outage.down
        asked = store.pool.get_stats().get("requests_num", 0)
        with pytest.raises(StoreUnavailable):
            store.layer_ids()  # refused without waiting on the pool again
        assert store.pool.get_stats().get("requests_num", 0) == asked
        cluster.start()
        assert wait_for(lambda: not store.outage.down)
        assert store.layer_ids() == []
    finally:
        store.close()
