"""Which path a process takes: engine local, dask, or auto by the demand's size."""

from __future__ import annotations

import pytest

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.library.distributed import use_dask
from geoservice.settings import ScaleSettings


@pytest.fixture
def ctx(tmp_path):
    return ProcessContext(
        store=None,
        layers=None,
        raster_dir=tmp_path,
        job_id="j",
        process_id="coverage",
        scale=ScaleSettings(auto_features=1000),
    )


@pytest.mark.parametrize(
    ("engine", "features", "expected"),
    [("local", 10**6, False), ("dask", 1, True), ("auto", 999, False), ("auto", 1000, True)],
)
def test_engine_and_size_choose_the_path(ctx, engine, features, expected):
    assert use_dask(engine, features, ctx, None) is expected


def test_auto_stays_local_when_the_options_need_it(ctx):
    assert use_dask("auto", 10**6, ctx, "measures Euclidean reach only") is False


def test_dask_with_options_it_cannot_honour_is_refused_naming_the_input(ctx):
    with pytest.raises(InvalidParameter, match=r"input 'engine'.*minutes"):
        use_dask("dask", 10, ctx, "measures Euclidean reach only, not minutes over roads")


def test_no_cluster_here_is_a_clear_error(ctx):
    with pytest.raises(InvalidParameter, match="no Dask cluster"):
        ctx.dask_client()


def test_a_cluster_handle_opens_nothing_until_asked():
    from geoservice.scale.cluster import DaskCluster

    cluster = DaskCluster(ScaleSettings(local_processes=False, local_workers=1))
    assert not cluster.started
    cluster.close()  # closing an unopened handle is harmless
    client = cluster.client()
    assert cluster.started and cluster.describe()["workers"] == 1
    assert cluster.client() is client
    cluster.close()
    assert not cluster.started
