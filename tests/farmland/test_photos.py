"""Photo attachments: accepted photos are kept and listed; anything else is refused and not kept."""

from __future__ import annotations

import json

import pytest

from tests.farmland import fixture
from tests.farmland.conftest import auth

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def incident(farmland_client):
    body = {"category": "堆放固体物", "geometry": fixture.cell_point(fixture.A1)}
    r = farmland_client.post(
        "/farmland/incidents", json=body, headers=auth(farmland_client, "warden")
    )
    return r.json()


def _stored(settings) -> list:
    folder = settings.farmland_photos_dir
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_photo_is_kept_and_listed_on_the_incident(farmland_client, farmland_settings, incident):
    url = f"/farmland/incidents/{incident['incident_id']}/photos"
    headers = {**auth(farmland_client, "warden"), "Content-Type": "image/png"}
    r = farmland_client.post(url, content=PNG, headers=headers)
    assert r.status_code == 201, r.text
    name = r.json()["file"]
    assert _stored(farmland_settings) == [name]
    item = farmland_client.get(f"/collections/farmland_incidents/items/{incident['id']}").json()
    (photo,) = json.loads(item["properties"]["photos"])
    assert photo["media_type"] == "image/png" and photo["bytes"] == len(PNG)
    got = farmland_client.get(f"{url}/{name}")
    assert got.content == PNG and got.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("image/gif", b"GIF89a" + b"\x00" * 10, 415),
        ("text/html", b"<script>alert(1)</script>", 415),
        ("image/jpeg", PNG, 415),  # declared JPEG, is a PNG
        ("image/png", b"<svg onload=alert(1)>", 415),
        ("image/png", b"", 400),
    ],
)
def test_wrong_photo_types_are_refused_and_not_kept(
    farmland_client, farmland_settings, incident, content_type, body, status
):
    url = f"/farmland/incidents/{incident['incident_id']}/photos"
    headers = {**auth(farmland_client, "warden"), "Content-Type": content_type}
    r = farmland_client.post(url, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert _stored(farmland_settings) == []
    item = farmland_client.get(f"/collections/farmland_incidents/items/{incident['id']}").json()
    assert json.loads(item["properties"]["photos"]) == []


def test_oversize_photos_are_refused_and_not_kept(farmland_client, farmland_settings, incident):
    limit = farmland_settings.farmland.photo_max_bytes
    url = f"/farmland/incidents/{incident['incident_id']}/photos"
    headers = {**auth(farmland_client, "warden"), "Content-Type": "image/jpeg"}
    r = farmland_client.post(url, content=JPEG + b"\x00" * limit, headers=headers)
    assert r.status_code == 413, r.text

    def chunks():  # no Content-Length: the limit is met while reading
        yield JPEG
        for _ in range(limit // 65536 + 1):
            yield b"\x00" * 65536

    r = farmland_client.post(url, content=chunks(), headers=headers)
    assert r.status_code == 413, r.text
    assert _stored(farmland_settings) == []


def test_photo_of_another_cells_incident_is_refused(farmland_client, farmland_settings):
    body = {"category": "取土", "geometry": fixture.cell_point(fixture.B1)}
    r = farmland_client.post(
        "/farmland/incidents", json=body, headers=auth(farmland_client, "editor")
    )
    url = f"/farmland/incidents/{r.json()['incident_id']}/photos"
    headers = {**auth(farmland_client, "warden"), "Content-Type": "image/png"}
    assert farmland_client.post(url, content=PNG, headers=headers).status_code == 403
    assert _stored(farmland_settings) == []


def test_photo_names_cannot_leave_the_photo_folder(farmland_client, incident):
    url = f"/farmland/incidents/{incident['incident_id']}/photos/..%2F..%2Fkeys.sqlite"
    assert farmland_client.get(url).status_code == 404
