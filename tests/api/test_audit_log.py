"""Every write request leaves one audit record: who, what, when, from where, outcome.

Refused writes (no key, a wrong key, a reader's key) are recorded as well as done
ones; the key itself never appears in the log, only its id, name and role.
"""

from __future__ import annotations

import json

import pytest

from geoservice.audit import AuditLog, AuditRecord
from tests.api.test_write_routes_need_keys import write_routes
from tests.conftest import create_key

LAYER = "ne_110m_populated_places_simple"
FIELDS = {
    "time", "request_id", "client", "key_id", "key_name", "role",
    "method", "route", "path", "layer", "job", "status",
}  # fmt: skip


def _records(settings) -> list[dict]:
    path = settings.audit_log_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_write_route_refused_or_not_leaves_one_record_with_who_and_what(client, api_settings):
    reader = create_key(api_settings, "reader", "audit-reader")
    routes = write_routes(client.app)
    assert len(routes) >= 8
    for method, path in routes:
        for headers, who, status in (
            ({}, None, 401),
            ({"Authorization": "Bearer gsk_nope_nope"}, None, 401),
            ({"X-API-Key": reader}, "audit-reader", 403),
        ):
            before = len(_records(api_settings))
            r = client.request(method, path, headers=headers)
            assert r.status_code == status, (method, path)
            records = _records(api_settings)
            assert len(records) == before + 1, (method, path)
            record = records[-1]
            assert set(record) == FIELDS
            assert (record["method"], record["path"], record["status"]) == (method, path, status)
            assert record["route"].count("/") == path.count("/") > 0
            assert record["key_name"] == who
            assert record["role"] == ("reader" if who else None)
            assert record["request_id"] == r.headers["x-request-id"]
            assert record["client"] == "testclient"
            assert record["time"].endswith("Z")
    assert reader not in api_settings.audit_log_path.read_text(encoding="utf-8")


def test_a_done_write_records_the_key_role_layer_and_status_but_never_the_key(client, api_settings):
    key = create_key(api_settings, "editor", "王工")
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
               "properties": {"name": "audit"}}  # fmt: skip
    r = client.post(
        f"/collections/{LAYER}/items",
        json=feature,
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": "req-42"},
    )
    assert r.status_code == 201, r.text
    record = _records(api_settings)[-1]
    assert record["key_name"] == "王工"
    assert record["role"] == "editor"
    assert record["key_id"] and record["key_id"] not in ("", key)
    assert record["method"] == "POST"
    assert record["route"] == "/collections/{collectionId}/items"
    assert record["layer"] == LAYER
    assert record["status"] == 201
    assert record["request_id"] == r.headers["x-request-id"] == "req-42"
    assert key not in api_settings.audit_log_path.read_text(encoding="utf-8")


def test_reads_are_not_recorded(client, api_settings):
    client.get(f"/collections/{LAYER}/items")
    client.head(f"/collections/{LAYER}")
    assert _records(api_settings) == []


def test_a_request_id_that_is_not_sane_is_replaced(client, api_settings):
    r = client.post("/collections", headers={"X-Request-Id": "x" * 500})
    assert r.headers["x-request-id"] != "x" * 500
    assert _records(api_settings)[-1]["request_id"] == r.headers["x-request-id"]


def test_admins_read_the_log_over_http_and_no_one_else(client, api_settings):
    admin = create_key(api_settings, "admin", "audit-admin")
    reader = create_key(api_settings, "reader", "audit-reader")
    client.delete(f"/collections/{LAYER}")  # refused: no key
    assert client.get("/admin/audit").status_code == 401
    assert client.get("/admin/audit", headers={"X-API-Key": reader}).status_code == 403
    r = client.get("/admin/audit", params={"limit": 1}, headers={"X-API-Key": admin})
    assert r.status_code == 200
    (record,) = r.json()["records"]
    assert (record["method"], record["status"], record["layer"]) == ("DELETE", 401, LAYER)


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        time=AuditRecord.now(), request_id=f"r{i}", client="127.0.0.1", key_id=None,
        key_name=None, role=None, method="POST", route="/collections", path="/collections",
        layer=None, job=None, status=401,
    )  # fmt: skip


def test_the_log_is_rotated_and_bounded(tmp_path):
    log = AuditLog(tmp_path / "audit" / "writes.jsonl", max_bytes=2000, keep=2)
    for i in range(200):
        log.append(_record(i))
    files = sorted(p.name for p in (tmp_path / "audit").iterdir())
    assert files == ["writes.jsonl", "writes.jsonl.1", "writes.jsonl.2"]
    assert all(p.stat().st_size <= 2000 for p in (tmp_path / "audit").iterdir())
    tail = log.tail(5)
    assert [r["request_id"] for r in tail] == [f"r{i}" for i in range(195, 200)]


@pytest.mark.parametrize("n", [1, 3])
def test_tail_reads_across_rotated_files_in_order(tmp_path, n):
    log = AuditLog(tmp_path / "writes.jsonl", max_bytes=600, keep=3)
    for i in range(6):
        log.append(_record(i))
    assert [r["request_id"] for r in log.tail(n)] == [f"r{i}" for i in range(6 - n, 6)]


def test_the_audit_tail_command_prints_the_last_records_without_keys(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from geoservice.cli import app
    from geoservice.settings import Settings

    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path))
    log = AuditLog(Settings().audit_log_path)
    for i in range(3):
        log.append(_record(i))
    out = CliRunner().invoke(app, ["audit", "tail", "-n", "2"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 2
    assert "[r1]" in lines[0] and "[r2]" in lines[1]
    assert "401" in lines[1] and "no valid key" in lines[1]
    as_json = CliRunner().invoke(app, ["audit", "tail", "-n", "1", "--json"])
    assert json.loads(as_json.output)["request_id"] == "r2"


def test_a_full_disk_under_the_log_does_not_change_the_answer(client, monkeypatch):
    import errno

    def full(self, record):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(AuditLog, "append", full)
    r = client.post("/collections")
    assert r.status_code == 401
    assert r.json()["code"] == "Unauthorized"
