"""Results say how their inputs were located; symbolic positions are not measured from."""

from __future__ import annotations

import pytest

LOGISTICS = {"collection": "logistics"}
VILLAGES = {"collection": "villages"}
SYMBOLIC_LOGISTICS = 8
"""Logistics items the texts name but nothing locates (placement_method rule:symbolic)."""


def run(client, editor, process_id: str, inputs: dict):
    return client.post(f"/processes/{process_id}/execution", json={"inputs": inputs},
                       headers=editor)  # fmt: skip


def coverage(client, editor, **extra):
    inputs = {"facilities": LOGISTICS, "demand": VILLAGES, "distance_m": 3000, **extra}
    r = run(client, editor, "coverage", inputs)
    assert r.status_code == 200, r.text
    return r.json()


def test_coverage_on_the_logistics_layer_leaves_out_symbolic_positions_and_reports_it(
    client, editor
):
    results = coverage(client, editor)
    quality = results["data_quality"]
    facilities = quality["inputs"]["facilities"]
    assert facilities["collection"] == "logistics"
    assert facilities["symbolic"] == facilities["excluded_symbolic"] == SYMBOLIC_LOGISTICS
    assert facilities["used"] == facilities["features"] - SYMBOLIC_LOGISTICS
    parts = ("sourced", "proxy", "rule_placed", "symbolic", "unknown")
    assert sum(facilities[k] for k in parts) == facilities["features"]
    assert quality["inputs"]["demand"]["sourced"] == quality["inputs"]["demand"]["features"]
    assert quality["include_symbolic"] is False
    assert "symbolic" in quality["note"] and "include_symbolic" in quality["note"]
    assert quality["totals"]["excluded_symbolic"] == SYMBOLIC_LOGISTICS


def test_include_symbolic_measures_from_the_symbolic_positions_too(client, editor):
    without = coverage(client, editor)
    with_them = coverage(client, editor, include_symbolic=True)
    facilities = with_them["data_quality"]["inputs"]["facilities"]
    assert facilities["excluded_symbolic"] == 0
    assert facilities["used"] == facilities["features"]
    assert with_them["data_quality"]["include_symbolic"] is True
    assert "not real" in with_them["data_quality"]["note"]
    # the reference point sits in the urban core among the villages: it inflates coverage
    assert with_them["summary"]["feature_share"] > without["summary"]["feature_share"]


def test_a_result_collection_carries_the_data_quality_of_its_run(client, editor):
    results = coverage(client, editor)
    layer_id = results["demand"]["collection"]
    layer = client.app.state.runtime.catalog.catalog().get(layer_id)
    assert layer.data_quality == results["data_quality"]


def test_a_layer_of_only_symbolic_positions_is_refused_naming_the_input(client, editor):
    symbolic = {"collection": "logistics", "filter": "placement_method = 'rule:symbolic'"}
    r = run(client, editor, "coverage",
            {"facilities": symbolic, "demand": VILLAGES, "distance_m": 3000})  # fmt: skip
    assert r.status_code == 400, r.text
    assert "input 'facilities'" in r.text and "include_symbolic" in r.text


def test_every_process_lists_data_quality_among_its_outputs(client):
    for summary in client.get("/processes").json()["processes"]:
        described = client.get(f"/processes/{summary['id']}").json()
        assert "data_quality" in described["outputs"], summary["id"]
        assert "include_symbolic" in described["inputs"], summary["id"]


def test_2sfca_refuses_the_division_code_column_as_population_naming_it(client, editor):
    r = run(client, editor, "accessibility-2sfca",
            {"demand": VILLAGES, "supply": LOGISTICS, "population_column": "code",
             "distance_m": 5000})  # fmt: skip
    assert r.status_code == 400, r.text
    body = r.json()
    assert "population_column" in body["description"] and "'code'" in body["description"]
    assert "not a number" in body["description"]


@pytest.mark.parametrize("prefer", [None, "respond-async"])
def test_2sfca_refuses_a_code_as_population_before_any_job_sync_or_async(client, editor, prefer):
    headers = {**editor, **({"Prefer": prefer} if prefer else {})}
    before = client.get("/jobs", params={"processID": "accessibility-2sfca"}, headers=editor)
    r = client.post("/processes/accessibility-2sfca/execution", headers=headers,
                    json={"inputs": {"demand": VILLAGES, "supply": LOGISTICS,
                                     "population_column": "code", "distance_m": 5000}})  # fmt: skip
    assert r.status_code == 400, r.text  # not 201 with a job that fails later
    body = r.json()
    assert "population_column" in body["description"] and "'code'" in body["description"]
    assert "numeric_columns" in body.get("details", body)
    after = client.get("/jobs", params={"processID": "accessibility-2sfca"}, headers=editor)
    assert len(after.json()["jobs"]) == len(before.json()["jobs"])  # no job was created


def points(values: list[float], column: str = "population") -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {column: v, "households": 10},
             "geometry": {"type": "Point", "coordinates": [109.95 + 0.01 * i, 39.8]}}
            for i, v in enumerate(values)
        ],
    }  # fmt: skip


