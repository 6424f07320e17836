import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.scaleout import (
    assign_nearest_partitioned,
    coverage_share_partitioned,
)

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def layers():
    rng = np.random.default_rng(11)
    cells = grid(60, 50.0).to_crs(4326)  # WGS84 in, metric inside
    fac = frame(shapely.points(rng.uniform(X0, X0 + 3000, 15), rng.uniform(Y0, Y0 + 3000, 15)))
    return cells, fac.to_crs(4326)


def test_small_inputs_stay_on_one_machine(layers):
    cells, fac = layers
    r = coverage_share_partitioned(fac, cells, distance_m=300)
    assert r.summary["engine"] == "local"


def test_dask_coverage_equals_the_single_machine_result(client, layers):
    cells, fac = layers
    r = coverage_share_partitioned(fac, cells, distance_m=300, client=client, min_features=0)
    assert r.summary["engine"] == "dask" and r.summary["partitions"] == 4
    ref = compute_coverage(fac, cells, distance_m=300).demand
    assert r.demand.index.equals(cells.index)
    np.testing.assert_allclose(r.demand["covered_share"], ref["covered_share"], atol=1e-9)


def test_dask_nearest_equals_the_single_machine_result(client, layers):
    cells, fac = layers
    r = assign_nearest_partitioned(cells, fac, client=client, min_features=0, npartitions=3)
    ref = assign_nearest(cells, fac).demand
    assert r.demand["facility"].tolist() == ref["facility"].tolist()
    np.testing.assert_allclose(r.demand["distance_m"], ref["distance_m"])


def test_scheduler_address_is_used(client, layers):
    cells, fac = layers
    address = client.scheduler.address
    r = coverage_share_partitioned(
        fac, cells, distance_m=300, scheduler_address=address, min_features=0
    )
    assert r.summary["engine"] == "dask"
