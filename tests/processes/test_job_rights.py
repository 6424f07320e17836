"""Jobs belong to the key that started them; result collections need the rights of a layer.

Identities: anonymous, a reader, an editor limited to one layer, two editors for
every layer, an admin. A key sees and dismisses its own jobs; only an admin sees
and dismisses everyone's. A key limited to some layers creates no new result
collection (a new layer) and replaces only result layers in its scope.
"""

from __future__ import annotations

import pytest

from tests.conftest import create_key
from tests.processes.test_processes_api import COVERAGE, execute


@pytest.fixture
def keys(sample_settings) -> dict[str, dict[str, str]]:
    def bearer(role: str, name: str, layers: tuple[str, ...] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_key(sample_settings, role, name, layers)}"}

    return {
        "anonymous": {},
        "reader": bearer("reader", "viewer"),
        "scoped": bearer("editor", "villages-only", ("villages",)),
        "editor": bearer("editor", "analyst"),
        "other": bearer("editor", "other analyst"),
        "admin": bearer("admin", "gis admin"),
    }


def _job_ids(client, headers) -> set[str]:
    return {j["jobID"] for j in client.get("/jobs", headers=headers).json()["jobs"]}


def test_a_job_is_listed_to_its_key_and_to_admins_only(client, keys):
    r = execute(client, keys["editor"], "coverage", {**COVERAGE, "out_layer": "mine"})
    assert r.status_code == 200, r.text
    theirs = execute(client, keys["other"], "coverage", {**COVERAGE, "out_layer": "theirs"})
    assert theirs.status_code == 200
    mine_ids, their_ids = _job_ids(client, keys["editor"]), _job_ids(client, keys["other"])
    assert len(mine_ids) == len(their_ids) == 1 and not mine_ids & their_ids
    assert _job_ids(client, keys["admin"]) == mine_ids | their_ids
    assert _job_ids(client, keys["anonymous"]) == set()
    assert _job_ids(client, keys["reader"]) == set()
    (job_id,) = mine_ids
    assert client.get(f"/jobs/{job_id}").status_code == 200  # readable by its id


@pytest.mark.parametrize("who", ["other", "scoped"])
def test_another_keys_job_cannot_be_dismissed_and_its_layers_stay(client, keys, who):
    r = execute(client, keys["editor"], "coverage", {**COVERAGE, "out_layer": "kept"})
    assert r.status_code == 200
    (job_id,) = _job_ids(client, keys["editor"])
    refused = client.delete(f"/jobs/{job_id}", headers=keys[who])
    assert refused.status_code == 403 and "another key" in refused.json()["description"]
    assert client.get("/collections/kept/items").status_code == 200
    assert client.delete(f"/jobs/{job_id}", headers=keys["reader"]).status_code == 403
    assert client.delete(f"/jobs/{job_id}").status_code == 401
    assert client.get(f"/jobs/{job_id}").json()["status"] == "successful"


def test_an_admin_may_dismiss_anyones_job(client, keys):
    execute(client, keys["editor"], "coverage", {**COVERAGE, "out_layer": "gone"})
    (job_id,) = _job_ids(client, keys["editor"])
    assert client.delete(f"/jobs/{job_id}", headers=keys["admin"]).status_code == 200
    assert client.get("/collections/gone").status_code == 404


def test_a_key_limited_to_layers_creates_no_new_result_collection(client, keys):
    named = execute(client, keys["scoped"], "coverage", {**COVERAGE, "out_layer": "new_scoped"})
    assert named.status_code == 403 and "villages-only" in named.json()["description"]
    assert client.get("/collections/new_scoped").status_code == 404
    assert _job_ids(client, keys["scoped"]) == set()  # refused before it was queued
    unnamed = {k: v for k, v in COVERAGE.items() if k != "out_layer"}
    r = execute(client, keys["scoped"], "coverage", unnamed)  # a default result name
    assert r.status_code == 403 and "new layer" in r.json()["description"]
    (job_id,) = _job_ids(client, keys["scoped"])
    status = client.get(f"/jobs/{job_id}").json()
    assert status["status"] == "failed" and status["exception"]["status"] == 403
    assert [c["id"] for c in client.get("/collections").json()["collections"]
            if c["id"].startswith("coverage_")] == []  # fmt: skip


def test_replacing_a_result_collection_needs_edit_rights_on_it(client, keys):
    assert execute(client, keys["editor"], "coverage", {**COVERAGE, "out_layer": "shared"})
    r = execute(client, keys["scoped"], "coverage", {**COVERAGE, "out_layer": "shared"})
    assert r.status_code == 403
    versions = client.get("/collections/shared/versions").json()["versions"]
    assert len(versions) == 1  # untouched
    again = execute(client, keys["other"], "coverage", {**COVERAGE, "out_layer": "shared"})
    assert again.status_code == 200  # an editor for every layer may


def test_a_job_file_from_before_owners_still_opens(tmp_path):
    import sqlite3

    from geoservice.processes.jobs import SCHEMA, JobStore

    old = SCHEMA.replace(", owner_key TEXT NOT NULL DEFAULT ''", "")
    with sqlite3.connect(tmp_path / "jobs.sqlite") as db:
        db.executescript(old)
        db.execute(
            "INSERT INTO jobs (job_id, process_id, status, created, updated, inputs, owner) "
            "VALUES ('j1', 'coverage', 'successful', 't', 't', '{}', 'h:1:x')"
        )
    jobs = JobStore(tmp_path / "jobs.sqlite")
    (record,) = jobs.list()
    assert record.job_id == "j1" and record.owner_key == ""  # listed to admins only
    jobs.close()


def test_running_and_dismissing_a_job_are_audited_with_the_job_and_its_key(
    client, keys, sample_settings
):
    import json

    from geoservice.audit import AuditLog

    execute(client, keys["editor"], "coverage", {**COVERAGE, "out_layer": "audited"})
    (job_id,) = _job_ids(client, keys["editor"])
    client.delete(f"/jobs/{job_id}", headers=keys["other"])
    records = AuditLog(sample_settings.audit_log_path).tail(2)
    ran, refused = records
    assert (ran["route"], ran["job"], ran["key_name"], ran["status"]) == (
        "/processes/{processId}/execution", job_id, "analyst", 200,
    )  # fmt: skip
    assert (refused["method"], refused["job"], refused["key_name"], refused["status"]) == (
        "DELETE", job_id, "other analyst", 403,
    )  # fmt: skip
    log = sample_settings.audit_log_path.read_text(encoding="utf-8")
    assert all(h["Authorization"].split()[1] not in log for h in keys.values() if h)
    assert json.loads(log.splitlines()[-1])["role"] == "editor"
