"""Farmland grid checks: nesting report, statistics and version comparison."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoservice.analysis.farmland import (
    check_grid_nesting,
    compare_grids,
    generate_farmland_grid,
    grid_statistics,
)
from geoservice.errors import InvalidParameter

CRS = "EPSG:4546"


def parents_frame(*boxes, codes=("P",)):
    return gpd.GeoDataFrame({"code": list(codes)}, geometry=list(boxes), crs=CRS)


@pytest.fixture
def parent():
    return parents_frame(shapely.box(0, 0, 300, 300))


@pytest.fixture
def grid3(parent):
    """3 × 3 cells of 100 m filling the parent exactly."""
    return generate_farmland_grid(parent, cell_m=100)


def problems_of(report, kind):
    return report.problems[report.problems["problem"] == kind]


def test_a_3x3_grid_filling_its_parent_is_clean(grid3, parent):
    report = check_grid_nesting(grid3, parent, id_column="code")
    assert report.summary["ok"], report.problems
    assert report.summary["cells"] == 9
    assert report.problems.empty and report.gaps.empty and report.overlaps.empty


def test_a_missing_cell_is_a_gap_of_its_area_in_its_parent(grid3, parent):
    report = check_grid_nesting(grid3.drop(index=4), parent)
    gaps = problems_of(report, "gap")
    assert len(gaps) == 1
    assert gaps["parent_code"].tolist() == ["P"]
    assert gaps["area_m2"].iloc[0] == pytest.approx(10_000)
    assert report.gaps.geometry.iloc[0].equals_exact(shapely.box(100, 100, 200, 200), 1e-6) or (
        report.gaps.geometry.iloc[0].symmetric_difference(shapely.box(100, 100, 200, 200)).area
        < 1e-6
    )
    assert report.summary["problems"] == {"gap": 1}


def test_an_overlap_names_both_cells_and_its_area(grid3, parent):
    grid = grid3.copy()
    grid.loc[0, "geometry"] = shapely.box(0, 0, 150, 100)  # reaches 50 m into cell 1
    report = check_grid_nesting(grid, parent, id_column="code")
    overlaps = problems_of(report, "overlap")
    assert len(overlaps) == 1
    row = overlaps.iloc[0]
    assert {row["feature_id"], row["other_id"]} == {grid3["code"][0], grid3["code"][1]}
    assert row["area_m2"] == pytest.approx(5_000)
    assert report.summary["overlap_area_m2"] == pytest.approx(5_000)


def test_a_duplicate_code_reports_every_cell_holding_it(grid3, parent):
    grid = grid3.copy()
    grid.loc[5, "code"] = grid.loc[4, "code"]
    report = check_grid_nesting(grid, parent)
    dupes = problems_of(report, "duplicate_code")
    assert sorted(dupes["feature_id"]) == [4, 5]
    assert report.summary["problems"] == {"duplicate_code": 2}


def test_codes_must_extend_the_parent_code(grid3, parent):
    grid = grid3.copy()
    grid.loc[2, "code"] = "Q-000000-000002"
    grid.loc[3, "code"] = None
    report = check_grid_nesting(grid, parent)
    assert problems_of(report, "code_not_hierarchical")["feature_id"].tolist() == [2]
    assert problems_of(report, "missing_code")["feature_id"].tolist() == [3]


def test_prefix_rule_reads_division_codes():
    district = parents_frame(shapely.box(0, 0, 200, 100), codes=["150602000000"])
    towns = gpd.GeoDataFrame(
        {"code": ["150602101000", "150699102000"], "parent_code": ["150602000000"] * 2},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
        crs=CRS,
    )
    report = check_grid_nesting(towns, district, code_rule="prefix", id_column="code")
    assert problems_of(report, "code_not_hierarchical")["feature_id"].tolist() == ["150699102000"]


def test_unknown_parent_and_cells_crossing_into_another_parent():
    parents = parents_frame(shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100), codes="AB")
    cells = gpd.GeoDataFrame(
        {"code": ["A-1", "A-2", "C-1"], "parent_code": ["A", "A", "C"]},
        geometry=[
            shapely.box(0, 0, 100, 50),
            shapely.box(0, 50, 150, 100),
            shapely.box(100, 0, 200, 50),
        ],
        crs=CRS,
    )
    report = check_grid_nesting(cells, parents, id_column="code")
    assert problems_of(report, "unknown_parent")["feature_id"].tolist() == ["C-1"]
    outside = problems_of(report, "outside_parent")
    assert outside["feature_id"].tolist() == ["A-2"]
    assert outside["area_m2"].iloc[0] == pytest.approx(2_500)
    several = problems_of(report, "several_parents")
    assert several[["feature_id", "other_id"]].values.tolist() == [["A-2", "B"]]
    # parent B has no cell of its own: all of it is a gap
    gaps = problems_of(report, "gap")
    assert gaps["parent_code"].tolist() == ["B"]
    assert gaps["area_m2"].iloc[0] == pytest.approx(10_000)


def test_slivers_below_the_tolerance_are_not_problems(grid3, parent):
    grid = grid3.copy()
    grid.loc[0, "geometry"] = shapely.box(0, 0, 100.001, 100)  # 0.1 m² into its neighbour
    assert check_grid_nesting(grid, parent, tolerance_m2=1.0).summary["ok"]
    assert not check_grid_nesting(grid, parent, tolerance_m2=0.0).summary["ok"]


def test_inputs_are_checked(grid3, parent):
    with pytest.raises(InvalidParameter, match="no column"):
        check_grid_nesting(grid3, parent, parent_column="nope")
    with pytest.raises(InvalidParameter, match="code_rule"):
        check_grid_nesting(grid3, parent, code_rule="strict")
    points = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=CRS)
    with pytest.raises(InvalidParameter):
        check_grid_nesting(points, parent)


def test_statistics_count_cells_and_protected_share(grid3):
    grid = grid3.copy()
    grid["protected"] = [True] * 3 + [False] * 6
    stats = grid_statistics(grid, protected_column="protected")
    row = stats.table.iloc[0]
    assert row["cells"] == 9 and row["area_m2"] == pytest.approx(90_000)
    assert row["protected_share"] == pytest.approx(1 / 3)
    assert stats.summary["protected_share"] == pytest.approx(1 / 3)
    plain = grid_statistics(grid3)
    assert "protected_share" not in plain.table.columns
    assert plain.summary["protected_column"] is None and plain.summary["protected_share"] is None


def test_statistics_read_a_numeric_protected_area_capped_at_the_cell(grid3):
    grid = grid3.copy()
    grid["protected_m2"] = [20_000.0] + [0.0] * 8  # more than the cell: capped at 10 000
    stats = grid_statistics(grid, protected_column="protected_m2")
    assert stats.table["protected_area_m2"].iloc[0] == pytest.approx(10_000)


def test_compare_lists_added_removed_and_changed_cells(grid3):
    new = grid3.drop(index=8).copy()
    new.loc[0, "geometry"] = shapely.box(0, 0, 100, 90)
    new.loc[1, "is_clipped"] = True
    extra = grid3.iloc[[8]].copy()
    extra["code"] = "P-000009-000009"
    new = pd.concat([new, extra], ignore_index=True)
    diff = compare_grids(grid3, new)
    assert diff.summary["changes"] == {"changed": 2, "added": 1, "removed": 1, "unchanged": 6}
    by_code = diff.cells.set_index("code")
    assert by_code.loc[grid3["code"][0], "changed_area_m2"] == pytest.approx(1_000)
    assert by_code.loc[grid3["code"][1], "changed_attributes"] == "is_clipped"
    assert by_code.loc[grid3["code"][8], "change"] == "removed"
    assert by_code.loc["P-000009-000009", "change"] == "added"


def test_compare_refuses_duplicate_codes(grid3):
    dup = grid3.copy()
    dup.loc[1, "code"] = dup.loc[0, "code"]
    with pytest.raises(InvalidParameter, match="unique"):
        compare_grids(grid3, dup)


@pytest.fixture(scope="module")
def sample():
    from geoservice.sampledata import build_sample_layers

    return build_sample_layers()


def test_sample_cells_nest_in_level_2_with_no_problem(sample):
    # was: 4 several_parents and 2 overlaps of 1.0-1.6 m² from overlapping unit polygons
    units, cells = sample["farmland_grid_units"], sample["farmland_grid"]
    report = check_grid_nesting(cells, units[units["level"] == 2], id_column="code")
    assert report.summary["cells"] == len(cells)
    assert report.summary["ok"], report.problems
    assert report.gaps.empty and report.overlaps.empty


def test_sample_level_2_gap_is_the_four_unlisted_streets_and_nothing_else(sample):
    # was: 84 gap pieces (83 under 100 m²), 3 outside_parent and a 4 m² overlap
    units, towns = sample["farmland_grid_units"], sample["streets_towns"]
    report = check_grid_nesting(
        units[units["level"] == 2], units[units["level"] == 1], code_rule="prefix", tolerance_m2=0
    )
    assert report.summary["problems"] == {"gap": 1}
    gap = report.gaps.geometry.iloc[0]
    metric = towns.to_crs(CRS)
    inside = metric[metric.representative_point().within(gap)]
    assert set(inside["name_zh"]) == {"公园街道", "交通街道", "建设街道", "林荫街道"}
    assert not inside["in_farmland_grid"].any()
    assert gap.area == pytest.approx(inside.area.sum(), rel=1e-6)


def test_sample_unlisted_streets_are_a_named_finding_not_a_gap(sample):
    units = sample["farmland_grid_units"]
    unlisted = units[~units["in_scheme"].astype(bool)]
    report = check_grid_nesting(
        units[units["level"] == 2],
        units[units["level"] == 1],
        code_rule="prefix",
        outside_scheme=unlisted,
    )
    assert report.summary["ok"] and report.problems.empty and report.gaps.empty
    (finding,) = report.findings.itertuples()
    assert finding.finding == "not_in_scheme"
    assert finding.message.startswith(
        "4 urban streets not in 附件2, 16.9 km², no farmland expected: confirm"
    )
    assert finding.area_m2 == pytest.approx(16.91e6, rel=1e-3)


def test_a_declared_area_only_hides_the_gap_it_covers(grid3, parent):
    declared = gpd.GeoDataFrame(
        {"code": ["X"], "name_zh": ["某街道（未列入）"], "scheme_note": ["streets not listed"]},
        geometry=[shapely.box(100, 100, 200, 200)],
        crs=CRS,
    )
    report = check_grid_nesting(grid3.drop(index=[4, 8]), parent, outside_scheme=declared)
    assert report.summary["problems"] == {"gap": 1}  # cell 8's hole is still a gap
    assert report.gaps["area_m2"].iloc[0] == pytest.approx(10_000)
    assert report.summary["findings"] == [
        "1 streets not listed, 0.0 km², no farmland expected: confirm (某街道)"
    ]


def test_auto_code_rule_accepts_division_and_lattice_codes(grid3, parent):
    towns = gpd.GeoDataFrame(
        {"code": ["P01", "Q01"], "parent_code": ["P", "P"]},
        geometry=[shapely.box(0, 0, 300, 150), shapely.box(0, 150, 300, 300)],
        crs=CRS,
    )
    assert check_grid_nesting(grid3, parent, code_rule="auto").summary["ok"]
    report = check_grid_nesting(towns, parent, code_rule="auto", id_column="code")
    assert problems_of(report, "code_not_hierarchical")["feature_id"].tolist() == ["Q01"]


def test_parents_of_several_levels_are_narrowed_to_the_level_the_cells_name(grid3):
    from geoservice.analysis.farmland import parents_at_cell_level

    units = gpd.GeoDataFrame(
        {"code": ["D", "P", "Q"], "level": [1, 2, 2]},
        geometry=[shapely.box(-1000, -1000, 1000, 1000), shapely.box(0, 0, 300, 300),
                  shapely.box(300, 0, 600, 300)],
        crs=CRS,
    )  # fmt: skip
    chosen, level = parents_at_cell_level(grid3, units)
    assert level == 2 and chosen["code"].tolist() == ["P", "Q"]  # Q kept: its gap counts
    report = check_grid_nesting(grid3, chosen, id_column="code")
    assert set(report.problems["problem"]) == {"gap"}  # not overlaps with the district


def test_parents_of_one_level_or_without_levels_are_kept(grid3, parent):
    from geoservice.analysis.farmland import parents_at_cell_level

    chosen, level = parents_at_cell_level(grid3, parent)
    assert level is None and len(chosen) == 1
