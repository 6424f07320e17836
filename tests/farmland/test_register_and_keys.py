"""The register is kept with ordinary versioned edits; warden keys carry their cells."""

from __future__ import annotations

import sqlite3

import pytest

from geoservice.auth.keys import KeyStore, Principal
from geoservice.errors import InvalidParameter
from tests.farmland import fixture
from tests.farmland.conftest import auth


def _entry(**props) -> dict:
    base = {
        "entry_id": "R9",
        "grid_code": fixture.A2,
        "grid_level": 3,
        "role": "网格员",
        "person_name": "测试新人",
        "phone": "000-0000-0009",
        "source": fixture.SYNTHETIC,
        "geometry_quality": "approximate",
        "placement_method": "grid_point",
    }
    return {
        "type": "Feature",
        "geometry": fixture.cell_point(fixture.A2),
        "properties": {**base, **props},
    }


def test_register_is_maintained_with_versioned_edits_and_shown_escaped(farmland_client):
    editor = auth(farmland_client, "editor")
    hostile = "<script>alert(1)</script>"
    r = farmland_client.post(
        "/collections/farmland_register/items", json=_entry(person_name=hostile), headers=editor
    )
    assert r.status_code == 201, r.text
    page = farmland_client.get(f"/farmland/maps/{fixture.TOWN_A}/{fixture.A2}")
    assert hostile not in page.text and "&lt;script&gt;" in page.text
    r = farmland_client.patch(
        r.headers["location"],
        json={"properties": {"phone": "000-1"}},
        headers={**editor, "Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 204, r.text
    doc = farmland_client.get(f"/farmland/maps/{fixture.TOWN_A}/{fixture.A2}?f=json").json()
    (row,) = [x for x in doc["responsible"] if x["name"]]
    assert (row["role"], row["phone"]) == ("网格员", "000-1")
    versions = farmland_client.get("/collections/farmland_register/versions").json()
    assert len(versions["versions"]) == 3  # the fixture, the new entry, the new phone


def test_unknown_roles_are_refused_by_the_register_schema(farmland_client):
    r = farmland_client.post(
        "/collections/farmland_register/items",
        json=_entry(role="村长"),
        headers=auth(farmland_client, "editor"),
    )
    assert r.status_code in (400, 422)
    assert "role" in r.text


def test_map_tables_list_registered_people_and_blank_rows_for_missing_roles(farmland_client):
    doc = farmland_client.get(f"/farmland/maps/{fixture.TOWN_A}/{fixture.A1}?f=json").json()
    rows = [(r["role"], r["name"]) for r in doc["responsible"]]
    assert rows == [("监督人", ""), ("监管人", ""), ("网格员", "测试网格员")]
    unit = farmland_client.get(f"/farmland/maps/{fixture.TOWN_A}?f=json").json()
    named = {(r["grid_code"], r["role"], r["name"]) for r in unit["responsible"] if r["name"]}
    assert named == {
        (fixture.TOWN_A, "总监督人", "测试甲一"),
        (fixture.TOWN_A, "总监管人", "测试甲二"),
        (fixture.A1, "网格员", "测试网格员"),
    }


def test_warden_keys_need_cells_and_only_wardens_take_them(tmp_path):
    keys = KeyStore(tmp_path / "keys.sqlite")
    with pytest.raises(InvalidParameter, match="cells"):
        keys.create("warden", "w")
    with pytest.raises(InvalidParameter, match="cells"):
        keys.create("editor", "e", cells=("x",))
    _, key = keys.create("warden", "w", cells=(fixture.TOWN_B,))
    assert keys.verify(key).cells == (fixture.TOWN_B,)
    keys.close()


def test_a_unit_code_covers_its_cells_only():
    warden = Principal("k", "w", "warden", cells=(fixture.TOWN_A,))
    assert warden.covers_cell(fixture.A1)
    assert not warden.covers_cell(fixture.B1)
    assert not warden.covers_cell(fixture.TOWN_A + "9-004407-000413")
    assert Principal("k", "e", "editor").covers_cell(fixture.B1)
    assert not Principal("k", "r", "reader").covers_cell(fixture.B1)


def test_key_files_from_before_warden_keys_still_work(tmp_path):
    path = tmp_path / "keys.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, "
        "layers TEXT NOT NULL DEFAULT '[]', secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, "
        "revoked_at TEXT)"
    )
    old.commit()
    old.close()
    keys = KeyStore(path)
    _, key = keys.create("editor", "e")
    assert keys.verify(key).cells == ()
    assert [k.name for k in keys.list()] == ["e"]
    keys.close()


def test_admin_creates_a_warden_key_over_http(farmland_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app
    from tests.conftest import create_key

    admin = create_key(farmland_settings, "admin", "测试管理员")
    with TestClient(create_app(farmland_settings)) as client:
        r = client.post(
            "/keys",
            json={"role": "warden", "name": "乙", "cells": [fixture.TOWN_B]},
            headers={"X-API-Key": admin},
        )
        assert r.status_code == 201, r.text
        body = {"patrol_date": "2025-11-01", "geometry": fixture.cell_point(fixture.B1)}
        r2 = client.post("/farmland/patrols", json=body, headers={"X-API-Key": r.json()["key"]})
        assert r2.status_code == 201, r2.text
        body["geometry"] = fixture.cell_point(fixture.A1)
        r3 = client.post("/farmland/patrols", json=body, headers={"X-API-Key": r.json()["key"]})
        assert r3.status_code == 403
