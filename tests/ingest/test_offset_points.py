"""Points and lines copied from a Chinese web map are spotted, not only polygons.

A village file exported from AMap is in GCJ-02: uploaded as WGS84 it lands about
500 m off. Features whose key names a stored feature are compared with it.
"""

from __future__ import annotations

import pytest

from geoservice.coords import convert_coords
from tests.ingest.conftest import post_file

# Real-looking points around Dongsheng, as WGS84 (a synthetic layer, not sourced data).
POINTS = [(f"p{i}", 109.95 + 0.01 * i, 39.80 + 0.005 * i) for i in range(6)]


def points_csv(tmp_path, name: str, system: str = "wgs84"):
    rows = ["code,lon,lat"]
    for code, lon, lat in POINTS:
        if system != "wgs84":
            lon, lat = convert_coords(lon, lat, src="wgs84", dst=system)
        rows.append(f"{code},{lon:.7f},{lat:.7f}")
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def offset_warnings(response) -> list[str]:
    return [w["message"] for w in response.json()["warnings"] if w["rule"] == "coordinate-offset"]


@pytest.fixture
def sites(client, keys, tmp_path) -> str:
    """A stored point layer 'sites' keyed by code; return its upload URL."""
    r = post_file(
        client,
        "/collections",
        points_csv(tmp_path, "sites.csv"),
        keys["admin"],
        id="sites",
        key="code",
    )
    assert r.status_code == 201, r.text
    return "/collections/sites/uploads"


def dry_run(client, keys, url, path, **fields):
    r = post_file(client, url, path, keys["editor"], dry_run="true", **fields)
    assert r.status_code == 200, r.text
    return r


def test_points_shifted_by_the_gcj02_offset_are_reported(client, keys, tmp_path, sites):
    r = dry_run(client, keys, sites, points_csv(tmp_path, "amap.csv", "gcj02"))

    (message,) = offset_warnings(r)
    assert "GCJ02" in message and "coordinate_system=gcj02" in message


def test_points_converted_from_gcj02_raise_no_offset(client, keys, tmp_path, sites):
    amap = points_csv(tmp_path, "amap.csv", "gcj02")

    r = dry_run(client, keys, sites, amap, coordinate_system="gcj02")

    assert offset_warnings(r) == []


def test_points_that_really_moved_are_not_called_an_offset(client, keys, tmp_path, sites):
    moved = tmp_path / "moved.csv"
    moved.write_text(
        "code,lon,lat\n" + "\n".join(f"{c},{x + 0.2:.7f},{y:.7f}" for c, x, y in POINTS) + "\n",
        encoding="utf-8",
    )

    r = dry_run(client, keys, sites, moved)

    assert offset_warnings(r) == []
