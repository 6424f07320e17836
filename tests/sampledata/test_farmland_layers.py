"""The farmland grid layers nest district → 11 units → cells, as in seed 003."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geoservice.sampledata.farmland import build_farmland_layers

METRIC = "EPSG:4546"


@pytest.fixture(scope="module")
def units(layers):
    return layers["farmland_grid_units"]


@pytest.fixture(scope="module")
def cells(layers):
    return layers["farmland_grid"]


def test_level_1_is_the_district_and_level_2_the_eleven_listed_units(units, layers):
    level1 = units[units["level"] == 1]
    level2 = units[units["level"] == 2]
    assert level1["code"].tolist() == ["150602000000"]
    assert level1["parent_code"].isna().all()
    assert len(level2) == 11
    assert (level2["parent_code"] == "150602000000").all()
    flagged = layers["streets_towns"].loc[layers["streets_towns"]["in_farmland_grid"], "code"]
    assert set(level2["code"]) == set(flagged)
    assert level2["in_scheme"].all() and level1["in_scheme"].all()


def test_the_four_unlisted_streets_are_in_the_layer_with_no_level_and_a_note(units):
    unlisted = units[~units["in_scheme"].astype(bool)]
    names = {n.split("（")[0] for n in unlisted["name_zh"]}
    assert names == {"交通街道", "公园街道", "建设街道", "林荫街道"}
    assert unlisted["level"].isna().all() and (unlisted["n_cells"] == 0).all()
    assert set(unlisted["scheme_note"]) == {"urban streets not in 附件2"}
    assert (unlisted["geometry_quality"] == "approximate").all()
    assert unlisted["source"].str.contains("does not list").all()
    # measured in the CGCS2000 Gauss-Krüger zone, not degrees
    assert unlisted.to_crs(METRIC).area.sum() == pytest.approx(16.91e6, rel=1e-3)


def test_the_levels_nest_with_shared_edges_and_no_slivers(units, cells):
    from geoservice.analysis.farmland import check_grid_nesting

    level1 = units[units["level"] == 1]
    level2 = units[units["level"] == 2]
    unlisted = units[~units["in_scheme"].astype(bool)]
    report = check_grid_nesting(
        units[units["level"].fillna(0) != 1], level1, code_rule="prefix", id_column="code"
    )
    assert report.summary["ok"], report.problems
    # at a zero tolerance the level-2 partition is still exact (one noded arrangement)
    exact = check_grid_nesting(
        units[units["level"].fillna(0) != 1], level1, code_rule="prefix", tolerance_m2=0.0
    )
    assert exact.summary["ok"], exact.problems
    report = check_grid_nesting(cells, level2, id_column="code")
    assert report.summary["ok"], report.problems
    # what a zero tolerance still sees is float rounding, far below a square centimetre
    loose = check_grid_nesting(cells, level2, id_column="code", tolerance_m2=0.0)
    assert loose.problems["area_m2"].fillna(0).max() < 1e-4
    named = check_grid_nesting(level2, level1, code_rule="prefix", outside_scheme=unlisted)
    assert named.summary["ok"] and named.gaps.empty
    assert named.summary["findings"][0].startswith(
        "4 urban streets not in 附件2, 16.9 km², no farmland expected: confirm"
    )


def test_every_cell_lies_in_exactly_one_level_2_parent(units, cells):
    level2 = units[units["level"] == 2].to_crs(METRIC)
    points = gpd.GeoDataFrame(
        {"parent_code": cells["parent_code"]},
        geometry=cells.to_crs(METRIC).representative_point(),
        crs=METRIC,
    )
    joined = gpd.sjoin(points, level2[["code", "geometry"]], predicate="within")
    assert joined.index.is_unique
    assert len(joined) == len(cells)
    assert (joined["parent_code"] == joined["code"]).all()


def test_cell_codes_are_unique_and_extend_the_parent_code(cells):
    assert cells["code"].is_unique
    assert (cells["code"].str[:12] == cells["parent_code"]).all()
    expected = (
        cells["parent_code"]
        + "-"
        + cells["row"].astype(str).str.zfill(6)
        + "-"
        + cells["col"].astype(str).str.zfill(6)
    )
    assert (cells["code"] == expected).all()
    assert (cells["level"] == 3).all()


def test_cells_fill_their_parents_area(units, cells):
    level2 = units[units["level"] == 2].set_index("code")
    by_parent = cells.groupby("parent_code")["area_m2"].sum()
    assert by_parent.to_numpy() == pytest.approx(
        level2.loc[by_parent.index, "area_m2"].to_numpy(), rel=1e-6
    )
    assert (level2["n_cells"] == cells["parent_code"].value_counts()[level2.index]).all()


def test_whole_cells_have_the_nominal_size(cells):
    whole = cells[~cells["is_clipped"]]
    assert len(whole) > 0.8 * len(cells)
    assert whole["area_m2"].to_numpy() == pytest.approx(500.0**2, abs=0.1)
    unmerged = cells[cells["merged_from"].isna()]
    assert (unmerged["area_m2"] <= 500.0**2 + 0.1).all()


def test_no_cell_is_a_sliver_small_pieces_are_merged_within_their_unit(cells):
    # 10 % of a whole 500 m cell; the issue found border cells of 1.7 m²
    assert cells.to_crs(METRIC).area.min() >= 0.1 * 500.0**2
    merged = cells[cells["merged_from"].notna()]
    assert len(merged) > 0 and merged["is_clipped"].all()
    for receiver, donors in zip(merged["parent_code"], merged["merged_from"], strict=True):
        assert all(d.startswith(receiver + "-") for d in donors.split(","))


def test_the_lattice_is_labelled_as_the_fallback_for_village_boundaries(cells):
    assert set(cells["basis"]) == {"lattice_fallback"}
    assert cells["name_zh"].str.contains("规则格网替代村界").all()
    assert cells["source"].str.contains("no village boundaries uploaded").all()


def test_cell_size_is_configurable(layers):
    units, cells = build_farmland_layers(layers["district"], layers["streets_towns"], cell_m=2000.0)
    assert (cells["cell_m"] == 2000.0).all()
    assert (units.loc[units["in_scheme"].astype(bool), "cell_m"] == 2000.0).all()
    assert len(cells) < len(layers["farmland_grid"]) / 10
