"""OGC API Features over HTTP, on both stores."""

from __future__ import annotations

import io
import json

import pyogrio
import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from tests.api.conftest import COUNTRIES, PLACES

pytestmark = pytest.mark.usefixtures("store_kind")


def test_browsers_get_a_favicon_not_a_404(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")


def test_landing_page_links_to_api_conformance_and_data(client):
    doc = client.get("/").json()
    rels = {link["rel"] for link in doc["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels


def test_conformance_declares_core_crs_and_cql2(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes


def test_api_definition_is_openapi_30(client):
    response = client.get("/api")
    doc = response.json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in doc["paths"]
    text = json.dumps(doc)
    assert '"type": "null"' not in text


def test_collections_list_every_layer_with_extent_and_crs(client):
    doc = client.get("/collections").json()
    ids = {c["id"] for c in doc["collections"]}
    assert ids == {COUNTRIES, PLACES, "ne_110m_rivers_lake_centerlines"}
    places = next(c for c in doc["collections"] if c["id"] == PLACES)
    assert places["extent"]["spatial"]["bbox"][0][0] == pytest.approx(-175.22, abs=0.01)
    assert "http://www.opengis.net/def/crs/EPSG/0/4546" in places["crs"]
    assert places["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_unknown_collection_is_404_with_a_json_message(client):
    response = client.get("/collections/nope/items")
    assert response.status_code == 404
    assert "nope" in response.json()["description"]


def test_items_page_has_counts_and_next_link(client):
    response = client.get(f"/collections/{PLACES}/items", params={"limit": 5})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    doc = response.json()
    assert doc["numberReturned"] == 5 and doc["numberMatched"] == 243
    nxt = next(link for link in doc["links"] if link["rel"] == "next")
    following = client.get(nxt["href"]).json()
    assert [f["id"] for f in following["features"]] == [6, 7, 8, 9, 10]
    assert any(link["rel"] == "prev" for link in following["links"])


def test_limit_above_maximum_is_clamped(api_settings):
    # The layer (243 places) must be larger than the maximum, or a clamp and no
    # clamp would answer alike.
    api = api_settings.api.model_copy(update={"max_limit": 100})
    with TestClient(create_app(api_settings.model_copy(update={"api": api}))) as client:
        doc = client.get(f"/collections/{PLACES}/items", params={"limit": 50000}).json()
    assert doc["numberReturned"] == 100 and doc["numberMatched"] == 243
    assert any(link["rel"] == "next" for link in doc["links"])


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "ten"},
        {"limit": "0"},
        {"offset": "-1"},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"crs": "EPSG:9999"},
        {"bbox-crs": "urn:nothing"},
        {"filter": "name = "},
        {"filter": "nope = 1"},
        {"filter-lang": "ecql", "filter": "name='x'"},
        {"sortby": "-nope"},
        {"properties": "name,nope"},
        {"f": "xlsx"},
        {"unexpected": "1"},
        {"pop_max": "many"},
    ],
)
def test_bad_parameters_are_400_with_a_message(client, params):
    response = client.get(f"/collections/{PLACES}/items", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["description"]


def test_property_equality_and_cql2_filters(client):
    url = f"/collections/{PLACES}/items"
    assert client.get(url, params={"name": "Tokyo"}).json()["numberReturned"] == 1
    doc = client.get(url, params={"filter": "pop_max > 10000000", "limit": 100}).json()
    assert doc["numberMatched"] == 17
    cql_json = json.dumps({"op": "=", "args": [{"property": "name"}, "Tokyo"]})
    doc = client.get(url, params={"filter": cql_json, "filter-lang": "cql2-json"}).json()
    assert [f["properties"]["name"] for f in doc["features"]] == ["Tokyo"]


def test_crs_parameter_reprojects_and_sets_content_crs(client):
    url = f"/collections/{PLACES}/items"
    response = client.get(url, params={"name": "Tokyo", "crs": "EPSG:4326"})
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    lat, lon = response.json()["features"][0]["geometry"]["coordinates"]
    assert lat == pytest.approx(35.69, abs=0.01) and lon == pytest.approx(139.75, abs=0.02)
    merc = client.get(url, params={"name": "Tokyo", "crs": "EPSG:3857"}).json()
    x, _ = merc["features"][0]["geometry"]["coordinates"]
    assert x == pytest.approx(15_557_000, rel=0.001)


def test_bbox_crs_in_latitude_first_order(client):
    url = f"/collections/{PLACES}/items"
    crs84 = client.get(url, params={"bbox": "0,40,10,50"}).json()
    lat_first = client.get(
        url,
        params={
            "bbox": "40,0,50,10",
            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326",
        },
    ).json()
    assert crs84["numberMatched"] == lat_first["numberMatched"] == 7


@pytest.mark.parametrize(
    ("bbox", "bbox_crs", "expected"),
    [
        ("100,20,120,45", "EPSG:4326", "bbox=20,100,45,120"),  # lon first for a lat-first CRS
        ("420000,4400000,520000,4450000", "EPSG:4546", "bbox=4400000,420000,4450000,520000"),
    ],
)
def test_a_bbox_given_in_the_other_axis_order_is_refused_with_the_order_to_use(
    client, bbox, bbox_crs, expected
):
    r = client.get(f"/collections/{PLACES}/items", params={"bbox": bbox, "bbox-crs": bbox_crs})

    assert r.status_code == 400, r.text
    description = r.json()["description"]
    assert "first" in description and expected in description


def test_a_bbox_in_the_crs_axis_order_is_served(client):
    r = client.get(
        f"/collections/{PLACES}/items",
        params={"bbox": "4400000,420000,4450000,520000", "bbox-crs": "EPSG:4546"},
    )

    assert r.status_code == 200, r.text


def test_sortby_and_properties(client):
    doc = client.get(
        f"/collections/{PLACES}/items",
        params={"sortby": "-pop_max", "properties": "name,pop_max", "limit": 2},
    ).json()
    assert [f["properties"]["name"] for f in doc["features"]] == ["Tokyo", "New York"]
    assert set(doc["features"][0]["properties"]) == {"name", "pop_max"}


def test_single_feature_and_missing_feature(client):
    response = client.get(f"/collections/{PLACES}/items/1")
    assert response.status_code == 200 and response.json()["id"] == 1
    assert client.get(f"/collections/{PLACES}/items/99999").status_code == 404
    assert client.get(f"/collections/{PLACES}/items/abc").status_code == 400


def test_etag_gives_304_when_unchanged(client):
    url = f"/collections/{PLACES}/items?limit=3"
    etag = client.get(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    other = client.get(url + "&offset=3").headers["etag"]
    assert other != etag


def test_queryables_are_json_schema_of_the_attributes(client):
    doc = client.get(f"/collections/{PLACES}/queryables").json()
    assert doc["properties"]["pop_max"] == {"type": "integer"}
    assert doc["properties"]["start"]["format"] == "date-time"
    assert "geometry" in doc["properties"]


def test_html_rendering_of_collections_and_items(client):
    page = client.get("/collections", params={"f": "html"})
    assert page.headers["content-type"].startswith("text/html") and PLACES in page.text
    items = client.get(f"/collections/{PLACES}/items", headers={"Accept": "text/html"})
    assert "Vatican City" in items.text


@pytest.mark.parametrize("fmt", ["gpkg", "fgb"])
def test_whole_layer_downloads_read_back_with_gdal(client, fmt, tmp_path):
    response = client.get(f"/collections/{COUNTRIES}/items", params={"f": fmt})
    assert response.status_code == 200
    path = tmp_path / f"countries.{fmt}"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 177 and "NAME" in frame.columns


def test_geojson_download_streams_every_feature(client):
    response = client.get(f"/collections/{COUNTRIES}/download")
    doc = json.load(io.BytesIO(response.content))
    assert len(doc["features"]) == 177


def test_cors_is_open_for_reads(client):
    response = client.get("/collections", headers={"Origin": "https://planner.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_large_responses_are_gzipped(client):
    response = client.get(
        f"/collections/{COUNTRIES}/items",
        params={"limit": 50},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.headers["content-encoding"] == "gzip"


def test_machine_clients_get_big_pages_and_people_small_ones(client):
    doc = client.get(f"/collections/{PLACES}/items").json()
    assert doc["numberReturned"] == 243  # the default page (1 000) holds the layer

    html = client.get(f"/collections/{PLACES}/items", params={"f": "html"}).text
    assert html.count("<tr>") == 1 + 10  # a header row and ten features for people
