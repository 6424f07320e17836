"""The streets_towns layer: official codes, approximate polygons tiling the district."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geoservice.sampledata.gazetteer import load_gazetteer

METRIC = "EPSG:4546"

OFFICIAL_UNITS = {
    "150602001000": "交通街道",
    "150602002000": "公园街道",
    "150602003000": "林荫街道",
    "150602004000": "建设街道",
    "150602005000": "富兴街道",
    "150602006000": "天骄街道",
    "150602007000": "诃额伦街道",
    "150602008000": "巴音门克街道",
    "150602010000": "幸福街道",
    "150602011000": "纺织街道",
    "150602012000": "兴胜街道",
    "150602013000": "民族街道",
    "150602100000": "泊尔江海子镇",
    "150602101000": "罕台镇",
    "150602102000": "铜川镇",
}
"""NBS 统计用区划代码 (2022 list, via modood/Administrative-divisions-of-China)."""

FARMLAND_UNITS = {
    "罕台镇", "铜川镇", "泊尔江海子镇", "民族街道", "兴胜街道", "纺织街道",
    "幸福街道", "巴音门克街道", "诃额伦街道", "天骄街道", "富兴街道",
}  # fmt: skip
"""Seed 003, 东政办发〔2023〕61号 附件2."""


@pytest.fixture(scope="module")
def units(layers):
    return layers["streets_towns"]


@pytest.fixture(scope="module")
def district_metric(layers):
    district = layers["district"]
    return district[district["is_study_area"]].to_crs(METRIC).geometry.iloc[0]


def test_the_fifteen_units_carry_the_official_12_digit_codes(units):
    assert dict(zip(units["code"], units["name_zh"], strict=True)) == OFFICIAL_UNITS
    assert units["code"].str.fullmatch(r"\d{12}").all()
    assert (units["district_code"] == "150602000000").all()


def test_streets_and_towns_are_told_apart_by_the_code(units):
    towns = units.loc[units["unit_type"] == "town", "name_zh"]
    assert set(towns) == {"泊尔江海子镇", "罕台镇", "铜川镇"}
    assert (units["unit_type"] == "street").sum() == 12


def test_units_tile_the_district_without_gaps_or_overlaps(units, district_metric):
    polygons = units.to_crs(METRIC).geometry.values
    union = shapely.union_all(polygons)
    assert union.symmetric_difference(district_metric).area < 1e-6 * district_metric.area
    # Units are merged on a 1 cm snap-rounding grid, which can leave slivers a
    # few millimetres wide along shared edges: a few m² in 2165 km².
    assert sum(shapely.area(polygons)) - union.area < 10.0


def test_each_seat_lies_in_its_own_polygon(units):
    seats = shapely.points(units["seat_lon"], units["seat_lat"])
    assert shapely.contains(units.geometry.values, seats).all()


def test_sourced_seats_are_the_gazetteer_points_and_the_rest_say_which_rule(units):
    gazetteer = load_gazetteer()
    gazetteer = gazetteer[gazetteer["id"].str.startswith("U-")].set_index("division_code")
    for unit in units.itertuples():
        row = gazetteer.loc[unit.code]
        if pd.notna(row["lon"]):
            assert unit.seat_method == "sourced"
            assert (unit.seat_lon, unit.seat_lat) == pytest.approx(
                (row["lon"], row["lat"]), abs=1e-6
            )
        else:
            assert unit.seat_method.startswith("rule:")
            assert unit.seat_confidence in {"low", "none"}
    rule_units = set(units.loc[units["seat_method"] != "sourced", "name_zh"])
    assert rule_units == {
        "公园街道",
        "幸福街道",
        "纺织街道",
        "兴胜街道",
        "泊尔江海子镇",
    }


def test_every_polygon_is_flagged_approximate(units):
    assert (units["geometry_quality"] == "approximate").all()
    assert units["partition"].str.contains("not an official boundary").all()


def test_urban_streets_stay_small_and_towns_take_the_countryside(units):
    areas = units.set_index("name_zh")["area_m2"] / 1e6
    streets = areas[units.set_index("name_zh")["unit_type"] == "street"]
    towns = areas.drop(streets.index)
    # Streets share the 130 km² urban zone with the town cells that reach into
    # it (铜川镇's seat sits at the edge of the city).
    assert 100 < streets.sum() <= 130.5
    assert towns.min() > 10 * streets.max()


def test_area_attribute_is_the_gauss_kruger_area(units):
    measured = units.to_crs(METRIC).area
    assert units["area_m2"].to_numpy() == pytest.approx(measured.to_numpy(), abs=1.0)


def test_farmland_flag_matches_the_scheme_attachment(units):
    assert set(units.loc[units["in_farmland_grid"], "name_zh"]) == FARMLAND_UNITS
