"""GDAL's OAPIF driver (QGIS, ogr2ogr) sends ``-where`` to the server as a filter.

GDAL decides what it may send from the OpenAPI document: the query parameters
of ``/collections/<id>/items`` name the properties it can filter on, and the
``filter-lang`` values say whether it may send CQL text (it sends the
pre-standard name ``cql-text``). Without both, GDAL pages the whole layer and
filters on the client.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from urllib.parse import parse_qs

import pytest

from geoservice.app import create_app
from tests.api.conftest import PLACES
from tests.conftest import LiveServer

pytestmark = pytest.mark.usefixtures("store_kind")


def recording(app, seen: list[tuple[str, dict]]):
    """Wrap an ASGI app to record every HTTP request's path and query."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            seen.append((scope["path"], parse_qs(scope["query_string"].decode())))
        await app(scope, receive, send)

    return wrapped


def item_requests(seen, layer: str) -> list[dict]:
    return [q for path, q in seen if path == f"/collections/{layer}/items"]


def test_the_api_lists_each_collections_properties_as_item_parameters(client):
    doc = client.get("/api").json()

    operation = doc["paths"][f"/collections/{PLACES}/items"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"name", "pop_max", "bbox", "filter", "limit"} <= names
    assert "collectionId" not in names
    lang = next(p for p in operation["parameters"] if p["name"] == "filter-lang")
    assert "cql-text" in lang["schema"]["enum"]


def test_cql_text_is_read_as_cql2_text(client):
    params = {"filter": "name = 'Tokyo'", "filter-lang": "cql-text"}
    r = client.get(f"/collections/{PLACES}/items", params=params)

    assert r.status_code == 200, r.text
    assert [f["properties"]["name"] for f in r.json()["features"]] == ["Tokyo"]


def test_gdal_sends_the_where_clause_as_a_cql_filter(api_settings):
    # pyogrio's GDAL (a recent release) in another process: in this one it would hold
    # the interpreter while the server thread waits to answer it.
    script = (
        "import sys, pyogrio\n"
        "frame = pyogrio.read_dataframe(sys.argv[1], where='pop_max > 20000000')\n"
        "print(len(frame), int((frame['pop_max'] > 20000000).all()))\n"
    )
    seen: list = []
    with LiveServer(recording(create_app(api_settings), seen)) as server:
        result = subprocess.run(
            [sys.executable, "-c", script, f"OAPIF:{server.url}/collections/{PLACES}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    count, all_match = map(int, result.stdout.split())
    assert count > 0 and all_match == 1
    filters = [q["filter"][0] for q in item_requests(seen, PLACES) if "filter" in q]
    assert filters and "pop_max > 20000000" in filters[0]


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin not installed")
def test_ogr2ogr_where_reaches_the_server(api_settings, tmp_path):
    seen: list = []
    out = tmp_path / "tokyo.geojson"
    with LiveServer(recording(create_app(api_settings), seen)) as server:
        source = f"OAPIF:{server.url}"
        result = subprocess.run(
            ["ogr2ogr", "-f", "GeoJSON", str(out), source, PLACES, "-where", "name = 'Tokyo'"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    assert '"Tokyo"' in out.read_text(encoding="utf-8")
    requests = item_requests(seen, PLACES)
    assert any("Tokyo" in str(q.get("filter", q.get("name", ""))) for q in requests), requests
