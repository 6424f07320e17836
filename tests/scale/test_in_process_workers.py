"""In-process Dask workers run tasks however big the process around them is."""

from __future__ import annotations

import time

import numpy as np

from geoservice.scale.cluster import DaskCluster
from geoservice.scale.tasks import run_tasks
from geoservice.settings import ScaleSettings


def _double(x: int) -> int:
    return 2 * x


def test_in_process_workers_are_not_paused_by_the_memory_of_the_app(monkeypatch):
    # A service process of a few GB (caches, a long test session) and a small worker
    # limit: with the limit applied, the workers paused at 80 % and no task ever ran.
    ballast = np.ones(200 * 2**20 // 8)  # 200 MB the workers did not allocate
    settings = ScaleSettings(local_workers=1, local_processes=False, worker_memory="100MiB")
    cluster = DaskCluster(settings)
    try:
        client = cluster.client()
        time.sleep(2)  # the workers' memory monitor runs a few times a second
        assert run_tasks(client, _double, [(1,), (2,), (3,)]) == [2, 4, 6]
    finally:
        cluster.close()
    assert ballast.sum() > 0
