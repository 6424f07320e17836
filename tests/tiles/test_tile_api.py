"""OGC API Tiles over HTTP: documents, MVT content, errors, caching headers, budgets."""

from __future__ import annotations

import zlib

import mapbox_vector_tile
import pytest
import shapely

from geoservice.crs import reproject_bbox
from geoservice.storage.base import FeatureQuery
from geoservice.storage.postgis_notify import wait_until
from geoservice.tiles.tms import TileAddress, tile_bounds
from tests.tiles.conftest import decode_tile

MVT = "application/vnd.mapbox-vector-tile"
Z12 = TileAddress("WebMercatorQuad", 12, 1553, 3299)  # central Dongsheng


def _url(collection: str, address: TileAddress) -> str:
    return f"/collections/{collection}/tiles/{address}"


def test_conformance_declares_the_tiles_classes(client):
    conforms = client.get("/conformance").json()["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf"
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "png"):
        assert f"{base}/{name}" in conforms


def test_collection_links_to_its_tilesets_and_style(client):
    links = client.get("/collections/farmland_grid").json()["links"]
    rels = {link["rel"] for link in links}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" in rels
    assert "stylesheet" in rels


def test_tile_matrix_sets_are_listed_and_defined(client):
    ids = [t["id"] for t in client.get("/tileMatrixSets").json()["tileMatrixSets"]]
    assert ids == ["WebMercatorQuad", "WorldCRS84Quad"]
    doc = client.get("/tileMatrixSets/WorldCRS84Quad").json()
    assert doc["tileMatrices"][0]["matrixWidth"] == 2
    assert client.get("/tileMatrixSets/Nope").status_code == 404


def test_tileset_describes_limits_layer_schema_and_template(client):
    sets = client.get("/collections/farmland_grid/tiles").json()["tilesets"]
    assert {s["tileMatrixSetURI"].rsplit("/", 1)[1] for s in sets} == {
        "WebMercatorQuad",
        "WorldCRS84Quad",
    }
    doc = client.get("/collections/farmland_grid/tiles/WebMercatorQuad").json()
    assert doc["dataType"] == "vector"
    limits = {lim["tileMatrix"]: lim for lim in doc["tileMatrixSetLimits"]}
    assert min(map(int, limits)) == 9  # layers/farmland_grid.yaml tiles.min_zoom
    z12 = limits["12"]
    assert z12["minTileRow"] <= Z12.row <= z12["maxTileRow"]
    assert z12["minTileCol"] <= Z12.col <= z12["maxTileCol"]
    (layer,) = doc["layers"]
    assert set(layer["propertiesSchema"]["properties"]) == {
        "code",
        "parent_code",
        "level",
        "area_m2",
        "is_clipped",
    }
    item = next(link for link in doc["links"] if link["rel"] == "item" and link["type"] == MVT)
    assert item["templated"] and item["href"].endswith(
        "/collections/farmland_grid/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
    )


def test_vector_tile_matches_the_source_features(client):
    r = client.get(_url("farmland_grid", Z12))
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    features = decode_tile(r.content, Z12)["farmland_grid"]
    store = client.app.state.runtime.store
    layer = client.app.state.runtime.catalog.catalog().get("farmland_grid")
    west, south, east, north = reproject_bbox(tile_bounds(Z12), "EPSG:3857", "OGC:CRS84")
    margin = (east - west) / 10
    inner_box = (west + margin, south + margin, east - margin, north - margin)
    inner = store.query(layer, FeatureQuery(bbox=inner_box, limit=None))
    assert len(inner.rows) > 10
    unit = 360 / 2**Z12.z / 4096  # one tile unit, in degrees of longitude
    buffered = shapely.box(west, south, east, north).buffer(64 * unit, join_style="mitre")
    for i, fid in enumerate(inner.rows.ids):
        source = inner.rows.geometries[i]
        if fid not in features:  # slivers may collapse when snapped to the tile grid
            assert source.area < 4 * unit**2
            continue
        geom, props = features[fid]
        assert props == {
            name: inner.rows.properties[name][i]
            for name in ("code", "parent_code", "level", "area_m2", "is_clipped")
        } | {"area_m2": pytest.approx(inner.rows.properties["area_m2"][i])}
        clipped = source.intersection(buffered)
        assert geom.symmetric_difference(clipped).area < clipped.length * unit


