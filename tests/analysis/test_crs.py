import geopandas as gpd
import pytest
import shapely
from analysis_helpers import X0, Y0, frame

from geoservice.analysis.catchment import assign_nearest, huff_model
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.crs import ensure_same_crs, metric_crs, to_metric
from geoservice.errors import (
    CRSMismatchError,
    GeographicCRSError,
    InvalidParameter,
    MissingCRSError,
)


def test_to_metric_projects_wgs84_to_the_ordos_gauss_kruger_crs():
    g = gpd.GeoDataFrame(geometry=[shapely.Point(111.0, 39.8)], crs=4326)
    out = to_metric(g)
    assert out.crs.to_epsg() == 4546
    assert out.geometry.x.iloc[0] == pytest.approx(500_000, abs=1e-6)  # on CM 111E


def test_to_metric_refuses_a_geographic_target_crs():
    with pytest.raises(GeographicCRSError):
        to_metric(frame([shapely.Point(X0, Y0)]), crs=4326)


def test_geographic_crs_error_is_an_invalid_parameter():
    with pytest.raises(InvalidParameter):
        metric_crs("EPSG:4490")  # CGCS2000 geographic


def test_feet_are_refused_as_a_metric_crs():
    with pytest.raises(GeographicCRSError):
        metric_crs("EPSG:2263")  # NY Long Island, US survey feet


def test_layer_without_crs_is_refused():
    with pytest.raises(MissingCRSError):
        to_metric(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))


def test_ensure_same_crs_names_the_mismatched_layers():
    a = frame([shapely.Point(X0, Y0)])
    b = a.to_crs(4326)
    with pytest.raises(CRSMismatchError, match="'b'"):
        ensure_same_crs(a=a, b=b)


@pytest.mark.parametrize(
    "call",
    [
        lambda f, d: compute_coverage(f, d, distance_m=10),
        lambda f, d: assign_nearest(d, f),
        lambda f, d: huff_model(d, f.assign(a=1.0), attractiveness_col="a"),
    ],
    ids=["coverage", "nearest", "huff"],
)
def test_analyses_raise_on_crs_mismatch_between_inputs(call):
    facilities = frame([shapely.Point(X0, Y0)])
    demand = frame([shapely.Point(X0 + 5, Y0)]).to_crs(4326)
    with pytest.raises(CRSMismatchError):
        call(facilities, demand)


def test_wgs84_inputs_are_measured_in_metres():
    f = frame([shapely.Point(X0, Y0)]).to_crs(4326)
    d = frame([shapely.Point(X0 + 300, Y0)]).to_crs(4326)
    out = assign_nearest(d, f).demand
    assert out["distance_m"].iloc[0] == pytest.approx(300, abs=1e-6)
    assert out.crs.to_epsg() == 4546
