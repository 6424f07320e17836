"""site_search and match_park over HTTP on the Dongsheng sample, on both stores."""

from __future__ import annotations

import json

from tests.conftest import ROOT

SYNTHETIC_SITES = ROOT / "tests" / "data" / "idle_assets_synthetic.geojson"
EQUIPMENT_BASE = {"collection": "industrial_parks", "filter": "code = 'PK-01'"}
LOGISTICS_PARKS = {
    "collection": "logistics",
    "filter": "category = 'park' AND placement_method <> 'rule:symbolic'",
}
URBAN_CORE = (109.980459, 39.819683)


def synthetic_sites() -> dict:
    """The labelled synthetic idle-asset fixture (tests only, never served as real)."""
    return json.loads(SYNTHETIC_SITES.read_text(encoding="utf-8"))


def items(client, href: str) -> list[dict]:
    return client.get(href, params={"limit": 100}).json()["features"]


def test_site_search_answers_the_issue_question_on_the_synthetic_sites(client, editor):
    inputs = {
        "sites": synthetic_sites(),
        "min_area_ha": 5,
        "statuses": ["available"],
        "near": [
            {"name": "equipment_base", "layer": EQUIPMENT_BASE, "max_distance_m": 10_000,
             "label": "装备制造基地"},
            {"name": "logistics_park", "layer": LOGISTICS_PARKS, "max_distance_m": 2_000,
             "label": "物流园区"},
        ],
    }  # fmt: skip
    r = client.post("/processes/site_search/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["summary"]["meeting_all"] == 1
    ranked = sorted(items(client, result["sites"]["href"]), key=lambda f: f["properties"]["rank"])
    best = ranked[0]["properties"]
    assert best["code"] == "SYN-01" and best["meets_all"] is True
    assert 0 < best["equipment_base_value"] < 1_000  # parcel edge ~860 m east of the base point
    assert best["logistics_park_nearest"].startswith("呼铁物流园")
    by_code = {f["properties"]["code"]: f["properties"] for f in ranked}
    assert by_code["SYN-02"]["logistics_park_met"] is False  # 6 km north
    assert by_code["SYN-03"]["area_met"] is False  # 3 ha
    assert by_code["SYN-04"]["status_met"] is False  # reserved


def test_site_search_by_travel_time_over_the_sample_roads(client, editor):
    inputs = {
        "sites": synthetic_sites(),
        "near": [{"name": "core", "layer": {"collection": "district",
                                            "filter": "is_study_area = true"},
                  "max_minutes": 60}],
        "roads": {"collection": "roads"},
        "profile": "drive",
        "max_snap_m": 5000,
    }  # fmt: skip
    r = client.post("/processes/site_search/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["constraints"][0]["minutes"] == 60


def test_site_search_refuses_bad_inputs_with_a_clear_400(client, editor):
    cases = [
        ({"sites": synthetic_sites()}, "at least one constraint"),
        ({"sites": synthetic_sites(), "near": [{"name": "x", "layer": EQUIPMENT_BASE}]},
         "exactly one of max_distance_m and max_minutes"),
        ({"sites": synthetic_sites(),
          "near": [{"name": "x", "layer": EQUIPMENT_BASE, "max_minutes": 5}]},
         "roads"),
        ({"sites": {"collection": "idle_assets"}, "min_area_ha": 5}, "holds no features"),
    ]  # fmt: skip
    for inputs, message in cases:
        r = client.post("/processes/site_search/execution", json={"inputs": inputs}, headers=editor)
        assert r.status_code == 400, (inputs, r.text)
        assert message in r.text, r.text


def test_match_park_sends_agri_goods_west_and_building_materials_south(client, editor):
    lon, lat = URBAN_CORE
    shipments = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"goods": goods, "tonnage": tons},
             "geometry": {"type": "Point", "coordinates": [lon, lat]}}
            for goods, tons in (("agri_food", 20), ("building_materials", 40), ("coal", 10))
        ],
    }  # fmt: skip
    inputs = {"shipments": shipments, "parks": {"collection": "logistics_zones"}}
    r = client.post("/processes/match_park/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    result = r.json()
    features = items(client, result["shipments"]["href"])
    out = {f["properties"]["goods"]: f["properties"] for f in features}
    assert out["agri_food"]["park"] == "LZ-W" and out["agri_food"]["function_match"] is True
    assert out["building_materials"]["park"] == "LZ-S"
    assert out["coal"]["function_match"] is False
    assert "no park is assigned" in out["coal"]["reason"]
    assert sum(result["summary"]["tonnage_by_park"].values()) == 70
    assert result["summary"]["without_park_for_goods"] == 1
    assert len(items(client, result["links"]["href"])) == 3


def test_idle_assets_are_maintained_with_uploads_and_edits_on_versions(client, editor, tmp_path):
    """The office fills the empty layer with an upload, then edits one site's status."""
    with SYNTHETIC_SITES.open("rb") as f:
        r = client.post(
            "/collections/idle_assets/uploads",
            files={"file": ("sites.geojson", f, "application/octet-stream")},
            data={"message": "synthetic fixture (tests only)"},
            headers=editor,
        )
    assert r.status_code == 201, r.text
    found = client.get("/collections/idle_assets/items", params={"code": "SYN-01"}).json()
    feature = found["features"][0]
    assert feature["properties"]["status"] == "available"
    url = f"/collections/idle_assets/items/{feature['id']}"
    etag = client.get(url).headers["etag"]
    r = client.patch(
        url,
        json={"properties": {"status": "reserved"}},
        headers={**editor, "Content-Type": "application/merge-patch+json", "If-Match": etag},
    )
    assert r.status_code == 204, r.text
    versions = client.get("/collections/idle_assets/versions").json()
    assert versions["current"] == 3  # empty schema, upload, edit
    assert [v["action"] for v in versions["versions"]][1] == "upload"
    assert client.get(url).json()["properties"]["status"] == "reserved"
    r = client.patch(
        url,
        json={"properties": {"status": "sold"}},
        headers={**editor, "Content-Type": "application/merge-patch+json",
                 "If-Match": client.get(url).headers["etag"]},
    )  # fmt: skip
    assert r.status_code in (400, 422) and "status" in r.text  # not one of the declared statuses


def test_match_park_results_are_drawn_on_the_logistics_e_map(client, editor):
    lon, lat = URBAN_CORE
    shipments = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"goods": "agri_food", "tonnage": 20},
             "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        ],
    }  # fmt: skip
    inputs = {"shipments": shipments, "parks": {"collection": "logistics_zones"}}
    r = client.post("/processes/match_park/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    result_id = r.json()["shipments"]["href"].rstrip("/").split("/collections/")[1].split("/")[0]
    title = client.get(f"/collections/{result_id}").json()["title"]

    page = client.get("/maps/logistics")

    assert page.status_code == 200
    assert title in page.text  # the result collection is a layer of the e-map