def test_2sfca_refuses_a_population_too_large_for_its_area_and_suggests_columns(client, editor):
    demand = points([150602001001.0, 150602001002.0], column="code_number")
    r = run(client, editor, "accessibility-2sfca",
            {"demand": demand, "supply": LOGISTICS, "population_column": "code_number",
             "distance_m": 5000})  # fmt: skip
    assert r.status_code == 400, r.text
    body = r.json()
    assert "'code_number'" in body["description"] and "per km²" in body["description"]
    assert "households" in body["description"]


def test_2sfca_refuses_negative_populations(client, editor):
    r = run(client, editor, "accessibility-2sfca",
            {"demand": points([100, -5]), "supply": LOGISTICS, "population_column": "population",
             "distance_m": 5000})  # fmt: skip
    assert r.status_code == 400, r.text
    assert "negative" in r.json()["description"]


def test_2sfca_accepts_a_plausible_population(client, editor):
    r = run(client, editor, "accessibility-2sfca",
            {"demand": points([1200, 3400]), "supply": LOGISTICS,
             "population_column": "population", "distance_m": 5000})  # fmt: skip
    assert r.status_code == 200, r.text


VILLAGES_NEAR_LOGISTICS = {
    "plan": "test",
    "indicators": [
        {"id": "villages-3km", "title": "Villages within 3 km of a logistics place",
         "type": "coverage_share", "facilities": {"layer": "logistics"},
         "demand": {"layer": "villages"}, "measure": "features", "distance_m": 3000,
         "target": {"op": ">=", "value": 0.9},
         "source": {"doc": "000", "quote": "test"}},
        {"id": "parks", "title": "Logistics parks", "type": "count",
         "features": {"layer": "logistics", "where": {"category": "park"}},
         "counted_items": "planned", "target": {"op": ">=", "value": 7},
         "source": {"doc": "000", "quote": "test"}},
    ],
}  # fmt: skip


def test_coverage_indicators_leave_symbolic_positions_out_and_counts_keep_them(client, editor):
    r = run(client, editor, "indicators", {"definitions": VILLAGES_NEAR_LOGISTICS})
    assert r.status_code == 200, r.text
    rows = {row["id"]: row for row in r.json()["indicators"]}
    coverage = rows["villages-3km"]
    assert coverage["data_quality"]["facilities"]["excluded_symbolic"] == SYMBOLIC_LOGISTICS
    assert coverage["method"]["distance_m"] == 3000
    parks = rows["parks"]
    assert parks["counted_items"] == "planned"
    assert parks["data_quality"]["features"]["features"] == parks["value"]
    with_them = run(client, editor, "indicators",
                    {"definitions": VILLAGES_NEAR_LOGISTICS, "include_symbolic": True})  # fmt: skip
    again = {row["id"]: row for row in with_them.json()["indicators"]}
    assert again["villages-3km"]["value"] > coverage["value"]
    assert again["parks"]["value"] == parks["value"]  # a count is not a distance


STUDY_AREA = {"collection": "district", "filter": "is_study_area = true"}
DISTANCE_CASES = {
    "nearest-facility": ("facilities", {"demand": VILLAGES, "facilities": LOGISTICS}),
    "huff": ("facilities", {"demand": VILLAGES, "facilities": LOGISTICS,
                            "attractiveness_value": 1}),
    "siting-mclp": ("existing", {"demand": VILLAGES, "existing": LOGISTICS,
                                 "boundary": STUDY_AREA, "candidate_spacing_m": 8000,
                                 "n_new": 1, "distance_m": 3000}),
    "accessibility-2sfca": ("supply", {"demand": points([1200, 3400]), "supply": LOGISTICS,
                                       "population_column": "population",
                                       "distance_m": 5000}),
}  # fmt: skip


@pytest.mark.parametrize("process_id", list(DISTANCE_CASES))
def test_every_distance_analysis_leaves_the_symbolic_logistics_out_and_says_so(
    client, editor, process_id
):
    name, inputs = DISTANCE_CASES[process_id]
    r = run(client, editor, process_id, inputs)
    assert r.status_code == 200, r.text
    counts = r.json()["data_quality"]["inputs"][name]
    assert counts["collection"] == "logistics"
    assert counts["excluded_symbolic"] == SYMBOLIC_LOGISTICS


def test_the_cli_says_what_the_data_quality_means_and_takes_include_symbolic(
    sample_settings, monkeypatch
):
    from typer.testing import CliRunner

    from geoservice.cli import app

    for key, value in {
        "GEOSERVICE_DATA_DIR": sample_settings.data_dir,
        "GEOSERVICE_GPKG_PATH": sample_settings.store_path,
        "GEOSERVICE_LAYERS_DIR": sample_settings.layers_dir,
        "GEOSERVICE_STYLES_DIR": sample_settings.styles_dir,
    }.items():
        monkeypatch.setenv(key, str(value))
    if sample_settings.database_url is not None:
        url = sample_settings.database_url.get_secret_value()
        monkeypatch.setenv("GEOSERVICE_DATABASE_URL", url)
    args = ["analyse", "coverage", "--facilities", "logistics", "--demand", "villages",
            "--distance-m", "3000"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"covered_features": 7' in result.output  # 35 % of the 20 villages
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "8 symbolic position(s) (not locations) were left out" in said
    result = CliRunner().invoke(app, [*args, "--include-symbolic", "true"])
    assert result.exit_code == 0, result.output
    assert '"covered_features": 16' in result.output  # 80 %: measured from the city centre
    assert "distances from them are not real" in " ".join(result.output.split())
