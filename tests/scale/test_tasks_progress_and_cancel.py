"""Task progress follows finished futures; a failing progress report cancels the rest."""

from __future__ import annotations

import threading

import pytest

from geoservice.processes.context import JobDismissed
from geoservice.scale.tasks import run_tasks

RELEASE = threading.Event()


def _square(x):
    return x * x


def _wait_then(x):
    RELEASE.wait(30)
    return x


def test_progress_reports_each_finished_task_and_results_keep_their_order(client):
    seen = []
    out = run_tasks(client, _square, [(i,) for i in range(6)], progress=seen.append, key="sq")
    assert out == [i * i for i in range(6)]
    assert seen == pytest.approx([(i + 1) / 6 for i in range(6)])


def test_runs_inline_without_a_client():
    seen = []
    assert run_tasks(None, _square, [(2,), (3,)], progress=seen.append) == [4, 9]
    assert seen == [0.5, 1.0]


def test_a_dismissal_during_progress_cancels_the_unfinished_futures(client):
    RELEASE.clear()

    def dismiss(fraction):
        raise JobDismissed("dismissed")

    with pytest.raises(JobDismissed):
        run_tasks(client, _first_fast, [(i,) for i in range(5)], progress=dismiss, key="cancel")
    try:
        for _ in range(200):  # the scheduler forgets cancelled tasks (bounded polling)
            if not client.run_on_scheduler(_tasks_named, "cancel"):
                break
            threading.Event().wait(0.05)
        assert client.run_on_scheduler(_tasks_named, "cancel") == []
    finally:
        RELEASE.set()


def _tasks_named(prefix, dask_scheduler=None):
    return [str(k) for k in dask_scheduler.tasks if str(k).startswith(prefix)]


def _first_fast(x):
    if x:
        RELEASE.wait(30)
    return x


def test_discarding_a_job_removes_its_partitions(tmp_path):
    from geoservice.processes.context import ProcessContext
    from geoservice.processes.manager import discard_outputs

    ctx = ProcessContext(
        store=None, layers=None, raster_dir=tmp_path / "rasters", job_id="j1", process_id="p",
        scale_dir=tmp_path / "scale",
    )  # fmt: skip
    (ctx.work_dir / "demand").mkdir(parents=True)
    (ctx.work_dir / "demand" / "part-00000.parquet").write_bytes(b"x")
    assert discard_outputs(ctx, []) == []
    assert not ctx.work_dir.exists()
