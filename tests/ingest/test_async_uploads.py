"""Uploads as jobs: an answer at once, progress while it runs, cancellable."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.ingest import IngestOptions, Upload, ingest
from geoservice.ingest.workdir import held_folder
from geoservice.processes.upload_jobs import submit_upload
from tests.ingest.conftest import auth, snapshot
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection

UPLOAD = "/collections/towns/uploads"
ASYNC = {"Prefer": "respond-async"}


def send(client, url, path, key, headers=None, **fields):
    with path.open("rb") as f:
        return client.post(
            url,
            files={"file": (path.name, f, "application/geo+json")},
            data={k: str(v) for k, v in fields.items()},
            headers={**auth(key), **(headers or {})},
        )


def towns(tmp_path, count=30, name="towns.geojson"):
    return feature_collection(tmp_path, name, [town_feature(i) for i in range(count)])


def finished(client, location: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    path = location.removeprefix("http://testserver")
    while time.monotonic() < deadline:
        status = client.get(path).json()
        if status["status"] not in ("accepted", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {location} did not finish")


def test_prefer_respond_async_answers_with_a_job_whose_results_are_the_report(
    client, keys, tmp_path
):
    r = send(client, UPLOAD, towns(tmp_path), keys["editor"], headers=ASYNC)

    assert r.status_code == 202, r.text
    assert r.headers["Preference-Applied"] == "respond-async"
    status = finished(client, r.headers["Location"])
    assert status["status"] == "successful", status
    assert status["processID"] == "upload"
    assert any(link["href"].endswith("/collections/towns") for link in status["links"])
    report = client.get(r.headers["Location"].removeprefix("http://testserver") + "/results")
    body = report.json()
    assert body["accepted"] and body["feature_count"] == 30 and body["version"]["version"] == 2
    assert body["links"][0]["href"] == "http://testserver/collections/towns"
    versions, items = snapshot(client, "towns")
    assert (2, 30) in versions and len(items) == 30


def test_a_large_file_runs_as_a_job_without_being_asked(ingest_settings, keys, tmp_path):
    settings = ingest_settings.model_copy(
        update={"uploads": ingest_settings.uploads.model_copy(update={"async_above_bytes": 1})}
    )
    with TestClient(create_app(settings)) as client:
        r = send(client, UPLOAD, towns(tmp_path), keys["editor"])

        assert r.status_code == 202 and "Preference-Applied" not in r.headers
        assert finished(client, r.headers["Location"])["status"] == "successful"


def test_a_refused_upload_job_fails_with_the_report_and_stores_nothing(client, keys, tmp_path):
    before = snapshot(client, "towns")
    bad = towns(tmp_path, count=3)
    bad.write_text(bad.read_text().replace('"t00001"', '"t00000"'))  # a duplicate key

    r = send(client, UPLOAD, bad, keys["editor"], headers=ASYNC)
    status = finished(client, r.headers["Location"])
    results = client.get(r.headers["Location"].removeprefix("http://testserver") + "/results")

    assert status["status"] == "failed"
    assert results.status_code == 422
    assert "key-duplicate" in results.text
    assert snapshot(client, "towns") == before


def test_a_new_layer_upload_job_declares_the_layer_when_done(client, keys, tmp_path):
    r = send(client, "/collections", towns(tmp_path), keys["admin"], headers=ASYNC, id="towns_job")

    assert r.status_code == 202, r.text
    assert finished(client, r.headers["Location"])["status"] == "successful"
    assert client.get("/collections/towns_job/items").json()["numberMatched"] == 30


def test_bad_options_are_refused_before_a_job_is_made(client, keys, tmp_path):
    r = send(client, UPLOAD, towns(tmp_path), keys["editor"], headers=ASYNC, mode="merge")

    assert r.status_code == 400
    jobs = client.get("/jobs", headers=auth(keys["editor"])).json()["jobs"]
    assert jobs == []


@pytest.fixture
def runtime(client):
    return client.app.state.runtime


def job_ingest(runtime, settings, path, progress_hook):
    """An upload of ``path`` to 'towns' as the route makes it, with a progress hook."""
    catalog = runtime.catalog.catalog()

    def run(progress):
        def both(done, total):
            progress_hook(done, total)
            progress(done, total)

        return ingest(
            Upload(path, path.name),
            store=runtime.store,
            catalog=catalog,
            limits=settings.uploads.model_copy(update={"batch_features": 10}),
            options=IngestOptions(author="tester"),
            layer=catalog.get("towns"),
            progress=both,
        )

    return run


def test_job_status_shows_the_features_read_checked_and_written(
    client, runtime, ingest_settings, tmp_path
):
    folder = held_folder(ingest_settings.uploads.work_dir, "gs-upload-")
    path = towns(tmp_path, count=40)
    halfway, go_on = threading.Event(), threading.Event()

    def hook(done, total):
        if done == 20:
            halfway.set()
            go_on.wait(30)

    submitted = submit_upload(
        runtime.jobs,
        folder=folder,
        collection="towns",
        file=path.name,
        run_ingest=job_ingest(runtime, ingest_settings, path, hook),
        results=lambda outcome: outcome.report.as_dict(),
        author="tester",
        owner_key="",
    )
    assert halfway.wait(30)
    time.sleep(0.6)  # progress is recorded at most every 0.5 s for the same percent
    status = client.get(f"/jobs/{submitted.record.job_id}").json()
    go_on.set()
    submitted.future.result(30)

    assert status["status"] == "running"
    assert status["message"] in ("10 of 40 features read, checked and written",
                                 "20 of 40 features read, checked and written")  # fmt: skip
    assert status["progress"] in (25, 50)
    assert not folder.path.exists()  # the job released the received file


def test_a_cancelled_upload_job_stores_nothing(client, runtime, ingest_settings, tmp_path):
    before = snapshot(client, "towns")
    folder = held_folder(ingest_settings.uploads.work_dir, "gs-upload-")
    path = towns(tmp_path, count=40)
    started, dismissed = threading.Event(), threading.Event()

    def hook(done, total):
        started.set()
        dismissed.wait(30)

    submitted = submit_upload(
        runtime.jobs,
        folder=folder,
        collection="towns",
        file=path.name,
        run_ingest=job_ingest(runtime, ingest_settings, path, hook),
        results=lambda outcome: outcome.report.as_dict(),
        author="tester",
        owner_key="",
    )
    assert started.wait(30)
    job_id = submitted.record.job_id
    gone = client.delete(f"/jobs/{job_id}", headers=auth_admin(client))
    dismissed.set()
    submitted.future.result(30)

    assert gone.status_code == 200 and gone.json()["status"] == "dismissed"
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert snapshot(client, "towns") == before
    assert not folder.path.exists()


def auth_admin(client) -> dict[str, str]:
    from tests.conftest import create_key

    return auth(create_key(client.app.state.runtime.settings, "admin", "canceller"))
