"""A layer created through one worker is served by the others (they share the data
directory, where run-time layers are declared; the curated layers/ is never written)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from geoservice.app import create_app
from tests.ingest.conftest import auth, post_file
from tests.ingest.files import shapefile_zip, towns_frame


def test_other_workers_see_created_and_deleted_layers(client, ingest_settings, keys, tmp_path):
    with TestClient(create_app(ingest_settings)) as other:
        assert other.get("/collections/towns_b").status_code == 404
        path = shapefile_zip(tmp_path, towns_frame())
        r = post_file(client, "/collections", path, keys["admin"], id="towns_b", key="code")
        assert r.status_code == 201, r.text
        declared = ingest_settings.runtime_layers_dir / "dongsheng" / "towns_b.yaml"
        assert declared.exists()
        assert not list(ingest_settings.layers_dir.rglob("towns_b.yaml"))
        assert other.get("/collections/towns_b").status_code == 200
        assert other.get("/collections/towns_b/items").json()["numberReturned"] == 4
        r = other.delete("/collections/towns_b", headers=auth(keys["admin"]))
        assert r.status_code == 204
        assert client.get("/collections/towns_b").status_code == 404
        assert not declared.exists()


def test_creating_an_existing_layer_is_a_conflict(client, keys, tmp_path):
    path = shapefile_zip(tmp_path, towns_frame())
    r = post_file(client, "/collections", path, keys["admin"], id="towns")
    assert r.status_code == 409 and "uploads" in r.json()["description"]
