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
    assert (cells["area_m2"] <= 500.0**2 + 0.1).all()


def test_cell_size_is_configurable(layers):
    units, cells = build_farmland_layers(layers["district"], layers["streets_towns"], cell_m=2000.0)
    assert (cells["cell_m"] == 2000.0).all()
    assert (units["cell_m"] == 2000.0).all()
    assert len(cells) < len(layers["farmland_grid"]) / 10
