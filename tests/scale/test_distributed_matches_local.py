"""The distributed path gives the single-machine answer on the same cells."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.errors import InvalidParameter
from geoservice.scale.grid import GridSpec, build_grid
from geoservice.scale.ops import coverage_on_cluster, nearest_on_cluster
from geoservice.scale.parts import PartitionedFrame, partition_frame


@pytest.fixture
def grid(client, area, tmp_path):
    boundary, units = area
    spec, paths, summary = build_grid(
        client,
        boundary,
        cell_m=400,
        crs=boundary.crs,
        work_dir=tmp_path / "grid",
        units=units,
        unit_key="code",
        partition_cells=400,
    )
    return PartitionedFrame(paths, spec.crs), summary


def test_grid_is_built_in_several_partitions_with_unique_ids_and_unit_codes(grid):
    parts, summary = grid
    cells = parts.read()
    assert summary["partitions"] > 1 and len(parts.paths) == summary["partitions"]
    assert summary["cells"] == len(cells) > 1000
    assert cells["cell_id"].is_unique
    assert set(cells["code"]) == {"A", "B"}
    west = cells.geometry.centroid.x < 500_000
    assert (cells.loc[west, "code"] == "A").all() and (cells.loc[~west, "code"] == "B").all()


def test_grid_cells_have_their_centres_in_the_boundary(grid, area):
    cells = grid[0].read()
    assert cells.geometry.centroid.within(area[0].geometry.iloc[0]).all()


def test_too_many_cells_is_refused_before_any_work(client, area, tmp_path):
    with pytest.raises(InvalidParameter, match="cell_m"):
        build_grid(client, area[0], cell_m=1, crs=area[0].crs, work_dir=tmp_path, max_cells=1000)


def test_grid_spec_snaps_to_multiples_of_the_cell():
    spec = GridSpec.over((1050, 2050, 3010, 4000), 1000, "EPSG:4547")
    assert (spec.x0, spec.y0, spec.ncols, spec.nrows) == (1000, 2000, 3, 2)


def test_distributed_coverage_equals_single_machine(client, grid, facilities, tmp_path):
    cells = grid[0].read()
    local = compute_coverage(facilities, cells, distance_m=1500, crs=cells.crs).demand
    demand = partition_frame(cells, tmp_path / "demand", 300)
    assert len(demand.paths) > 1
    parts, summary = coverage_on_cluster(
        client, facilities, demand, distance_m=1500, work_dir=tmp_path, unit_key="code"
    )
    remote = parts.read()
    pd.testing.assert_index_equal(remote.index, local.index)
    np.testing.assert_allclose(remote["covered_share"], local["covered_share"], atol=1e-9)
    assert summary["features"] == len(cells)
    assert summary["mean_covered_share"] == pytest.approx(local["covered_share"].mean())
    by_unit = local.groupby("code")["covered_share"].mean()
    for code, row in summary["units"].items():
        assert row["mean_covered_share"] == pytest.approx(by_unit[code])


def test_distributed_nearest_equals_single_machine(client, grid, facilities, tmp_path):
    cells = grid[0].read()
    local = assign_nearest(cells, facilities, crs=cells.crs).demand
    demand = partition_frame(cells, tmp_path / "demand", 250)
    parts, summary = nearest_on_cluster(client, facilities, demand, work_dir=tmp_path)
    remote = parts.read()
    assert remote["facility"].tolist() == local["facility"].tolist()
    np.testing.assert_allclose(remote["distance_m"], local["distance_m"])
    assert summary["allocated"] == len(cells)


def test_partitions_follow_the_hilbert_curve_and_keep_every_feature(grid, tmp_path):
    cells = grid[0].read()
    demand = partition_frame(cells, tmp_path / "d", 100)
    first = gpd.read_parquet(demand.paths[0])
    whole = cells.total_bounds
    assert len(demand.read()) == len(cells)
    span = first.total_bounds
    assert (span[2] - span[0]) < (whole[2] - whole[0]) / 2  # a compact area, not a stripe


def test_distributed_coverage_of_points_keeps_the_distance_to_the_nearest_facility(
    client, grid, facilities, tmp_path
):
    points = grid[0].read()
    points = points.set_geometry(points.geometry.centroid)
    local = compute_coverage(facilities, points, distance_m=800, crs=points.crs).demand
    demand = partition_frame(points, tmp_path / "points", 300)
    parts, _ = coverage_on_cluster(client, facilities, demand, distance_m=800, work_dir=tmp_path)
    remote = parts.read()
    np.testing.assert_array_equal(remote["covered_share"], local["covered_share"])
    np.testing.assert_allclose(remote["distance_m"], local["distance_m"])


def test_parts_no_facility_reaches_have_the_columns_of_the_others(client, grid, tmp_path):
    cells = grid[0].read()
    far = gpd.GeoDataFrame(geometry=gpd.points_from_xy([500_000], [4_509_000]), crs=cells.crs)
    demand = partition_frame(cells, tmp_path / "demand", 200)
    parts, _ = coverage_on_cluster(client, far, demand, distance_m=500, work_dir=tmp_path)
    columns = {tuple(gpd.read_parquet(p).columns) for p in parts.paths}
    assert len(columns) == 1
    local = compute_coverage(far, cells, distance_m=500, crs=cells.crs).demand
    np.testing.assert_allclose(parts.read()["covered_share"], local["covered_share"], atol=1e-9)
