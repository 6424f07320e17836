"""OGC API Processes over HTTP: discovery, sync and async execution, jobs, errors."""

from __future__ import annotations

import pytest

from tests.conftest import create_key
from tests.processes.conftest import wait_for

CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf"
BUSINESS_CIRCLES = {"collection": "commercial_districts", "filter": "category = 'business_circle'"}
PLACED_LOGISTICS = {"collection": "logistics", "filter": "placement_method <> 'rule:symbolic'"}
COVERAGE = {
    "facilities": PLACED_LOGISTICS,
    "demand": {"collection": "villages"},
    "distance_m": 3000,
    "out_layer": "villages_cover_test",
}


def execute(client, headers, process_id, inputs, *, prefer=None):
    extra = {"Prefer": prefer} if prefer else {}
    return client.post(
        f"/processes/{process_id}/execution", json={"inputs": inputs}, headers={**headers, **extra}
    )


def test_processes_are_listed_and_described(client):
    listed = client.get("/processes").json()["processes"]
    ids = {p["id"] for p in listed}
    assert {
        "coverage", "isochrones", "nearest-facility", "voronoi-catchments", "huff",
        "accessibility-2sfca", "siting-mclp", "siting-p-median", "farmland-grid",
        "farmland-grid-check", "indicators",
    } <= ids  # fmt: skip
    doc = client.get("/processes/coverage").json()
    assert doc["jobControlOptions"] == ["sync-execute", "async-execute", "dismiss"]
    assert doc["inputs"]["facilities"]["minOccurs"] == 1
    assert doc["inputs"]["distance_m"]["minOccurs"] == 0
    assert doc["inputs"]["facilities"]["schema"]["oneOf"][0]["required"] == ["collection"]
    assert "demand" in doc["outputs"] and "summary" in doc["outputs"]
    conformance = client.get("/conformance").json()["conformsTo"]
    for cls in ("core", "json", "ogc-process-description", "job-list", "dismiss"):
        assert f"{CONF}/{cls}" in conformance


def test_unknown_process_and_job_are_404(client, editor):
    r = client.get("/processes/nope")
    assert r.status_code == 404 and r.json()["code"] == "NoSuchProcess"
    assert execute(client, editor, "nope", {}).status_code == 404
    assert client.get("/jobs/0123").status_code == 404
    assert client.get("/jobs/0123/results").status_code == 404
    assert client.delete("/jobs/0123", headers=editor).status_code == 404


def test_sync_coverage_answers_with_results_and_a_readable_collection(client, editor):
    r = execute(client, editor, "coverage", COVERAGE)
    assert r.status_code == 200, r.text
    results = r.json()
    assert results["demand"]["collection"] == "villages_cover_test"
    assert results["summary"]["features"] == 20
    items = client.get(results["demand"]["href"], params={"limit": 100}).json()
    assert len(items["features"]) == 20
    shares = {f["properties"]["covered_share"] for f in items["features"]}
    assert shares <= {0.0, 1.0}
    collection = client.get("/collections/villages_cover_test").json()
    assert collection["id"] == "villages_cover_test"
    reach = client.get(results["reach"]["href"]).json()
    assert reach["features"] and reach["features"][0]["geometry"]["type"] == "Polygon"


