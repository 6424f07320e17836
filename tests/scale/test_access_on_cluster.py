"""2SFCA on the cluster gives the single-machine ratios and access, cell for cell."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoservice.analysis.accessibility import access_weights, two_step_fca
from geoservice.scale.access import POPULATION, two_step_fca_on_cluster
from geoservice.scale.parts import partition_frame

CRS = "EPSG:4547"  # the synthetic area's metric CRS (tests/scale/conftest.py)


@pytest.fixture
def cells(area):
    """About 4 000 synthetic 300 m cells over the disc, with seeded whole-number residents."""
    boundary = area[0].geometry.iloc[0]
    xs = np.arange(490_000, 510_000, 300.0)
    x, y = np.meshgrid(xs, np.arange(4_490_000, 4_510_000, 300.0))
    boxes = shapely.box(x.ravel(), y.ravel(), x.ravel() + 300, y.ravel() + 300)
    boxes = boxes[shapely.contains_xy(boundary, x.ravel() + 150, y.ravel() + 150)]
    rng = np.random.default_rng(11)
    pop = rng.integers(0, 400, size=len(boxes))
    return gpd.GeoDataFrame({"pop": pop}, geometry=boxes, crs=CRS)


@pytest.fixture
def clinics(facilities):
    """The forty synthetic facilities, with a seeded capacity (doctors)."""
    rng = np.random.default_rng(3)
    return facilities.assign(doctors=rng.integers(1, 20, size=len(facilities)))


def _on_cluster(client, cells, clinics, tmp_path, *, distance_m, part=350):
    pop, cap = access_weights(cells, clinics, population_col="pop", supply_col="doctors")
    parts = partition_frame(cells.assign(**{POPULATION: pop}), tmp_path / "demand", part)
    assert len(parts.paths) > 5
    return two_step_fca_on_cluster(
        client,
        parts,
        clinics,
        cap,
        distance_m=distance_m,
        per_population=1000,
        work_dir=tmp_path,
    )


def test_distributed_2sfca_equals_single_machine(client, cells, clinics, tmp_path):
    assert len(cells) > 3000
    local = two_step_fca(
        cells, clinics, population_col="pop", supply_col="doctors", distance_m=2500, crs=CRS
    )
    parts, supply, summary = _on_cluster(client, cells, clinics, tmp_path, distance_m=2500)
    remote = parts.read()
    np.testing.assert_array_equal(remote.index, local.demand.index)
    assert list(remote.columns) == list(local.demand.columns)  # no working column left
    # whole-number populations add up exactly in any order: the same catchments
    np.testing.assert_array_equal(
        supply["catchment_population"], local.supply["catchment_population"]
    )
    np.testing.assert_array_equal(supply["ratio"], local.supply["ratio"])
    np.testing.assert_array_equal(remote["access"], local.demand["access"])
    np.testing.assert_array_equal(
        remote["facilities_in_reach"], local.demand["facilities_in_reach"]
    )
    assert local.demand["access"].gt(0).any() and local.demand["access"].eq(0).any()
    for key, value in local.summary.items():
        if key != "crs":
            assert summary[key] == pytest.approx(value), key


def test_a_facility_with_its_residents_in_several_parts_gets_them_all(
    client, cells, clinics, tmp_path
):
    # a 6 km reach spans many 350-cell parts: step 1 must add their sums up
    local = two_step_fca(
        cells, clinics, population_col="pop", supply_col="doctors", distance_m=6000, crs=CRS
    )
    _, supply, _ = _on_cluster(client, cells, clinics, tmp_path, distance_m=6000)
    np.testing.assert_array_equal(
        supply["catchment_population"], local.supply["catchment_population"]
    )
    assert (supply["catchment_population"] > cells["pop"].sum() / 10).any()


def test_fractional_populations_agree_to_rounding(client, cells, clinics, tmp_path):
    cells = cells.assign(pop=cells["pop"] * 1.37)
    local = two_step_fca(
        cells, clinics, population_col="pop", supply_col="doctors", distance_m=2500, crs=CRS
    )
    parts, supply, _ = _on_cluster(client, cells, clinics, tmp_path, distance_m=2500)
    np.testing.assert_allclose(supply["ratio"], local.supply["ratio"], rtol=1e-12)
    np.testing.assert_allclose(parts.read()["access"], local.demand["access"], rtol=1e-12)


def test_facilities_no_resident_reaches_have_no_ratio_as_on_one_machine(
    client, cells, clinics, tmp_path
):
    far = gpd.GeoDataFrame({"doctors": [5]}, geometry=[shapely.Point(560_000, 4_560_000)], crs=CRS)
    clinics = pd.concat([clinics, far.set_axis(["far"])])
    _, supply, summary = _on_cluster(client, cells, clinics, tmp_path, distance_m=2500)
    assert np.isnan(supply.loc["far", "ratio"]) and supply.loc["far", "catchment_population"] == 0
    assert summary["supply_without_demand"] >= 1
