"""Property tests for ``bbox``, ``bbox-crs`` and ``crs``: any value is a result or a 400.

Random text never escapes as another exception (a 500); valid boxes and CRS
names round-trip; and over HTTP no bbox or CRS a client sends gives a 500.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geoservice.crs import OFFERED_EPSG, resolve_crs
from geoservice.errors import InvalidParameter
from geoservice.ogc.items import _bbox
from geoservice.storage.base import FeatureQuery
from geoservice.storage.querybuild import storage_boxes

QUICK = settings(max_examples=200, deadline=None, database=None)
CRS_NAMES = ["OGC:CRS84", *(f"EPSG:{c}" for c in OFFERED_EPSG)]
BBOX_TEXT = st.one_of(
    st.text(alphabet="0123456789-+.,eE nainf_x٣²", max_size=40),
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**30), 10**30)),
        min_size=0,
        max_size=7,
    ).map(lambda values: ",".join(repr(v) for v in values)),
)


@QUICK
@given(BBOX_TEXT, st.sampled_from(CRS_NAMES), st.sampled_from(["EPSG:4326", "EPSG:4546"]))
@example("nan,0,1,1", "OGC:CRS84", "EPSG:4326")
@example("-1e20,-1e20,1e20,1e20", "EPSG:3857", "EPSG:4546")
def test_any_bbox_text_is_a_finite_box_or_a_400(text, bbox_crs, storage_crs):
    ref = resolve_crs(bbox_crs)
    try:
        box = _bbox(text, north_first=ref.north_first)
        boxes = storage_boxes(FeatureQuery(bbox=box, bbox_crs=ref.uri), storage_crs)
    except InvalidParameter:
        return
    assert len(box) == 4 and box[1] <= box[3]
    assert all(math.isfinite(v) for b in boxes for v in b)


LON = st.floats(-180, 180, allow_nan=False)
LAT = st.floats(-90, 90, allow_nan=False)


@QUICK
@given(LON, LAT, LON, LAT, st.booleans())
def test_a_valid_bbox_round_trips_in_either_axis_order(x1, y1, x2, y2, north_first):
    miny, maxy = sorted((y1, y2))
    values = (x1, miny, x2, maxy)
    shown = (miny, x1, maxy, x2) if north_first else values
    assert _bbox(",".join(repr(v) for v in shown), north_first=north_first) == values
    with_heights = ",".join(repr(v) for v in (*shown[:2], 0.0, *shown[2:], 10.0))
    assert _bbox(with_heights, north_first=north_first) == values


@QUICK
@given(st.text(max_size=60))
@example("²")  # str.isdigit() but not int()
@example("EPSG:4326" + " " * 50)
def test_any_crs_text_is_offered_or_a_400(text):
    try:
        ref = resolve_crs(text)
    except InvalidParameter:
        return
    assert resolve_crs(ref.uri) == ref


@pytest.mark.parametrize("code", OFFERED_EPSG)
def test_every_spelling_of_an_offered_crs_resolves_to_one_uri(code):
    ref = resolve_crs(f"EPSG:{code}")
    spellings = [
        f"epsg:{code}",
        f" [EPSG:{code}] ",
        f"http://www.opengis.net/def/crs/EPSG/0/{code}",
        f"https://www.opengis.net/def/crs/EPSG/0/{code}",
        f"urn:ogc:def:crs:EPSG::{code}",
        str(code),
    ]
    assert {resolve_crs(s) for s in spellings} == {ref}
    assert resolve_crs(ref.uri) is ref


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    BBOX_TEXT,
    st.one_of(st.none(), st.sampled_from(CRS_NAMES), st.text(max_size=20)),
    st.one_of(st.none(), st.sampled_from(CRS_NAMES), st.text(max_size=20)),
)
def test_items_with_any_bbox_and_crs_answer_200_or_400(client, text, bbox_crs, crs):
    params = {"bbox": text}
    if bbox_crs is not None:
        params["bbox-crs"] = bbox_crs
    if crs is not None:
        params["crs"] = crs
    r = client.get("/collections/ne_110m_populated_places_simple/items", params=params)
    assert r.status_code in (200, 400), (params, r.status_code, r.text[:300])


@pytest.mark.parametrize("crs", ["EPSG:4546", "EPSG:4547", "EPSG:3857"])
def test_world_features_asked_for_in_a_zone_crs_are_a_200_or_a_400_naming_the_crs(client, crs):
    """Found by the property test above: PostGIS refused to project far-away places
    into a Gauss-Krüger zone (PROJ: point outside of projection domain), a 500."""
    params = {"bbox": "-100.5,-84.54,70.5,6.31", "crs": crs}
    r = client.get("/collections/ne_110m_populated_places_simple/items", params=params)
    assert r.status_code in (200, 400), r.text[:300]
    if r.status_code == 400:
        assert "crs" in r.text and "outside the area" in r.text
    else:  # every coordinate a finite number: GeoJSON has no infinity
        import math

        import shapely

        for feature in r.json()["features"]:
            xy = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
            assert all(math.isfinite(v) for v in xy.ravel()), feature["geometry"]
