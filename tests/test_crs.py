"""CRS parsing, axis order and transformations."""

from __future__ import annotations

import pytest

from geoservice.crs import CRS84_URI, offered_crs_uris, reproject_bbox, resolve_crs, same_crs
from geoservice.errors import UnsupportedCRS


@pytest.mark.parametrize(
    ("text", "uri", "north_first"),
    [
        (None, CRS84_URI, False),
        ("OGC:CRS84", CRS84_URI, False),
        ("EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326", True),
        (
            "http://www.opengis.net/def/crs/EPSG/0/4490",
            "http://www.opengis.net/def/crs/EPSG/0/4490",
            True,
        ),
        (
            "http://www.opengis.net/def/crs/EPSG/0/3857",
            "http://www.opengis.net/def/crs/EPSG/0/3857",
            False,
        ),
        ("4546", "http://www.opengis.net/def/crs/EPSG/0/4546", True),
        ("[EPSG:4546]", "http://www.opengis.net/def/crs/EPSG/0/4546", True),
    ],
)
def test_crs_names_resolve_with_their_axis_order(text, uri, north_first):
    ref = resolve_crs(text)
    assert ref.uri == uri and ref.north_first is north_first


@pytest.mark.parametrize("text", ["EPSG:2000", "urn:x", "EPSG:abc", "http://example.org/crs"])
def test_crs_outside_the_offer_is_refused(text):
    with pytest.raises(UnsupportedCRS, match="is not offered"):
        resolve_crs(text)


def test_offer_includes_cgcs2000_and_its_gauss_kruger_zones():
    offered = offered_crs_uris()
    assert CRS84_URI in offered
    assert all(
        f"http://www.opengis.net/def/crs/EPSG/0/{c}" in offered for c in (4490, 4534, 4546, 4554)
    )


def test_crs84_and_lon_lat_epsg_4326_storage_are_the_same_coordinates():
    assert same_crs("EPSG:4326", CRS84_URI)
    assert not same_crs("EPSG:4326", "EPSG:4546")


def test_bbox_reprojection_covers_the_curved_edges():
    minx, miny, maxx, maxy = reproject_bbox((109, 39, 111, 40), "OGC:CRS84", "EPSG:4546")
    assert minx < 330_000 and maxx > 499_000 and miny < 4_320_000 and maxy > 4_427_000
