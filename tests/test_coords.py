"""GCJ-02 / BD-09 / WGS84 conversions against published reference values."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoservice import coords
from geoservice.sampledata.gazetteer import load_gazetteer

# googollee/eviltransform, python/test.py and go/transform_test.go (identical
# tables): (wgsLat, wgsLng, gcjLat, gcjLng) for Shanghai, Shenzhen and Beijing.
# Their Python test asserts 6 decimals for wgs2gcj.
EVILTRANSFORM_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]

# wandergis/coordtransform, test/app.js: every conversion applied to
# (116.404, 39.915), with the printed results in its "//result" comment.
WANDERGIS_INPUT = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
# The same file prints gcj02towgs84 = (116.39775550083061, 39.91359571849836),
# which is the library's one-step approximation, good to a few metres only.
WANDERGIS_GCJ02_TO_WGS84_ONE_STEP = (116.39775550083061, 39.91359571849836)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform_vectors(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = coords.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-9)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_inputs(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    # eviltransform's own exact inverse only promises < 0.5 m; ours iterates to
    # the formula's precision, so it must give back their WGS84 input.
    lon, lat = coords.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert lon == pytest.approx(wgs_lon, abs=1e-8)
    assert lat == pytest.approx(wgs_lat, abs=1e-8)


def test_wgs84_to_gcj02_matches_wandergis():
    assert coords.wgs84_to_gcj02(*WANDERGIS_INPUT) == pytest.approx(
        WANDERGIS_WGS84_TO_GCJ02, abs=1e-9
    )


def test_bd09_and_gcj02_conversions_match_wandergis():
    assert coords.bd09_to_gcj02(*WANDERGIS_INPUT) == pytest.approx(
        WANDERGIS_BD09_TO_GCJ02, abs=1e-9
    )
    assert coords.gcj02_to_bd09(*WANDERGIS_INPUT) == pytest.approx(
        WANDERGIS_GCJ02_TO_BD09, abs=1e-9
    )


def test_gcj02_to_wgs84_is_within_metres_of_wandergis_one_step_inverse():
    lon, lat = coords.gcj02_to_wgs84(*WANDERGIS_INPUT)
    assert lon == pytest.approx(WANDERGIS_GCJ02_TO_WGS84_ONE_STEP[0], abs=5e-5)
    assert lat == pytest.approx(WANDERGIS_GCJ02_TO_WGS84_ONE_STEP[1], abs=5e-5)


def test_gcj02_to_wgs84_inverts_the_forward_formula_below_1e7_degrees():
    rng = np.random.default_rng(42)
    lon = rng.uniform(75, 135, 2000)
    lat = rng.uniform(18, 53, 2000)
    back_lon, back_lat = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_bd09_round_trip_returns_the_wgs84_input_within_the_standard_inverse_error():
    # The standard closed-form BD-09 → GCJ-02 inverse (kept because every
    # published table uses it) is itself off by up to ~1e-6° (≈ 0.1 m).
    lon, lat = np.array([109.96, 110.05, 121.47]), np.array([39.82, 39.80, 31.23])
    back_lon, back_lat = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert back_lon == pytest.approx(lon, abs=2e-6)
    assert back_lat == pytest.approx(lat, abs=2e-6)


def test_points_outside_china_are_returned_unchanged():
    lon, lat = np.array([2.35, -74.0, 139.7]), np.array([48.85, 40.7, 35.7])
    assert coords.out_of_china(lon, lat).all()
    for func in (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_scalars_in_give_floats_out_and_arrays_keep_their_shape():
    assert isinstance(coords.gcj02_to_wgs84(110.0, 39.8)[0], float)
    lon, lat = coords.wgs84_to_gcj02(np.full((2, 3), 110.0), np.full((2, 3), 39.8))
    assert lon.shape == lat.shape == (2, 3)


def test_gcj02_shift_in_dongsheng_is_about_500_m_west():
    # The gazetteer reports a 488–531 m shift, mostly westward, for Dongsheng.
    gcj = gpd.GeoSeries([shapely.Point(109.963333, 39.822593)], crs="EPSG:4326")
    wgs = coords.convert_frame(gcj, src="gcj02", dst="wgs84")
    metric = gpd.GeoSeries([gcj.iloc[0], wgs.iloc[0]], crs="EPSG:4326").to_crs("EPSG:4546")
    shift = metric.iloc[0].distance(metric.iloc[1])
    assert 450 < shift < 560
    assert wgs.iloc[0].x < gcj.iloc[0].x


def test_geometry_helper_converts_every_vertex_like_the_point_function():
    ring = shapely.Polygon([(110.0, 39.8), (110.1, 39.8), (110.1, 39.9), (110.0, 39.8)])
    converted = coords.gcj02_to_wgs84_geometry(ring)
    expected = np.column_stack(coords.gcj02_to_wgs84(*shapely.get_coordinates(ring).T))
    np.testing.assert_allclose(shapely.get_coordinates(converted), expected, atol=1e-12)
    back = coords.wgs84_to_gcj02_geometry(converted)
    np.testing.assert_allclose(
        shapely.get_coordinates(back), shapely.get_coordinates(ring), atol=1e-8
    )


def test_convert_frame_keeps_attributes_and_labels_lon_lat():
    frame = gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[shapely.Point(110.0, 39.8)], crs="EPSG:4326"
    )
    out = coords.convert_frame(frame, src="bd09", dst="wgs84")
    assert out["name"].tolist() == ["a"]
    assert out.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].x == 110.0  # input not mutated
    assert out.geometry.iloc[0].x == pytest.approx(coords.bd09_to_wgs84(110.0, 39.8)[0])


def test_convert_frame_rejects_projected_input():
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(500000, 4400000)], crs="EPSG:4546")
    with pytest.raises(ValueError, match="lon/lat"):
        coords.convert_frame(frame, src="gcj02", dst="wgs84")


def test_unknown_system_pair_is_rejected():
    with pytest.raises(ValueError, match="unknown"):
        coords.convert_coords(110.0, 39.8, src="gcj02", dst="utm")  # type: ignore[arg-type]


def _converted_gazetteer_rows():
    gazetteer = load_gazetteer()
    rows = gazetteer[gazetteer["source_crs"].isin(["GCJ-02", "BD-09"])]
    return [
        pytest.param(
            row["source_crs"],
            row["source_lon"],
            row["source_lat"],
            row["lon"],
            row["lat"],
            id=row_id,
        )
        for row_id, row in rows.iterrows()
    ]


@pytest.mark.parametrize(("crs", "src_lon", "src_lat", "lon", "lat"), _converted_gazetteer_rows())
def test_gazetteer_converted_coordinates_match_this_module(crs, src_lon, src_lat, lon, lat):
    # The shared gazetteer converted its AMap (GCJ-02) and Baidu (BD-09) values
    # independently; rows added here used this module. Both must agree with
    # it to the 6 decimals the file keeps.
    system = {"GCJ-02": "gcj02", "BD-09": "bd09"}[crs]
    out_lon, out_lat = coords.convert_coords(src_lon, src_lat, src=system, dst="wgs84")
    assert out_lon == pytest.approx(lon, abs=1e-5)
    assert out_lat == pytest.approx(lat, abs=1e-5)
