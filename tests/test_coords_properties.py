"""Property tests: Chinese web-map datums convert there and back without drift."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from geoservice.coords import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Mainland China's box, where GCJ-02 applies (out_of_china decides the rest).
LON = st.floats(73.7, 134.9, allow_nan=False)
LAT = st.floats(18.2, 53.5, allow_nan=False)
ANY_LON = st.floats(-180, 180, allow_nan=False)
ANY_LAT = st.floats(-85, 85, allow_nan=False)


def metres(lon1, lat1, lon2, lat2) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(LON, LAT)
def test_wgs84_to_gcj02_and_back_stays_within_a_centimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))

    assert metres(lon, lat, *back) < 0.01


@settings(max_examples=300, deadline=None, derandomize=True)
@given(LON, LAT)
def test_wgs84_to_bd09_and_back_stays_within_a_metre(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))

    assert metres(lon, lat, *back) < 1.0


@settings(max_examples=300, deadline=None, derandomize=True)
@given(LON, LAT)
def test_the_gcj02_offset_in_china_is_a_web_maps_few_hundred_metres(lon, lat):
    shifted = wgs84_to_gcj02(lon, lat)

    if not bool(out_of_china(lon, lat)):
        assert 0 < metres(lon, lat, *shifted) < 1_000


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ANY_LON, ANY_LAT)
def test_points_outside_china_are_never_moved(lon, lat):
    if bool(out_of_china(lon, lat)):
        assert tuple(map(float, wgs84_to_gcj02(lon, lat))) == (lon, lat)
        assert tuple(map(float, gcj02_to_wgs84(lon, lat))) == (lon, lat)
