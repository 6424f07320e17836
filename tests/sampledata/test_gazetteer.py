"""The shipped gazetteer keeps the shared rows and flags every added one."""

from __future__ import annotations

from geoservice.sampledata.gazetteer import load_gazetteer
from geoservice.sampledata.seats import COMMUNITY_CATEGORIES, UNIT_ROWS


def test_original_rows_are_kept_and_added_rows_are_flagged():
    gazetteer = load_gazetteer()
    original = gazetteer[gazetteer["added_by"] == ""]
    added = gazetteer[gazetteer["added_by"] != ""]
    assert len(original) == 44
    assert set(UNIT_ROWS) <= set(original.index)
    assert added.index.str.match(r"^(CM-\d{6}|SEAT-\d{3})$").all()


def test_every_coordinate_has_a_source_crs_and_a_confidence():
    gazetteer = load_gazetteer()
    located = gazetteer[gazetteer["lon"].notna()]
    assert (located["source"] != "").all()
    assert located["source_crs"].isin(["WGS84", "GCJ-02", "BD-09"]).all()
    assert (located["confidence"] != "none").all()
    assert located["lon"].between(109.0, 110.5).all()


def test_community_rows_belong_to_one_of_the_fifteen_units():
    gazetteer = load_gazetteer()
    unit_codes = set(gazetteer.loc[list(UNIT_ROWS), "division_code"])
    communities = gazetteer[gazetteer["category"].isin(COMMUNITY_CATEGORIES)]
    assert len(communities) == 20
    assert set(communities["division_code"].str[:9] + "000") <= unit_codes
