"""The new study areas as the service serves them, from both stores.

``/areas`` lists four areas; each new area lists its collections; every feature
served has a source and a geometry quality; the areas' vector tiles carry their
features; their indicator files evaluate (met where the data are there, "not
evaluable, missing X" where not); and a process in Inner Mongolia measures in the
area's Albers CRS.
"""

from __future__ import annotations

import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient

from geoservice.quality import GEOMETRY_QUALITIES
from tests.areas.conftest import NEW_AREAS, make_settings
from tests.conftest import create_key, fill_store

INDICATOR_FILES = {
    "wuhai": "wuhai-services-plan",
    "chongqing": "chongqing-services-plan",
    "inner_mongolia": "inner-mongolia-services-clusters",
}
TILE_PROBES = {  # a layer of the area and a zoom at which its tiles are served
    "wuhai": ("wuhai_districts", 9),
    "chongqing": ("chongqing_structure", 7),
    "inner_mongolia": ("inner_mongolia_counties", 6),
}


@pytest.fixture(
    scope="module", params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)]
)
def served(request, area_frames, tmp_path_factory):
    """(client, settings) over a store of each kind holding the three areas."""
    if request.param == "geopackage":
        settings = request.getfixturevalue("areas_settings")
        yield request.getfixturevalue("areas_client"), settings
        return
    from geoservice.app import create_app

    url = request.getfixturevalue("postgis_url")
    settings = make_settings(tmp_path_factory.mktemp("areas_pg"), "postgis", database_url=url)
    fill_store(settings, area_frames)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def test_areas_lists_the_four_study_areas(areas_client):
    areas = {a["id"]: a for a in areas_client.get("/areas").json()["areas"]}
    assert list(areas) == ["dongsheng", "chongqing", "inner_mongolia", "wuhai"]  # default first
    assert [a for a, doc in areas.items() if doc["default"]] == ["dongsheng"]
    html = areas_client.get("/areas", params={"f": "html"})
    assert html.status_code == 200 and "重庆市" in html.text and "内蒙古自治区" in html.text


@pytest.mark.parametrize("area", NEW_AREAS)
def test_each_area_lists_its_own_collections(served, area_layers, area):
    client, _ = served
    got = {c["id"] for c in client.get("/collections", params={"area": area}).json()["collections"]}
    assert got == set(area_layers[area])
    doc = client.get(f"/areas/{area}").json()
    assert set(doc["collections"]) == set(area_layers[area])
    page = client.get(f"/areas/{area}", params={"f": "html"})
    assert page.status_code == 200 and doc["title"] in page.text


def test_every_served_feature_has_source_and_geometry_quality(served, area_frames):
    client, _ = served
    for layer_id, frame in area_frames.items():
        r = client.get(f"/collections/{layer_id}/items", params={"limit": 1000})
        assert r.status_code == 200, (layer_id, r.text)
        page = r.json()
        assert page["numberMatched"] == len(frame) == len(page["features"]), layer_id
        for feature in page["features"]:
            props = feature["properties"]
            assert props["source"].strip(), (layer_id, feature["id"])
            assert props["geometry_quality"] in GEOMETRY_QUALITIES, layer_id


@pytest.mark.parametrize("area", NEW_AREAS)
def test_the_areas_vector_tiles_carry_its_features(served, area_frames, area):
    client, _ = served
    layer_id, zoom = TILE_PROBES[area]
    point = area_frames[layer_id].geometry.iloc[0].representative_point()
    tile = morecantile.tms.get("WebMercatorQuad").tile(point.x, point.y, zoom)
    r = client.get(
        f"/collections/{layer_id}/tiles/WebMercatorQuad/{zoom}/{tile.y}/{tile.x}",
        params={"area": area},
    )
    assert r.status_code == 200, r.text
    features = mapbox_vector_tile.decode(r.content)[layer_id]["features"]
    assert features and all("geometry_quality" in f["properties"] for f in features)


@pytest.mark.parametrize("area", NEW_AREAS)
def test_indicators_evaluate_where_data_exist_and_name_what_is_missing(
    areas_client, areas_settings, area
):
    editor = {"Authorization": f"Bearer {create_key(areas_settings, 'editor', f'ed-{area}')}"}
    body = {"inputs": {"file": INDICATOR_FILES[area], "area": area}}
    r = areas_client.post("/processes/indicators/execution", json=body, headers=editor)
    assert r.status_code == 200, r.text
    rows = {row["id"]: row for row in r.json()["indicators"]}
    for row in rows.values():
        assert row["source"]["doc"] in ("001", "002", "004") and row["source"]["line"]
        if row["status"] == "not_evaluable":
            assert row["value"] is None and row["missing"], row["id"]
        else:
            assert row["value"] is not None, row["id"]
    evaluable = {i for i, row in rows.items() if row["status"] != "not_evaluable"}
    expected = {
        "wuhai": {"town-elderly-care-centres"},
        "chongqing": {"commercial-streets", "night-market-streets", "ecommerce-parks", "it-parks",
                      "culture-parks", "outsourcing-zones", "health-parks", "market-clusters"},
        "inner_mongolia": {"international-express-centre", "national-express-hub",
                           "regional-express-hubs", "border-port-express-hubs"},
    }  # fmt: skip
    assert evaluable == expected[area]
    if area == "wuhai":
        assert rows["town-elderly-care-centres"]["status"] == "met"
        assert "wuhai_convenience_services" in rows["living-circle-15min"]["missing"]["layers"]
    if area == "chongqing":
        assert rows["outsourcing-zones"]["value"] == 15
        assert "services_va_yi" in rows["services-value-added"]["comparison"]
    if area == "inner_mongolia":
        assert all(rows[i]["status"] == "met" for i in expected[area])
        assert rows["regional-express-hubs"]["value"] == 11


def test_a_process_in_inner_mongolia_measures_in_its_albers_crs(
    areas_client, areas_settings, project_catalog
):
    editor = {"Authorization": f"Bearer {create_key(areas_settings, 'editor', 'ed-im')}"}
    inputs = {
        "facilities": {"collection": "inner_mongolia_express_hubs"},
        "demand": {"collection": "inner_mongolia_county_seats"},
        "distance_m": 100_000,
        "out_layer": "inner_mongolia_seats_hub_100km",
    }
    r = areas_client.post("/processes/coverage/execution", json={"inputs": inputs}, headers=editor)
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert "+proj=aea" in summary["crs"] and "+lon_0=111.5" in summary["crs"]
    assert 0 < summary["covered_features"] < summary["features"] == 103
    result = areas_client.get("/collections/inner_mongolia_seats_hub_100km").json()
    assert result["geoservice:area"] == "inner_mongolia"
