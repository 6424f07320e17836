"""The job manager without HTTP: cancellation of a running job, progress, failures."""

from __future__ import annotations

import threading
import time

import geopandas as gpd
import pytest
import shapely
from pydantic import Field

from geoservice.catalog.models import Text
from geoservice.processes.inputs import ProcessInputs, ResultInputs
from geoservice.processes.jobs import JobNotFound, JobStore
from geoservice.processes.manager import JobManager
from geoservice.processes.outputs import LayerOutput
from geoservice.processes.registry import OutputSpec, Process
from geoservice.storage.postgis_notify import wait_until


class SlowInputs(ResultInputs):
    steps: int = Field(200, ge=1)


class Registry:
    def __init__(self, catalog):
        self._catalog = catalog
        self.published = []

    def catalog(self):
        return self._catalog

    def publish(self, layer):
        self.published.append(layer.id)
        self._catalog = self._catalog.with_layer(layer)

    def unpublish(self, layer_id):
        self.published.remove(layer_id)
        self._catalog = self._catalog.without(layer_id)


def slow_run(inputs, ctx):
    started.set()
    for k in range(inputs.steps):
        ctx.report(100 * k / inputs.steps, f"step {k}")
        time.sleep(0.01)
    frame = gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.Point(110, 39.8)], crs=4326)
    return {"points": LayerOutput(frame, Text(zh="点", en="points"), "test", primary=True)}


started = threading.Event()
SLOW = Process("slow", "Slow", "慢", "test", SlowInputs, {"points": OutputSpec("p", "p")}, slow_run)


@pytest.fixture
def manager(store, tmp_path):
    from geoservice.catalog.loader import load_catalog
    from tests.conftest import ROOT

    registry = Registry(load_catalog(ROOT / "layers", ROOT / "styles"))
    m = JobManager(
        jobs=JobStore(tmp_path / "jobs.sqlite"), store=store, layers=registry,
        raster_dir=tmp_path / "rasters",
    )  # fmt: skip
    yield m
    m.close()


def test_a_running_job_stops_when_dismissed_and_leaves_nothing(manager):
    started.clear()
    submitted = manager.submit(SLOW, SlowInputs(steps=2000, out_layer="slow_points"))
    assert started.wait(10)
    assert wait_until(lambda: manager.jobs.get(submitted.record.job_id).progress > 0, timeout=10)
    manager.dismiss(submitted.record.job_id)
    submitted.future.result(timeout=30)
    with pytest.raises(JobNotFound):
        manager.jobs.get(submitted.record.job_id)
    assert not manager.store.has_layer("slow_points")
    assert manager.layers.published == []


def test_a_finished_job_reports_progress_and_publishes(manager):
    submitted = manager.submit(SLOW, SlowInputs(steps=20, out_layer="slow_done"))
    submitted.future.result(timeout=30)
    record = manager.jobs.get(submitted.record.job_id)
    assert record.status == "successful" and record.progress == 100
    assert record.results["points"]["collection"] == "slow_done"
    assert record.written == [{"kind": "collection", "id": "slow_done", "version": 1}]
    assert manager.layers.published == ["slow_done"]


def test_an_unexpected_error_fails_the_job_and_keeps_the_pool(manager):
    def broken(inputs, ctx):
        raise RuntimeError("boom")

    bad = Process("bad", "Bad", "坏", "test", ProcessInputs, {}, broken)
    first = manager.submit(bad, ProcessInputs())
    first.future.result(timeout=30)
    record = manager.jobs.get(first.record.job_id)
    assert record.status == "failed" and "RuntimeError: boom" in record.message
    assert record.error["code"] == "ProcessFailed" and "status" not in record.error
    second = manager.submit(SLOW, SlowInputs(steps=1, out_layer="after_bad"))
    second.future.result(timeout=30)
    assert manager.jobs.get(second.record.job_id).status == "successful"
