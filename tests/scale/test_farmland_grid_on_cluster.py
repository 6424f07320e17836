"""A farmland grid cut on the cluster, a group of units per task, is the single-machine grid."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.farmland import generate_farmland_grid, grid_statistics
from geoservice.scale.farmland import farmland_grid_on_cluster, unit_groups

CRS = "EPSG:4547"  # the synthetic area's metric CRS (tests/scale/conftest.py)


@pytest.fixture
def units(area):
    """The synthetic disc cut into eight sectors (irregular borders; not a real place)."""
    disc = area[0].geometry.iloc[0]
    cx, cy = disc.centroid.x, disc.centroid.y
    sectors = []
    for k in range(8):
        a = shapely.affinity.rotate(
            shapely.Polygon([(cx, cy), (cx + 30_000, cy), (cx + 21_213, cy + 21_213)]),
            45 * k,
            origin=(cx, cy),
        )
        sectors.append(disc.intersection(a))
    codes = [f"1506020{k:02d}" for k in (5, 3, 7, 1, 8, 2, 6, 4)]  # not in code order
    return gpd.GeoDataFrame({"code": codes, "name": "synthetic"}, geometry=sectors, crs=CRS)


def test_farmland_grid_on_the_cluster_equals_the_single_machine_grid(client, units, tmp_path):
    local = generate_farmland_grid(units, cell_m=300, crs=CRS)
    parts, table, summary = farmland_grid_on_cluster(
        client, units, cell_m=300, code_column="code", work_dir=tmp_path, partition_cells=700
    )
    assert len(local) > 3000 and local["is_clipped"].any()
    assert summary["partitions"] == len(parts.paths) > 2
    remote = parts.read().reset_index(drop=True)
    assert_geodataframe_equal(remote, local)
    stats = grid_statistics(local, crs=CRS)
    pd.testing.assert_frame_equal(table, stats.table)
    assert summary["cells"] == stats.summary["cells"] and summary["parents"] == 8
    assert summary["area_m2"] == pytest.approx(stats.summary["area_m2"])


def test_cells_cut_on_the_cluster_carry_the_quality_of_their_units(client, units, tmp_path):
    stated = units.assign(
        geometry_quality=["official_boundary", None] * 4,  # half the sectors do not say
        source=[f"synthetic sector {k}" for k in range(8)],
    )
    parts, _, _ = farmland_grid_on_cluster(
        client, stated, cell_m=300, code_column="code", work_dir=tmp_path, partition_cells=700
    )
    remote = parts.read().reset_index(drop=True)
    assert len(parts.paths) > 2
    assert_geodataframe_equal(remote, generate_farmland_grid(stated, cell_m=300, crs=CRS))
    # lattice cells of a published outline are approximate; of an unstated one, unknown
    expected = dict(zip(stated["code"], ["approximate", None] * 4, strict=True))
    quality = [None if q is None or q != q else q for q in remote["geometry_quality"]]
    assert quality == [expected[code] for code in remote["parent_code"]]
    named = dict(zip(stated["code"], stated["source"], strict=True))
    assert all(
        source.endswith(f"source: {named[code]})")
        for code, source in zip(remote["parent_code"], remote["source"], strict=True)
    )


def test_units_are_grouped_in_code_order_and_a_code_is_never_split(units):
    twins = pd.concat([units, units.iloc[[0]]])  # one code twice
    groups = unit_groups(twins, 300, "code", partition_cells=1)
    codes = [list(g["code"]) for g in groups]
    assert [c for group in codes for c in group] == sorted(twins["code"])
    assert sum(units["code"].iloc[0] in group for group in codes) == 1


def test_a_duplicated_code_is_refused_as_on_one_machine(client, units, tmp_path):
    twins = pd.concat([units, units.iloc[[0]]])
    with pytest.raises(ValueError, match="unique"):
        farmland_grid_on_cluster(
            client, twins, cell_m=300, code_column="code", work_dir=tmp_path, partition_cells=1
        )


def test_the_cell_estimate_engine_auto_reads_is_an_upper_bound(units):
    from geoservice.scale.farmland import bounded_cells

    cells = len(generate_farmland_grid(units, cell_m=300, crs=CRS))
    assert cells <= bounded_cells(units, 300) <= 2 * cells
