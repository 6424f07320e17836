"""The Dongsheng sample outputs (layers/dongsheng/outputs.yaml), produced over HTTP
exactly as `geoservice analyse outputs dongsheng` runs them."""

from __future__ import annotations

import pytest

from geoservice.processes.area_outputs import load_outputs
from tests.conftest import ROOT

DONGSHENG = load_outputs("dongsheng", ROOT / "layers" / "dongsheng")


@pytest.fixture
def outputs(client, editor):
    results = {}
    for step in DONGSHENG.steps:
        r = client.post(
            f"/processes/{step.process}/execution",
            json={"inputs": DONGSHENG.inputs_of(step)},
            headers=editor,
        )
        assert r.status_code == 200, (step.key, r.text)
        results[step.key] = r.json()
    return results


def test_dongsheng_outputs_are_collections_with_the_expected_answers(client, outputs):
    # 7 of the 20 sourced village points lie within 3 km of a placed logistics facility
    villages_summary = outputs["villages_logistics"]["summary"]
    assert (villages_summary["covered_features"], villages_summary["features"]) == (7, 20)
    villages = client.get(
        "/collections/dongsheng_villages_logistics_3km/items", params={"limit": 50}
    ).json()["features"]
    assert sum(f["properties"]["covered_share"] for f in villages) == 7
    assert (
        outputs["villages_logistics"]["surface"]["raster"]
        == "dongsheng_villages_logistics_3km_surface"
    )
    # farmland area within 3 km: a small share, and per level-2 unit
    assert 0.03 < outputs["cells_logistics"]["summary"]["area_share"] < 0.08
    units_href = outputs["cells_logistics"]["units"]["href"]
    units = client.get(units_href, params={"limit": 50}).json()["features"]
    assert len(units) == 11
    # the 铁西 circle (a proxy point) is farther than 500 m from the schematic roads
    facilities = outputs["business_circles_walk"]["facilities"]
    assert sum(f["off_network"] for f in facilities) == 1
    walk = client.get(outputs["business_circles_walk"]["isochrones"]["href"]).json()["features"]
    reached = sorted(f["properties"]["reached_length_m"] for f in walk)
    assert reached == [0.0, pytest.approx(3200.0)]  # 800 m each way along G109 and G210


def test_huff_uses_a_stated_equal_attractiveness(client, outputs):
    summary = outputs["huff"]["summary"]
    assert "assumed equal" in summary["attractiveness"]
    shares = client.get(outputs["huff"]["facilities"]["href"]).json()["features"]
    total = sum(f["properties"]["market_share"] for f in shares)
    assert len(shares) == 2 and total == pytest.approx(1.0)
    assert all(f["properties"]["attractiveness_assumed"] == 1.0 for f in shares)


UNLISTED = "4 urban streets not in 附件2, 16.9 km², no farmland expected: confirm"


def test_nesting_passes_with_only_the_named_finding_of_the_unlisted_streets(client, outputs):
    cells = outputs["nesting_cells"]["summary"]
    assert cells["ok"] and cells["problems"] == {} and cells["gap_area_m2"] == 0
    assert set(cells["levels"]) == {"3 in 2", "2 in 1"}
    assert [m.split(" (")[0] for m in cells["findings"]] == [UNLISTED]
    units = outputs["nesting_units"]["summary"]
    assert units["ok"] and units["problems"] == {} and units["gap_area_m2"] == 0
    assert units["findings"] == cells["findings"]
    features = client.get(
        outputs["nesting_units"]["problems"]["href"], params={"limit": 1000}
    ).json()["features"]
    assert [f["properties"]["problem"] for f in features] == ["not_in_scheme"]
    finding = features[0]
    assert 16.8e6 < finding["properties"]["area_m2"] < 17.0e6 and finding["geometry"] is not None


def test_indicators_never_invent_numbers(outputs):
    plan = {r["id"]: r for r in outputs["indicators_plan"]["indicators"]}
    assert plan["cultural-10min-circle"]["status"] == "not_evaluable"
    assert "population_cells" in plan["cultural-10min-circle"]["missing"]["layers"]
    assert plan["cultural-10min-circle"]["value"] is None
    assert plan["city-business-circles"]["status"] == "met"
    assert (
        plan["featured-streets"]["value"] == 5 and plan["featured-streets"]["status"] == "not_met"
    )
    express = outputs["indicators_express"]["indicators"]
    assert {r["status"] for r in express} == {"not_evaluable"}
    assert outputs["indicators_express"]["summary"]["layers_missing"] == ["express_points"]
