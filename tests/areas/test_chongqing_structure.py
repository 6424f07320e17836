"""Chongqing's "one core, one ring, two belts": built from the plan's district lists.

The lists below are the plan's own words (seed 004, lines 273-280); the test checks
each name is on its cited line, maps it to its district, and compares the result
with the districts layer and with the merged structure layer.
"""

from __future__ import annotations

import pytest
import shapely

from tests.areas.conftest import seed_line

PLAN_LISTS = {
    "ring": (276, ["江津", "璧山", "合川", "长寿", "涪陵", "永川", "大足", "荣昌", "綦江", "铜梁",
                   "潼南", "万盛", "南川"]),
    "northeast_belt": (278, ["万州", "开州", "梁平", "云阳", "垫江", "忠县", "丰都", "奉节",
                             "巫山"]),
    "southeast_belt": (280, ["黔江", "武隆", "石柱", "秀山", "彭水"]),
}  # fmt: skip
ALIASES = {"万盛": "綦江区"}
"""万盛 is the 万盛经开区, which administers part of 綦江区 (no district of its own since 2011)."""
CORE_LINE = 273
MAIN_CITY = {"渝中区", "大渡口区", "江北区", "沙坪坝区", "九龙坡区", "南岸区", "北碚区",
             "渝北区", "巴南区"}  # fmt: skip
"""主城 (the core) is not listed by the plan; it is read as the nine central districts."""


def district_of(name: str, districts) -> str:
    if name in ALIASES:
        return ALIASES[name]
    (match,) = [d for d in districts if d.startswith(name)]
    return match


def test_plan_lists_are_quoted_from_their_lines():
    for line, names in PLAN_LISTS.values():
        text = seed_line("004", line)
        for name in names:
            assert name in text, (line, name)
    assert "以主城“一核”为载体" in seed_line("004", CORE_LINE)


def test_membership_equals_the_plans_lists(area_frames):
    districts = area_frames["chongqing_districts"]
    names = list(districts["name_zh"])
    for structure, (_, plan_names) in PLAN_LISTS.items():
        expected = {district_of(name, names) for name in plan_names}
        got = set(districts.loc[districts["structure"] == structure, "name_zh"])
        assert got == expected, structure
    assert set(districts.loc[districts["structure"] == "core", "name_zh"]) == MAIN_CITY
    unassigned = set(districts.loc[districts["structure"] == "", "name_zh"])
    assert unassigned == {"城口县", "巫溪县", "酉阳土家族苗族自治县"}  # not named by the plan


def test_each_part_is_the_union_of_its_members_not_a_drawing(area_frames):
    districts = area_frames["chongqing_districts"].to_crs(4545)
    structure = area_frames["chongqing_structure"].set_index("structure").to_crs(4545)
    assert list(structure.index) == ["core", "ring", "northeast_belt", "southeast_belt"]
    for part, row in structure.iterrows():
        members = districts[districts["structure"] == part]
        assert row["n_members"] == len(members)
        assert set(row["members_zh"].split("、")) == set(members["name_zh"])
        union = shapely.union_all(members.geometry.values)
        assert shapely.symmetric_difference(row.geometry, union).area < 1e-6 * union.area
    # 主城九区 is about 5,473 km²; the ring and belts do not overlap the core.
    assert structure.loc["core"].geometry.area / 1e6 == pytest.approx(5470, rel=0.01)
    core = structure.loc["core"].geometry
    for part in ("ring", "northeast_belt", "southeast_belt"):
        assert structure.loc[part].geometry.intersection(core).area < 1e3  # m², shared edges only
