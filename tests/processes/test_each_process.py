"""Every process runs over HTTP on the sample and leaves readable result collections."""

from __future__ import annotations

import pytest

from tests.processes.conftest import wait_for

BUSINESS_CIRCLES = {"collection": "commercial_districts", "filter": "category = 'business_circle'"}
PLACED_LOGISTICS = {"collection": "logistics", "filter": "placement_method <> 'rule:symbolic'"}
STUDY_AREA = {"collection": "district", "filter": "is_study_area = true"}
HANTAI = "parent_code = '150602101000'"
LEVEL_2 = {"collection": "farmland_grid_units", "filter": "level = 2"}

CASES = {
    "coverage": {"facilities": PLACED_LOGISTICS, "demand": {"collection": "farmland_grid"},
                 "distance_m": 3000, "raster_cell_m": 1000},
    "isochrones": {"facilities": BUSINESS_CIRCLES, "roads": {"collection": "roads"},
                   "minutes": [10, 15]},
    "nearest-facility": {"demand": {"collection": "villages"}, "facilities": PLACED_LOGISTICS},
    "voronoi-catchments": {"facilities": {"collection": "villages"}, "boundary": STUDY_AREA},
    "huff": {"demand": {"collection": "villages"}, "facilities": BUSINESS_CIRCLES,
             "attractiveness_value": 1},
    "accessibility-2sfca": {"demand": LEVEL_2, "supply": PLACED_LOGISTICS,
                            "population_column": "n_cells", "distance_m": 5000,
                            "raster_cell_m": 2000},
    "siting-mclp": {"demand": {"collection": "villages"}, "boundary": STUDY_AREA,
                    "candidate_spacing_m": 8000, "n_new": 2, "distance_m": 3000},
    "siting-p-median": {"demand": {"collection": "villages"},
                        "candidates": {"collection": "villages"}, "n_new": 3},
    "farmland-grid": {"units": LEVEL_2, "cell_m": 5000},
    "farmland-grid-check": {"cells": {"collection": "farmland_grid"}, "parents": LEVEL_2},
    "farmland-grid-compare": {"old": {"collection": "farmland_grid", "version": 1},
                              "new": {"collection": "farmland_grid", "filter": HANTAI}},
    "farmland-boards": {"cells": {"collection": "farmland_grid"}, "roads": {"collection": "roads"},
                        "out_layer": "farmland_boards"},
    "indicators": {"file": "dongsheng-services-plan"},
}  # fmt: skip


def collections_of(results: dict) -> list[dict]:
    return [v for v in results.values() if isinstance(v, dict) and "collection" in v]


@pytest.mark.parametrize("process_id", list(CASES))
def test_process_runs_synchronously_and_its_collections_are_served(client, editor, process_id):
    r = client.post(
        f"/processes/{process_id}/execution", json={"inputs": CASES[process_id]}, headers=editor
    )
    assert r.status_code == 200, r.text
    results = r.json()
    assert "summary" in results
    for output in collections_of(results):
        assert output["href"].startswith("http")
        page = client.get(output["href"], params={"limit": 5})
        assert page.status_code == 200, output
        assert page.json()["numberMatched"] == output["numberOfFeatures"]
        meta = client.get(f"/collections/{output['collection']}").json()
        assert meta["id"] == output["collection"]
    if process_id != "indicators":
        assert collections_of(results)


@pytest.mark.parametrize("process_id", ["isochrones", "siting-p-median", "farmland-grid-check"])
def test_process_runs_asynchronously(client, editor, process_id):
    r = client.post(
        f"/processes/{process_id}/execution",
        json={"inputs": CASES[process_id]},
        headers={**editor, "Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    status, seen = wait_for(client, r.json()["jobID"])
    assert status["status"] == "successful", status
    assert seen[-1] == "successful" and status["progress"] == 100
    results = client.get(f"/jobs/{status['jobID']}/results").json()
    for output in collections_of(results):
        assert client.get(output["href"]).status_code == 200


def test_compare_finds_the_cells_a_filter_removed(client, editor):
    r = client.post(
        "/processes/farmland-grid-compare/execution",
        json={"inputs": CASES["farmland-grid-compare"]},
        headers=editor,
    )
    changes = r.json()["summary"]["changes"]
    assert changes["removed"] > 0 and changes["added"] == 0 and changes["changed"] == 0


def test_surfaces_are_cloud_optimized_geotiffs_with_a_style_sidecar(
    client, editor, sample_settings
):
    import json

    import numpy as np
    import rasterio

    inputs = {**CASES["coverage"], "out_layer": "cells_cover"}
    r = client.post("/processes/coverage/execution", json={"inputs": inputs}, headers=editor)
    surface = r.json()["surface"]
    assert surface["raster"] == "cells_cover_surface" and surface["href"].endswith(
        "/rasters/cells_cover_surface"
    )
    path = sample_settings.raster_dir / "cells_cover_surface.tif"
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4546
        assert src.profile["tiled"] and src.profile["compress"] == "deflate"
        values = set(np.unique(src.read(1)).tolist())
    assert values <= {0, 1} and 1 in values
    sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["raster"]["colormap"] == "greens" and sidecar["title"]["zh"]


def test_p_median_over_the_sample_roads_succeeds_and_reports_unreached_demand(client, editor):
    inputs = {**CASES["siting-p-median"], "roads": {"collection": "roads"}, "profile": "drive"}
    r = client.post("/processes/siting-p-median/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["cost"] == "minutes"
    assert "unreachable_features" in summary and "off_network_features" in summary


def test_a_failed_siting_model_is_a_client_error_with_a_message(client, editor, monkeypatch):
    from geoservice.analysis import siting

    def boom(*args, **kwargs):
        raise RuntimeError("Cannot multiply variables with NaN/inf values")

    monkeypatch.setattr(siting, "_quiet", boom)
    r = client.post(
        "/processes/siting-p-median/execution",
        json={"inputs": CASES["siting-p-median"]},
        headers=editor,
    )
    assert 400 <= r.status_code < 500, r.text
    assert "siting model could not be" in r.json()["description"]


def test_grid_check_with_the_whole_units_layer_checks_against_the_cells_level(client, editor):
    def check(parents):
        inputs = {"cells": {"collection": "farmland_grid"}, "parents": parents}
        r = client.post(
            "/processes/farmland-grid-check/execution", json={"inputs": inputs}, headers=editor
        )
        assert r.status_code == 200, r.text
        return r.json()["summary"]

    whole = check({"collection": "farmland_grid_units"})
    assert whole["parent_level"] == "2"
    level_2 = check(LEVEL_2)
    assert level_2["parent_level"] == "2" and list(level_2["levels"]) == ["3 in 2"]
    assert whole["levels"]["3 in 2"] == level_2["levels"]["3 in 2"]
    # the whole layer also checks level 2 in level 1, where the unlisted streets are named
    assert whole["levels"]["2 in 1"]["ok"] and whole["ok"] and level_2["ok"]
    assert len(whole["findings"]) == 1 and level_2["findings"] == []
