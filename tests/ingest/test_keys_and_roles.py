"""API keys: roles, layer scopes, revocation, hashed storage, the CLI and reading with keys."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geoservice.app import create_app
from geoservice.auth.keys import KeyStore
from geoservice.cli import app as cli
from tests.conftest import create_key
from tests.ingest.conftest import auth, post_file
from tests.ingest.files import shapefile_zip, towns_frame


def test_editor_may_upload_but_not_create_layers(client, keys, tmp_path):
    path = shapefile_zip(tmp_path, towns_frame())
    r = post_file(client, "/collections", path, keys["editor"], id="newone")
    assert r.status_code == 403 and "admin" in r.json()["description"]
    r = post_file(client, "/collections/towns/uploads", path, keys["editor"])
    assert r.status_code == 201


def test_x_api_key_header_works_and_reader_cannot_write(client, keys, tmp_path):
    path = shapefile_zip(tmp_path, towns_frame())
    with path.open("rb") as f:
        r = client.post(
            "/collections/towns/uploads",
            files={"file": (path.name, f)},
            headers={"X-API-Key": keys["reader"]},
        )
    assert r.status_code == 403


def test_a_key_limited_to_other_layers_is_refused(client, ingest_settings, tmp_path):
    key = create_key(ingest_settings, "editor", "district-only", ("district",))
    r = post_file(client, "/collections/towns/uploads", shapefile_zip(tmp_path, towns_frame()), key)
    assert r.status_code == 403 and "district" in r.json()["description"]


def test_revoked_keys_stop_working_at_once(client, keys):
    r = client.post("/keys", json={"role": "editor", "name": "temp"}, headers=auth(keys["admin"]))
    assert r.status_code == 201
    created = r.json()
    assert client.delete(f"/keys/{created['id']}", headers=auth(keys["admin"])).status_code == 204
    r = client.delete("/collections/towns/items/1", headers=auth(created["key"]))
    assert r.status_code == 401
    listed = client.get("/keys", headers=auth(keys["admin"])).json()["keys"]
    assert any(k["id"] == created["id"] and k["revoked"] for k in listed)
    assert client.get("/keys", headers=auth(keys["editor"])).status_code == 403
    assert client.get("/keys").status_code == 401


def test_keys_are_stored_hashed(ingest_settings, keys):
    with sqlite3.connect(ingest_settings.api_keys_path) as db:
        stored = " ".join(str(v) for row in db.execute("SELECT * FROM api_keys") for v in row)
    for key in keys.values():
        assert key.split("_", 2)[2] not in stored


def test_reading_can_require_a_key(ingest_settings, keys):
    settings = ingest_settings.model_copy(
        update={"api": ingest_settings.api.model_copy(update={"read_requires_key": True})}
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/collections").status_code == 401
        assert c.get("/healthz").status_code == 200
        assert c.get("/collections", headers=auth(keys["reader"])).status_code == 200


def test_cli_creates_a_key_on_its_last_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["keys", "create", "--role", "editor", "--name", "ana"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    store = KeyStore(tmp_path / "keys.sqlite")
    principal = store.verify(key)
    assert principal is not None and principal.role == "editor" and principal.name == "ana"
    result = CliRunner().invoke(cli, ["keys", "revoke", principal.key_id])
    assert result.exit_code == 0
    assert store.verify(key) is None
    store.close()


def test_cli_takes_role_and_name_as_words_as_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["keys", "create", "admin", "王工"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    store = KeyStore(tmp_path / "keys.sqlite")
    principal = store.verify(key)
    store.close()
    assert principal is not None and principal.role == "admin" and principal.name == "王工"


def test_cli_refuses_a_role_given_twice_differently(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["keys", "create", "admin", "--role", "editor"])
    assert result.exit_code == 2
    assert "given twice" in result.output