def test_properties_parameter_selects_tile_attributes(client):
    r = client.get(_url("farmland_grid", Z12), params={"properties": "code"})
    features = decode_tile(r.content, Z12)["farmland_grid"]
    assert {tuple(p) for _, p in features.values()} == {("code",)}
    assert client.get(_url("farmland_grid", Z12), params={"properties": "nope"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/collections/farmland_grid/tiles/Nope/12/1553/3299", 404),
        ("/collections/farmland_grid/tiles/WebMercatorQuad/25/0/0", 404),
        ("/collections/farmland_grid/tiles/WebMercatorQuad/3/8/0", 404),  # row > 7
        ("/collections/farmland_grid/tiles/WebMercatorQuad/3/0/-1", 404),
        ("/collections/farmland_grid/tiles/WebMercatorQuad/x/0/0", 400),
        ("/collections/farmland_grid/tiles/WebMercatorQuad/5/12/25", 404),  # below min zoom
        ("/collections/nope/tiles/WebMercatorQuad/12/1553/3299", 404),
        ("/collections/farmland_grid/tiles/WebMercatorQuad/12/0/0", 204),  # no data there
        ("/tiles/WebMercatorQuad/12/1553/3299?collections=nope", 400),
    ],
)
def test_tile_errors_and_empty_tiles(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text
    if status == 204:
        assert r.content == b""


def test_etag_revalidation_answers_304(client):
    first = client.get(_url("farmland_grid", Z12))
    etag = first.headers["etag"]
    again = client.get(_url("farmland_grid", Z12), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(_url("farmland_grid", Z12), headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_cache_control_is_long_only_for_the_current_version(client):
    plain = client.get(_url("farmland_grid", Z12))
    assert plain.headers["cache-control"] == "public, max-age=60"
    url = client.get("/collections/farmland_grid/tiles/WebMercatorQuad/tilejson.json").json()[
        "tiles"
    ][0]
    versioned = client.get(
        url.replace("{z}/{y}/{x}", f"{Z12.z}/{Z12.row}/{Z12.col}").split("testserver")[1]
    )
    assert "immutable" in versioned.headers["cache-control"]


def test_mvt_is_gzipped_once_when_accepted(client):
    zipped = client.get(_url("farmland_grid", Z12), headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content[:2] != b"\x1f\x8b"  # httpx removed exactly one layer
    assert mapbox_vector_tile.decode(zipped.content)["farmland_grid"]["features"]
    plain = client.get(_url("farmland_grid", Z12), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == zipped.content


def test_new_layer_version_invalidates_cached_tiles(client):
    before = client.get(_url("farmland_grid", Z12))
    store = client.app.state.runtime.store
    layer = client.app.state.runtime.catalog.catalog().get("farmland_grid")
    frame = store.read_frame(layer)
    frame["parent_code"] = "changed"
    store.write(layer, frame.reset_index(drop=True), action="upload")  # what an upload does
    # PostGIS pushes the new version (LISTEN/NOTIFY) within milliseconds.
    assert wait_until(
        lambda: client.get(_url("farmland_grid", Z12)).headers["etag"] != before.headers["etag"]
    )
    after = client.get(_url("farmland_grid", Z12))
    features = decode_tile(after.content, Z12)["farmland_grid"]
    assert {p["parent_code"] for _, p in features.values()} == {"changed"}
    stale = client.get(
        _url("farmland_grid", Z12), headers={"If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200


def test_multi_layer_tile_holds_a_layer_per_collection(client):
    r = client.get(f"/tiles/{Z12}", params={"collections": "district,farmland_grid"})
    assert r.status_code == 200
    decoded = decode_tile(r.content, Z12)
    assert set(decoded) == {"district", "farmland_grid"}
    assert any(p["name_zh"] == "东胜区" for _, p in decoded["district"].values())


def test_tilejson_per_collection_and_for_several(client):
    doc = client.get("/collections/farmland_grid/tiles/WebMercatorQuad/tilejson.json").json()
    assert doc["tilejson"] == "3.0.0" and doc["minzoom"] == 9
    assert doc["tiles"][0].endswith(
        "/collections/farmland_grid/tiles/WebMercatorQuad/{z}/{y}/{x}?v=1"
    )
    assert doc["vector_layers"][0]["fields"]["area_m2"] == "Number"
    west, south, east, north = doc["bounds"]
    assert 109 < west < east < 111 and 39 < south < north < 40.5
    multi = client.get("/tiles/WebMercatorQuad/tilejson.json?collections=district,villages").json()
    assert [v["id"] for v in multi["vector_layers"]] == ["district", "villages"]
    assert "collections=district,villages&v=1.1" in multi["tiles"][0]


def test_maplibre_style_draws_layers_with_their_style_files(client):
    style = client.get("/style.json?collections=villages,district,farmland_grid").json()
    assert style["version"] == 8
    assert style["sources"]["geoservice"]["url"].startswith("http://testserver/tiles/")
    ids = [layer["id"] for layer in style["layers"]]
    assert ids.index("district-fill") < ids.index("villages-circle")  # polygons under points
    fill = next(layer for layer in style["layers"] if layer["id"] == "farmland_grid-fill")
    assert fill["source-layer"] == "farmland_grid" and fill["minzoom"] == 9
    assert fill["paint"]["fill-color"][0] == "match"
    district_line = next(x for x in style["layers"] if x["id"] == "district-line")
    assert district_line["paint"]["line-color"] == "#7b3294"


def test_budget_keeps_low_zoom_tiles_small(tiles_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    budget = 4_000
    settings = tiles_settings.model_copy(
        update={"tiles": tiles_settings.tiles.model_copy(update={"max_tile_bytes": budget})}
    )
    z9 = TileAddress("WebMercatorQuad", 9, 194, 412)
    with TestClient(create_app(settings)) as c:
        r = c.get(_url("farmland_grid", z9), headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200 and 0 < len(r.content) <= budget
        kept = len(decode_tile(r.content, z9)["farmland_grid"])
    assert 0 < kept < 2502


def test_gzip_body_of_multi_layer_tile_is_one_valid_stream(client):
    url = f"/tiles/{Z12}?collections=district,farmland_grid"
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip"
        body = b"".join(r.iter_raw())  # as sent, before httpx decodes it
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    mvt = stream.decompress(body)
    assert stream.eof and stream.unused_data == b""  # one gzip member, nothing after it
    assert set(mapbox_vector_tile.decode(mvt)) == {"district", "farmland_grid"}
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert mvt == plain.content


def test_an_empty_part_list_gives_an_empty_tile(client):
    assert client.app.state.runtime.tiles.vector.tile([], Z12, gzip_ok=True).body == b""


def test_tile_bounds_are_in_the_tile_matrix_set_crs():
    x0, y0, x1, y1 = tile_bounds(Z12)
    assert 12_200_000 < x0 < x1 < 12_260_000 and y0 < y1


ATTRS = "code,parent_code,level,area_m2,is_clipped"  # farmland_grid's tile attributes


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_fast_path_and_route_answer_alike(client, encoding):
    """The fast path sits outside the app's middleware and adds what it would:
    the same headers (security headers included), whatever the client takes."""
    headers = {"Accept-Encoding": encoding}
    fast = client.get(_url("farmland_grid", Z12), params={"v": "1"}, headers=headers)
    routed = client.get(
        _url("farmland_grid", Z12), params={"properties": ATTRS, "v": "1"}, headers=headers
    )
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    assert _headers(fast) == _headers(routed)
    assert fast.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in fast.headers


def test_a_cross_origin_tile_request_gets_the_cors_headers(client):
    origin = {"Origin": "https://planner.example"}
    fast = client.get(_url("farmland_grid", Z12), headers=origin)
    routed = client.get(_url("farmland_grid", Z12), params={"properties": ATTRS}, headers=origin)
    assert fast.status_code == 200
    assert fast.headers.get("access-control-allow-origin") is not None
    assert _headers(fast) == _headers(routed)


def _headers(response) -> dict:
    """The response's headers, Vary as the set of names it lists (the route's
    compression middleware names Accept-Encoding a second time for identity clients)."""
    headers = dict(response.headers)
    headers["vary"] = {v.strip() for v in headers.get("vary", "").split(",")}
    return headers


def test_a_plain_tile_request_with_an_unknown_key_is_refused(client):
    bad = {"Authorization": "Bearer gsk_not_a_key"}
    assert client.get(_url("farmland_grid", Z12), headers=bad).status_code == 401
    assert client.get(_url("farmland_grid", Z12), headers={"X-API-Key": "nope"}).status_code == 401


def test_dataset_tilesets_select_collections(client):
    listed = client.get("/tiles", params={"collections": "district,farmland_grid"}).json()
    links = [link for s in listed["tilesets"] for link in s["links"] if link["rel"] == "item"]
    assert all("collections=district,farmland_grid" in link["href"] for link in links)
    doc = client.get("/tiles/WebMercatorQuad", params={"collections": "district,farmland_grid"})
    layers = doc.json()["layers"]
    assert [layer["id"] for layer in layers] == ["district", "farmland_grid"]
    assert [layer["minTileMatrix"] for layer in layers] == ["0", "9"]
    every = client.get("/tiles/WebMercatorQuad").json()["layers"]  # default: all with data
    assert {layer["id"] for layer in every} == {
        "district",
        "farmland_grid",
        "villages",
        "tourist_routes",
    }


def test_tiles_need_a_key_when_reads_do(tiles_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    api = tiles_settings.api.model_copy(update={"read_requires_key": True})
    with TestClient(create_app(tiles_settings.model_copy(update={"api": api}))) as c:
        assert c.get(_url("farmland_grid", Z12)).status_code == 401  # the fast path too
        assert c.get(_url("farmland_grid", Z12), params={"f": "png"}).status_code == 401
