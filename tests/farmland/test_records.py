"""Wardens record patrols and incidents in their own cells; incidents keep a versioned trail."""

from __future__ import annotations

import json

from tests.farmland import fixture
from tests.farmland.conftest import auth


def _patrol(cell: str, **extra) -> dict:
    return {
        "patrol_date": "2026-11-03",
        "geometry": fixture.cell_point(cell),
        "findings": "未见异常",
        **extra,
    }


def _incident(cell: str, category: str = "撂荒") -> dict:
    return {"category": category, "geometry": fixture.cell_point(cell), "description": "测试"}


def test_warden_records_a_patrol_in_its_own_cell(farmland_client):
    r = farmland_client.post(
        "/farmland/patrols", json=_patrol(fixture.A1), headers=auth(farmland_client, "warden")
    )
    assert r.status_code == 201, r.text
    assert r.json()["cell_code"] == fixture.A1
    items = farmland_client.get("/collections/farmland_patrols/items").json()["features"]
    (patrol,) = items
    assert patrol["properties"]["warden"] == "测试网格员"
    assert patrol["properties"]["unit_code"] == fixture.TOWN_A
    assert patrol["properties"]["placement_method"] == "device_gps"


def test_warden_is_refused_outside_its_cells(farmland_client):
    headers = auth(farmland_client, "warden")
    for path, body in (
        ("/farmland/patrols", _patrol(fixture.A2)),
        ("/farmland/incidents", _incident(fixture.B1)),
    ):
        r = farmland_client.post(path, json=body, headers=headers)
        assert r.status_code == 403, r.text
        assert "own cells" in r.text
    # naming its own cell for a position elsewhere is not a way round
    r = farmland_client.post(
        "/farmland/patrols", json=_patrol(fixture.A2, cell_code=fixture.A1), headers=headers
    )
    assert r.status_code == 400
    assert farmland_client.get("/collections/farmland_patrols/items").status_code == 404


def test_warden_key_cannot_edit_other_layers(farmland_client):
    feature = {"type": "Feature", "geometry": fixture.cell_point(fixture.A1), "properties": {}}
    r = farmland_client.post(
        "/collections/farmland_register/items",
        json=feature,
        headers=auth(farmland_client, "warden"),
    )
    assert r.status_code == 403
    assert "warden" in r.text


def test_reader_key_cannot_record(farmland_client):
    r = farmland_client.post(
        "/farmland/patrols", json=_patrol(fixture.A1), headers=auth(farmland_client, "reader")
    )
    assert r.status_code == 403


def test_editor_records_anywhere(farmland_client):
    r = farmland_client.post(
        "/farmland/incidents",
        json=_incident(fixture.B1, "挖沙"),
        headers=auth(farmland_client, "editor"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["cell_code"] == fixture.B1


def test_bad_incident_inputs_are_4xx_naming_the_field(farmland_client):
    headers = auth(farmland_client, "warden")
    cases = [
        ({**_incident(fixture.A1), "category": "偷菜"}, "category"),
        (
            {
                **_incident(fixture.A1),
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            },
            "geometry",
        ),
        (
            {**_incident(fixture.A1), "geometry": {"type": "Point", "coordinates": [100.0, 30.0]}},
            "no farmland grid cell",
        ),
        ({**_incident(fixture.A1), "placement_method": "guess"}, "placement_method"),
    ]
    for body, word in cases:
        r = farmland_client.post("/farmland/incidents", json=body, headers=headers)
        assert r.status_code == 400, (body, r.text)
        assert word in r.text
    r = farmland_client.post(
        "/farmland/patrols", json=_patrol(fixture.A1, patrol_date="2026-13-01"), headers=headers
    )
    assert r.status_code == 400 and "patrol_date" in r.text


def test_incident_status_history_is_complete_and_versioned(farmland_client):
    warden, editor = auth(farmland_client, "warden"), auth(farmland_client, "editor")
    r = farmland_client.post(
        "/farmland/incidents", json=_incident(fixture.A1, "建房"), headers=warden
    )
    incident_id, fid = r.json()["incident_id"], r.json()["id"]
    steps = [
        ("verified", editor, "测试监管人"),
        ("rectified", warden, "测试网格员"),
        ("closed", editor, "测试监管人"),
    ]
    versions = [r.json()["version"]]
    for status, headers, _ in steps:
        r = farmland_client.post(
            f"/farmland/incidents/{incident_id}/status",
            json={"status": status, "note": f"测试{status}"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        versions.append(r.json()["version"])
    assert versions == sorted(versions) and len(set(versions)) == 4
    item = farmland_client.get(f"/collections/farmland_incidents/items/{fid}").json()
    history = json.loads(item["properties"]["status_history"])
    assert [(h["status"], h["by"]) for h in history] == [
        ("reported", "测试网格员"),
        *((s, who) for s, _, who in steps),
    ]
    assert all(h["at"] for h in history)
    assert item["properties"]["status"] == "closed"
    # each earlier version still holds the status it had then
    for version, status in zip(
        versions, ["reported", "verified", "rectified", "closed"], strict=True
    ):
        old = farmland_client.get(f"/collections/farmland_incidents/items/{fid}?version={version}")
        assert old.json()["properties"]["status"] == status
    # no skipping, no going back, nothing after closed, no deleting
    r = farmland_client.post(
        f"/farmland/incidents/{incident_id}/status", json={"status": "verified"}, headers=editor
    )
    assert r.status_code == 409
    r = farmland_client.delete(f"/collections/farmland_incidents/items/{fid}", headers=editor)
    assert r.status_code == 409
    assert farmland_client.get(f"/collections/farmland_incidents/items/{fid}").status_code == 200


def test_status_cannot_skip_a_step(farmland_client):
    warden = auth(farmland_client, "warden")
    r = farmland_client.post("/farmland/incidents", json=_incident(fixture.A1), headers=warden)
    incident_id = r.json()["incident_id"]
    r = farmland_client.post(
        f"/farmland/incidents/{incident_id}/status", json={"status": "closed"}, headers=warden
    )
    assert r.status_code == 409 and "verified" in r.text


def test_warden_cannot_move_an_incident_in_another_cell(farmland_client):
    r = farmland_client.post(
        "/farmland/incidents", json=_incident(fixture.B1), headers=auth(farmland_client, "editor")
    )
    incident_id = r.json()["incident_id"]
    r = farmland_client.post(
        f"/farmland/incidents/{incident_id}/status",
        json={"status": "verified"},
        headers=auth(farmland_client, "warden"),
    )
    assert r.status_code == 403


def test_feature_edits_cannot_rewrite_an_incidents_trail(farmland_client):
    warden, editor = auth(farmland_client, "warden"), auth(farmland_client, "editor")
    r = farmland_client.post("/farmland/incidents", json=_incident(fixture.A1), headers=warden)
    url = r.headers["location"]
    patch = {**editor, "Content-Type": "application/merge-patch+json"}
    r = farmland_client.patch(url, json={"properties": {"status": "closed"}}, headers=patch)
    assert r.status_code == 409 and "status" in r.text
    r = farmland_client.patch(url, json={"properties": {"description": "补充说明"}}, headers=patch)
    assert r.status_code == 204, r.text
    item = farmland_client.get(url).json()["properties"]
    assert (item["status"], item["description"]) == ("reported", "补充说明")
