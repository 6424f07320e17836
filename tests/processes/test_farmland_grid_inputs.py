"""farmland-grid and farmland-grid-check over HTTP: obvious inputs, village outlines."""

from __future__ import annotations

import json

import geopandas as gpd
import shapely

HANTAI = "150602101000"
UNITS = {"collection": "farmland_grid_units"}


def test_check_without_parents_on_one_level_is_a_400_saying_what_to_give(client, editor):
    r = client.post(
        "/processes/farmland-grid-check/execution",
        json={"inputs": {"cells": {"collection": "farmland_grid"}}},
        headers=editor,
    )
    assert r.status_code == 400, r.text
    assert "give the parents" in r.text


def test_check_of_a_layer_against_itself_reads_its_levels(client, editor):
    r = client.post(
        "/processes/farmland-grid-check/execution",
        json={"inputs": {"cells": UNITS, "parents": UNITS}},
        headers=editor,
    )
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["ok"] and summary["problems"] == {}
    assert list(summary["levels"]) == ["2 in 1"]
    assert summary["findings"][0].startswith("4 urban streets not in 附件2, 16.9 km²")


def synthetic_villages(sample_layers) -> dict:
    """Two made-up village outlines over part of 罕台镇, one spilling 3 m over its border."""
    units = sample_layers["farmland_grid_units"].to_crs("EPSG:4546")
    hantai = units.loc[units["code"] == HANTAI, "geometry"].iloc[0]
    minx, miny, maxx, maxy = hantai.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    first = shapely.intersection(shapely.box(minx, miny, midx, midy), hantai).buffer(3)
    second = shapely.difference(shapely.box(midx, miny, maxx, midy), first)
    frame = gpd.GeoDataFrame(
        {"code": ["V001", "V002"], "name": ["甲村（虚构）", "乙村（虚构）"]},
        geometry=[first, second],
        crs="EPSG:4546",
    ).to_crs("EPSG:4326")
    return json.loads(frame.to_json())


def test_village_outlines_become_level_3_with_the_lattice_as_labelled_fallback(
    client, editor, sample_layers
):
    level2 = {"collection": "farmland_grid_units", "filter": f"code = '{HANTAI}'"}
    r = client.post(
        "/processes/farmland-grid/execution",
        json={"inputs": {"units": level2, "villages": synthetic_villages(sample_layers),
                         "cell_m": 2000}},
        headers=editor,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    href = r.json()["grid"]["href"]
    cells = client.get(href, params={"limit": 1000}).json()["features"]
    basis = {f["properties"]["code"]: f["properties"]["basis"] for f in cells}
    villages = sorted(c for c, b in basis.items() if b == "village_boundary")
    assert villages == [f"{HANTAI}-V001", f"{HANTAI}-V002"]
    assert any(b == "lattice_fallback" for b in basis.values())
    check = client.post(
        "/processes/farmland-grid-check/execution",
        json={"inputs": {"cells": {"collection": r.json()["grid"]["collection"]},
                         "parents": UNITS}},
        headers=editor,
    )  # fmt: skip
    assert check.status_code == 200, check.text
    summary = check.json()["summary"]
    # level 3 (villages + fallback) nests in 罕台镇; the other ten units have no cells here
    assert set(summary["levels"]["cells in 2"]["problems"]) == {"gap"}
    assert summary["levels"]["2 in 1"]["ok"]
    problems = client.get(check.json()["problems"]["href"], params={"limit": 100}).json()
    gapped = {f["properties"]["parent_code"] for f in problems["features"]
              if f["properties"]["problem"] == "gap"}  # fmt: skip
    assert len(gapped) == 10 and HANTAI not in gapped


def test_farmland_grid_cells_carry_the_quality_of_their_boundary(client, editor, sample_layers):
    units = sample_layers["farmland_grid_units"]
    district = units[units["level"] == 1].iloc[0]
    villages = synthetic_villages(sample_layers)
    for feature in villages["features"]:
        feature["properties"].update(
            geometry_quality="official_boundary", source="uploaded by GIS staff (test)"
        )
    inputs = {
        "units": {"collection": "farmland_grid_units", "filter": "level = 1"},
        "villages": villages,
        "cell_m": 5000,
        "min_area_m2": 0,  # nothing merged: a merged-in lattice sliver makes a cell approximate
    }
    r = client.post("/processes/farmland-grid/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    cells = client.get(r.json()["grid"]["href"], params={"limit": 1000}).json()["features"]
    quality = {f["properties"]["code"]: f["properties"]["geometry_quality"] for f in cells}
    source = {f["properties"]["code"]: f["properties"]["source"] for f in cells}
    village = f"{district['code']}-V001"
    # the district's published outline and the village's: as good as both
    assert quality[village] == "official_boundary"
    stated = "village V001 (outline official_boundary; source: uploaded by GIS staff (test))"
    assert source[village].startswith(stated)
    assert f"unit {district['code']} (outline official_boundary; source: " in source[village]
    # lattice squares stand in for villages nobody drew
    lattice = [f["properties"] for f in cells if f["properties"]["basis"] == "lattice_fallback"]
    assert lattice and {c["geometry_quality"] for c in lattice} == {"approximate"}
    # and the result counts its inputs by how they were located
    counted = r.json()["data_quality"]["inputs"]
    assert counted["units"]["collection"] == "farmland_grid_units"
    assert counted["units"]["sourced"] == counted["units"]["features"] == 1
    assert counted["villages"]["sourced"] == counted["villages"]["features"] == 2
