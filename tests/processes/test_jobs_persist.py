"""Job records outlive the app; jobs cut off by a stop are reported as failed."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.processes.jobs import JobRecord, JobStore

COVERAGE = {
    "facilities": {"collection": "logistics", "filter": "placement_method <> 'rule:symbolic'"},
    "demand": {"collection": "villages"},
    "distance_m": 3000,
}


def test_a_restarted_service_still_lists_jobs_and_serves_results(sample_settings, editor):
    with TestClient(create_app(sample_settings)) as first:
        r = first.post("/processes/coverage/execution", json={"inputs": COVERAGE}, headers=editor)
        assert r.status_code == 200
        job_id = first.get("/jobs", headers=editor).json()["jobs"][0]["jobID"]
    with TestClient(create_app(sample_settings)) as second:
        jobs = second.get("/jobs", headers=editor).json()["jobs"]
        assert [j["jobID"] for j in jobs] == [job_id]
        assert jobs[0]["status"] == "successful"
        results = second.get(f"/jobs/{job_id}/results").json()
        assert second.get(results["demand"]["href"]).status_code == 200


def test_a_job_whose_worker_died_is_failed_at_start(sample_settings):
    jobs = JobStore(sample_settings.jobs_db_path)
    jobs.create(JobRecord(job_id="deadbeef", process_id="coverage", status="running",
                          owner="nohost-that-is-this:1:abc", inputs={}))  # fmt: skip
    jobs.close()
    # an owner on this host whose process is gone
    import socket

    jobs = JobStore(sample_settings.jobs_db_path)
    jobs.create(JobRecord(job_id="cafebabe", process_id="coverage", status="running",
                          owner=f"{socket.gethostname()}:999999:abc", inputs={}))  # fmt: skip
    jobs.close()
    with TestClient(create_app(sample_settings)) as client:
        status = client.get("/jobs/cafebabe").json()
        assert status["status"] == "failed"
        assert "stopped before this job finished" in status["message"]
        # another machine's job cannot be judged from here: left as it is
        assert client.get("/jobs/deadbeef").json()["status"] == "running"


def test_the_cli_runs_a_process_and_records_the_job(sample_settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from geoservice.cli import app

    for key, value in {
        "GEOSERVICE_DATA_DIR": sample_settings.data_dir,
        "GEOSERVICE_GPKG_PATH": sample_settings.store_path,
        "GEOSERVICE_LAYERS_DIR": sample_settings.layers_dir,
        "GEOSERVICE_STYLES_DIR": sample_settings.styles_dir,
    }.items():
        monkeypatch.setenv(key, str(value))
    if sample_settings.database_url is not None:
        monkeypatch.setenv(
            "GEOSERVICE_DATABASE_URL", sample_settings.database_url.get_secret_value()
        )
    args = [
        "analyse", "coverage", "--facilities", "logistics",
        "--facilities-filter", "placement_method <> 'rule:symbolic'", "--demand", "villages",
        "--distance-m", "3000", "--out-layer", "villages_logistics_cover",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "villages_logistics_cover" in result.output and '"covered_features": 7' in result.output
    declared = sample_settings.runtime_layers_dir / "dongsheng" / "villages_logistics_cover.yaml"
    assert declared.is_file()  # declared under the data directory, in the area of its inputs
    jobs = JobStore(sample_settings.jobs_db_path)
    (record,) = jobs.list()
    jobs.close()
    assert record.status == "successful" and record.author == "geoservice analyse"
    assert json.dumps(record.results).count("villages_logistics_cover") >= 2
    bad = CliRunner().invoke(app, ["analyse", "coverage", "--facilities", "logistics"])
    assert bad.exit_code == 1 and "demand" in bad.output


def test_the_same_failing_job_is_recorded_alike_from_http_and_the_cli(
    sample_settings, editor, monkeypatch
):
    """Jobs record the domain error; HTTP shows it as 400 whoever ran it."""
    from typer.testing import CliRunner

    from geoservice.cli import app

    # unfiltered tourism clusters share points: Voronoi cells need distinct ones
    inputs = {
        "facilities": {"collection": "tourism_clusters"},
        "boundary": {"collection": "district", "filter": "is_study_area = true"},
    }
    with TestClient(create_app(sample_settings)) as client:
        r = client.post(
            "/processes/voronoi-catchments/execution", json={"inputs": inputs}, headers=editor
        )
        assert r.status_code == 400
    for key, value in {
        "GEOSERVICE_DATA_DIR": sample_settings.data_dir,
        "GEOSERVICE_GPKG_PATH": sample_settings.store_path,
        "GEOSERVICE_LAYERS_DIR": sample_settings.layers_dir,
        "GEOSERVICE_STYLES_DIR": sample_settings.styles_dir,
    }.items():
        monkeypatch.setenv(key, str(value))
    if sample_settings.database_url is not None:
        monkeypatch.setenv(
            "GEOSERVICE_DATABASE_URL", sample_settings.database_url.get_secret_value()
        )
    args = ["analyse", "voronoi-catchments", "--facilities", "tourism_clusters",
            "--boundary", "district", "--boundary-filter", "is_study_area = true"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 1
    jobs = JobStore(sample_settings.jobs_db_path)
    cli_job, http_job = jobs.list()  # newest first
    jobs.close()
    assert cli_job.author == "geoservice analyse" and http_job.author != cli_job.author
    assert cli_job.status == http_job.status == "failed"
    assert cli_job.error == http_job.error
    with TestClient(create_app(sample_settings)) as client:
        for job in (cli_job, http_job):
            status = client.get(f"/jobs/{job.job_id}").json()
            assert status["exception"]["status"] == 400
            assert client.get(f"/jobs/{job.job_id}/results").status_code == 400