def test_async_job_moves_to_successful_with_progress(client, editor):
    r = execute(client, editor, "coverage", COVERAGE, prefer="respond-async")
    assert r.status_code == 201, r.text
    assert r.headers["Preference-Applied"] == "respond-async"
    job_id = r.json()["jobID"]
    assert r.headers["Location"].endswith(f"/jobs/{job_id}")
    assert r.json()["status"] in ("accepted", "running", "successful")
    status, seen = wait_for(client, job_id)
    assert status["status"] == "successful" and status["progress"] == 100
    assert set(seen) <= {"accepted", "running", "successful"}
    assert any(link["rel"].endswith("/results") for link in status["links"])
    results = client.get(f"/jobs/{job_id}/results").json()
    assert client.get(results["demand"]["href"]).status_code == 200


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"demand": {"collection": "villages"}, "distance_m": 3000}, ["facilities", "required"]),
        ({**COVERAGE, "distance_m": "far"}, ["distance_m"]),
        ({**COVERAGE, "distance_m": -5}, ["distance_m", "greater than 0"]),
        ({**COVERAGE, "minutes": 10}, ["distance_m", "minutes", "exactly one"]),
        ({**COVERAGE, "colour": "red"}, ["colour", "not an input"]),
        ({**COVERAGE, "facilities": 3}, ["facilities", "collection"]),
        ({**COVERAGE, "facilities": {"collection": "nope"}}, ["facilities", "nope", "not found"]),
        (
            {**COVERAGE, "facilities": {"collection": "logistics", "filter": "code =="}},
            ["facilities", "filter"],
        ),
        ({**COVERAGE, "out_layer": "Bad Name"}, ["out_layer"]),
        ({**COVERAGE, "distance_m": None, "minutes": 10}, ["roads", "minutes"]),
    ],
    ids=[
        "missing",
        "type",
        "range",
        "both",
        "unknown",
        "shape",
        "collection",
        "cql",
        "id",
        "roads",
    ],
)
def test_bad_inputs_are_400_naming_the_input_and_rule(client, editor, inputs, words):
    r = execute(client, editor, "coverage", inputs)
    assert r.status_code == 400, r.text
    message = r.json()["description"]
    for word in words:
        assert word in message, message
    assert client.get("/jobs").json()["jobs"] == []  # nothing was queued


def test_a_source_layer_is_never_overwritten(client, editor):
    r = execute(client, editor, "coverage", {**COVERAGE, "out_layer": "villages"})
    assert r.status_code == 409, r.text
    assert client.get("/collections/villages/items").json()["features"]


def test_a_failed_job_reports_its_error_in_the_status(client, editor):
    # unfiltered tourism clusters share points: Voronoi cells need distinct ones
    inputs = {
        "facilities": {"collection": "tourism_clusters"},
        "boundary": {"collection": "district", "filter": "is_study_area = true"},
    }
    r = execute(client, editor, "voronoi-catchments", inputs, prefer="respond-async")
    status, _ = wait_for(client, r.json()["jobID"])
    assert status["status"] == "failed"
    assert "distinct" in status["message"]
    assert status["exception"]["status"] == 400
    results = client.get(f"/jobs/{status['jobID']}/results")
    assert results.status_code == 400 and "distinct" in results.json()["description"]
    sync = execute(client, editor, "voronoi-catchments", inputs)
    assert sync.status_code == 400 and sync.json()["details"]["jobID"]


def test_jobs_are_listed_and_dismissed_with_their_collections(client, editor):
    first = execute(client, editor, "coverage", {**COVERAGE, "out_layer": "to_dismiss"})
    assert first.status_code == 200
    jobs = client.get("/jobs", headers=editor).json()["jobs"]
    assert len(jobs) == 1 and jobs[0]["processID"] == "coverage"
    assert client.get("/jobs", params={"processID": "huff"}, headers=editor).json()["jobs"] == []
    job_id = jobs[0]["jobID"]
    assert client.delete(f"/jobs/{job_id}").status_code == 401
    r = client.delete(f"/jobs/{job_id}", headers=editor)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get("/jobs", headers=editor).json()["jobs"] == []
    assert client.get("/collections/to_dismiss").status_code == 404
    assert client.get("/collections/to_dismiss_reach/items").status_code == 404


def test_execution_needs_an_editor_key(client, sample_settings):
    reader = create_key(sample_settings, "reader", "viewer")
    assert execute(client, {}, "coverage", COVERAGE).status_code == 401
    r = execute(client, {"X-API-Key": reader}, "coverage", COVERAGE)
    assert r.status_code == 403
