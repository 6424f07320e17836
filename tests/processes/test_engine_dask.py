"""engine=dask over HTTP: same results as engine=local, progress, a registered collection."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.processes.jobs import JobStore
from geoservice.settings import ScaleSettings
from tests.processes.conftest import wait_for
from tests.processes.test_processes_api import PLACED_LOGISTICS, execute

Z_Y_X = "12/1553/3299"  # OGC order: tileMatrix/tileRow/tileCol
CELLS = {"collection": "farmland_grid"}
SMALL_CLUSTER = ScaleSettings(
    local_workers=2, local_processes=False, worker_memory="1GiB", partition_features=100
)


@pytest.fixture
def client(sample_settings):
    settings = sample_settings.model_copy(update={"scale": SMALL_CLUSTER})
    with TestClient(create_app(settings)) as c:
        yield c


def _items(client, collection, key):
    page = client.get(f"/collections/{collection}/items", params={"limit": 10000}).json()
    return {f["properties"][key]: f["properties"] for f in page["features"]}


def test_coverage_on_dask_equals_local_and_registers_its_collection(client, editor):
    inputs = {"facilities": PLACED_LOGISTICS, "demand": CELLS, "distance_m": 3000}
    local = execute(client, editor, "coverage", {**inputs, "out_layer": "cover_local"})
    dask = execute(
        client, editor, "coverage", {**inputs, "out_layer": "cover_dask", "engine": "dask"}
    )
    assert local.status_code == dask.status_code == 200, dask.text
    summary = dask.json()["summary"]
    assert summary["engine"] == "dask" and summary["partitions"] > 1
    ours, theirs = _items(client, "cover_dask", "code"), _items(client, "cover_local", "code")
    assert ours.keys() == theirs.keys() and len(ours) > 100
    for k, row in theirs.items():
        assert ours[k]["covered_share"] == pytest.approx(row["covered_share"])
    assert client.get("/collections/cover_dask").status_code == 200
    assert client.get("/collections/cover_dask/tiles").status_code == 200
    for layer in ("cover_local", "cover_dask"):  # a vector tile over a Dongsheng cell
        tile = client.get(f"/collections/{layer}/tiles/WebMercatorQuad/{Z_Y_X}")
        assert tile.status_code == 200 and tile.content, layer


def test_a_successful_dask_job_removes_its_partitions_once_the_result_is_stored(
    client, editor, sample_settings
):
    inputs = {"facilities": PLACED_LOGISTICS, "demand": CELLS, "distance_m": 3000}
    r = execute(
        client,
        editor,
        "coverage",
        {**inputs, "out_layer": "cover_cleaned", "engine": "dask"},
        prefer="respond-async",
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    status, _ = wait_for(client, job_id)
    assert status["status"] == "successful", status
    summary = client.get(f"/jobs/{job_id}/results").json()["summary"]
    assert summary["partitions"] > 1  # parts were written under data/scale/<job> ...
    assert not (sample_settings.scale_dir / job_id).exists()  # ... and are gone
    assert client.get("/collections/cover_cleaned").status_code == 200


def _first(client, collection):
    page = client.get(f"/collections/{collection}/items", params={"limit": 1}).json()
    return page["features"][0]["properties"]


def test_nearest_on_dask_equals_local(client, editor):
    inputs = {"demand": CELLS, "facilities": PLACED_LOGISTICS}
    local = execute(client, editor, "nearest-facility", {**inputs, "out_layer": "near_local"})
    dask = execute(
        client, editor, "nearest-facility", {**inputs, "out_layer": "near_dask", "engine": "dask"}
    )
    assert local.status_code == dask.status_code == 200, dask.text
    ours, theirs = _items(client, "near_dask", "code"), _items(client, "near_local", "code")
    assert ours.keys() == theirs.keys()
    for k, row in theirs.items():
        assert ours[k]["facility"] == row["facility"]
        assert ours[k]["distance_m"] == pytest.approx(row["distance_m"])


def test_async_region_grid_job_reports_progress_and_registers_the_grid(client, editor, monkeypatch):
    reported = []
    original = JobStore.progress

    def record(self, job_id, percent, message):
        reported.append((percent, message))
        return original(self, job_id, percent, message)

    monkeypatch.setattr(JobStore, "progress", record)
    inputs = {
        "boundary": {"collection": "district", "filter": "is_study_area = true"},
        "units": {"collection": "streets_towns"},
        "unit_key": "code",
        "cell_m": 2000,
        "facilities": PLACED_LOGISTICS,
        "distance_m": 5000,
        "out_layer": "grid_2km",
    }
    r = execute(client, editor, "region-grid", inputs, prefer="respond-async")
    assert r.status_code == 201, r.text
    status, _ = wait_for(client, r.json()["jobID"])
    assert status["status"] == "successful", status
    results = client.get(f"/jobs/{status['jobID']}/results").json()
    summary = results["summary"]
    assert summary["engine"] == "dask" and summary["cells"] > 100
    assert results["cells"]["numberOfFeatures"] == summary["cells"]
    cell = _first(client, "grid_2km")
    assert {"cell_id", "code", "covered_share"} <= set(cell)
    assert "units" in summary["coverage"]
    grid_steps = [p for p, m in reported if m == "building the grid"]
    cover_steps = [p for p, m in reported if m == "measuring coverage"]
    assert len(grid_steps) > 1 and grid_steps == sorted(grid_steps)
    assert cover_steps and max(cover_steps) > min(cover_steps)


def test_engine_dask_with_a_raster_surface_is_a_clear_400(client, editor):
    inputs = {
        "facilities": PLACED_LOGISTICS,
        "demand": CELLS,
        "distance_m": 3000,
        "raster_cell_m": 500,
        "engine": "dask",
    }
    r = execute(client, editor, "coverage", inputs)
    assert r.status_code == 400 and "engine" in r.text


def test_the_cli_runs_on_the_scheduler_it_is_given(sample_settings, monkeypatch):
    from distributed import LocalCluster
    from typer.testing import CliRunner

    from geoservice.cli import app

    for key, value in {
        "GEOSERVICE_DATA_DIR": sample_settings.data_dir,
        "GEOSERVICE_GPKG_PATH": sample_settings.store_path,
        "GEOSERVICE_LAYERS_DIR": sample_settings.layers_dir,
        "GEOSERVICE_STYLES_DIR": sample_settings.styles_dir,
        "GEOSERVICE_SCALE__PARTITION_FEATURES": 100,
    }.items():
        monkeypatch.setenv(key, str(value))
    if sample_settings.database_url is not None:
        monkeypatch.setenv(
            "GEOSERVICE_DATABASE_URL", sample_settings.database_url.get_secret_value()
        )
    with LocalCluster(
        n_workers=2, processes=False, protocol="tcp://", dashboard_address=":0"
    ) as cluster:
        args = [
            "analyse", "nearest-facility", "--demand", "farmland_grid",
            "--facilities", "logistics", "--out-layer", "grid_nearest",
            "--engine", "dask", "--scheduler", cluster.scheduler_address,
        ]  # fmt: skip
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"engine": "dask"' in result.output and cluster.scheduler_address in result.output
    assert "grid_nearest" in result.output


def _residents(n_side: int = 20) -> dict:
    """Synthetic demand points over Dongsheng with seeded whole-number residents (not real)."""
    import numpy as np

    rng = np.random.default_rng(5)
    features = [
        {
            "type": "Feature",
            "properties": {"pid": f"p{i}-{j}", "residents": int(rng.integers(0, 500))},
            "geometry": {"type": "Point", "coordinates": [109.78 + 0.02 * i, 39.62 + 0.02 * j]},
        }
        for i in range(n_side)
        for j in range(n_side)
    ]
    return {"type": "FeatureCollection", "features": features}


def test_2sfca_on_dask_equals_local_and_stores_both_layers(client, editor):
    inputs = {
        "demand": _residents(),
        "supply": PLACED_LOGISTICS,
        "population_column": "residents",
        "distance_m": 8000,
    }
    local = execute(client, editor, "accessibility-2sfca", {**inputs, "out_layer": "acc_local"})
    dask = execute(
        client,
        editor,
        "accessibility-2sfca",
        {**inputs, "out_layer": "acc_dask", "engine": "dask"},
    )
    assert local.status_code == dask.status_code == 200, dask.text
    summary, expected = dask.json()["summary"], local.json()["summary"]
    assert summary["engine"] == "dask" and summary["partitions"] > 1
    assert summary["mean_access"] == pytest.approx(expected["mean_access"])
    assert summary["population_without_access"] == expected["population_without_access"]
    ours, theirs = _items(client, "acc_dask", "pid"), _items(client, "acc_local", "pid")
    assert ours.keys() == theirs.keys() and len(ours) == 400
    assert any(row["access"] > 0 for row in theirs.values())
    for k, row in theirs.items():
        assert ours[k]["access"] == pytest.approx(row["access"], rel=1e-12), k
        assert ours[k]["facilities_in_reach"] == row["facilities_in_reach"]
    ours, theirs = (
        _items(client, "acc_dask_supply", "code"),
        _items(client, "acc_local_supply", "code"),
    )
    for k, row in theirs.items():
        assert ours[k]["catchment_population"] == row["catchment_population"]


def test_2sfca_over_roads_with_engine_dask_is_a_clear_400(client, editor):
    inputs = {
        "demand": _residents(3),
        "supply": PLACED_LOGISTICS,
        "population_column": "residents",
        "minutes": 10,
        "roads": {"collection": "roads"},
        "engine": "dask",
    }
    r = execute(client, editor, "accessibility-2sfca", inputs)
    assert r.status_code == 400 and "engine" in r.text and "minutes" in r.text


def test_farmland_grid_on_dask_equals_local(client, editor):
    units = {"collection": "farmland_grid_units", "filter": "level = 2"}
    local = execute(client, editor, "farmland-grid", {"units": units, "cell_m": 1000})
    dask = execute(
        client, editor, "farmland-grid", {"units": units, "cell_m": 1000, "engine": "dask"}
    )
    assert local.status_code == dask.status_code == 200, dask.text
    summary, expected = dask.json()["summary"], local.json()["summary"]
    assert summary["engine"] == "dask" and summary["partitions"] > 1
    assert summary["cells"] == expected["cells"] > 1000
    assert summary["area_m2"] == pytest.approx(expected["area_m2"])
    assert dask.json()["statistics"] == local.json()["statistics"]
    ours = _items(client, dask.json()["grid"]["collection"], "code")
    theirs = _items(client, local.json()["grid"]["collection"], "code")
    assert ours.keys() == theirs.keys()
    for k, row in theirs.items():
        assert ours[k]["area_m2"] == row["area_m2"] and ours[k]["is_clipped"] == row["is_clipped"]
        # the cells carry their unit's quality and source on the cluster too
        assert ours[k]["geometry_quality"] == row["geometry_quality"] == "approximate"
        assert ours[k]["source"] == row["source"] and row["parent_code"] in row["source"]
