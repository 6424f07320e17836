"""level_pairs: which cells are checked in which parents, read from the layers' levels."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geoservice.analysis.farmland import generate_farmland_grid
from geoservice.analysis.farmland.levels import level_pairs

CRS = "EPSG:4546"


@pytest.fixture
def units():
    """A district D of two towns (level 2) and one street the scheme does not list."""
    return gpd.GeoDataFrame(
        {
            "code": ["D", "D01", "D02", "D03"],
            "parent_code": [None, "D", "D", "D"],
            "level": [1, 2, 2, None],
            "in_scheme": [True, True, True, False],
            "name_zh": ["区", "甲镇", "乙镇", "丙街道（未列入）"],
            "scheme_note": [None, None, None, "urban streets not listed"],
        },
        geometry=[
            shapely.box(0, 0, 3000, 1000),
            shapely.box(0, 0, 1000, 1000),
            shapely.box(1000, 0, 2000, 1000),
            shapely.box(2000, 0, 3000, 1000),
        ],
        crs=CRS,
    )


@pytest.fixture
def cells(units):
    return generate_farmland_grid(units[units["level"] == 2], cell_m=500)


def labels(pairs):
    return [p.label for p in pairs]


def test_cells_against_an_unfiltered_units_layer_check_every_level(units, cells):
    pairs = level_pairs(cells, units)
    assert labels(pairs) == ["cells in 2", "2 in 1"]  # the cells have no level column
    assert pairs[0].parents["code"].tolist() == ["D01", "D02"]  # not the district
    assert pairs[0].outside_scheme is None
    assert pairs[1].outside_scheme["code"].tolist() == ["D03"]


def test_a_units_layer_alone_is_checked_level_by_level(units):
    (pair,) = level_pairs(units)
    assert pair.label == "2 in 1"
    assert pair.cells["code"].tolist() == ["D01", "D02"]
    assert pair.parents["code"].tolist() == ["D"]
    assert pair.outside_scheme["code"].tolist() == ["D03"]


def test_levels_read_back_as_floats_still_pair(units, cells):
    pairs = level_pairs(cells.assign(level=3.0), units.assign(level=units["level"].astype(float)))
    assert labels(pairs) == ["3 in 2", "2 in 1"]


def test_one_level_without_parents_is_refused(cells):
    with pytest.raises(ValueError, match="give the parents"):
        level_pairs(cells.assign(level=3))


def test_the_whole_check_passes_with_only_the_named_finding(units, cells):
    from geoservice.analysis.farmland import check_grid_nesting

    reports = [
        check_grid_nesting(p.cells, p.parents, code_rule="auto", outside_scheme=p.outside_scheme)
        for p in level_pairs(cells, units)
    ]
    assert all(r.summary["ok"] for r in reports)
    assert [m for r in reports for m in r.summary["findings"]] == [
        "1 urban streets not listed, 1.0 km², no farmland expected: confirm (丙街道)"
    ]
