"""Each new area measures in a metric CRS chosen for it, and the reasons stated hold.

Wuhai and Chongqing use the CGCS2000 3-degree Gauss-Krüger zone of CM 108E
(EPSG:4545); Inner Mongolia, 29 degrees wide, an Albers equal-area conic fitted to
it. Scale errors are read from pyproj at each unit's representative point; areas are
compared with geodesic areas on the ellipsoid.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS, Geod, Proj

from geoservice.crs import gauss_kruger_crs

GEOD = Geod(ellps="GRS80")


def area_crs(catalog, area_id: str) -> str:
    area = catalog.area(area_id)
    return area.metric_crs_for()


def max_scale_error(crs: str, frame) -> float:
    points = frame.geometry.representative_point()
    factors = Proj(CRS.from_user_input(crs)).get_factors(points.x.values, points.y.values)
    scales = np.concatenate([factors.meridional_scale, factors.parallel_scale])
    return float(np.abs(scales - 1).max())


def area_errors(crs: str, frame) -> np.ndarray:
    planar = frame.to_crs(crs).area.values
    geodesic = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in frame.geometry])
    return np.abs(planar / geodesic - 1)


def test_wuhai_uses_the_gk_zone_of_its_longitude(project_catalog, area_frames):
    crs = area_crs(project_catalog, "wuhai")
    districts = area_frames["wuhai_districts"]
    centre = districts.total_bounds[[0, 2]].mean()
    assert crs == gauss_kruger_crs(centre) == "EPSG:4545"
    assert max_scale_error(crs, districts) < 2e-4
    assert area_errors(crs, districts).max() < 5e-4


def test_chongqing_cm108_beats_the_neighbouring_zones_everywhere_it_matters(
    project_catalog, area_frames
):
    crs = area_crs(project_catalog, "chongqing")
    assert crs == "EPSG:4545"
    districts = area_frames["chongqing_districts"]
    errors = {zone: max_scale_error(zone, districts) for zone in ("EPSG:4544", "EPSG:4545")}
    assert errors["EPSG:4545"] < 1e-3 < errors["EPSG:4544"]  # under 0.1 % vs about 0.3 %
    core = districts[districts["structure"] == "core"]
    assert max_scale_error(crs, core) < 4e-4  # the main city, on the zone boundary
    assert area_errors(crs, districts).max() < 2e-3


def test_inner_mongolia_measures_areas_exactly_and_lengths_within_a_percent(
    project_catalog, area_frames
):
    crs = area_crs(project_catalog, "inner_mongolia")
    parsed = CRS.from_user_input(crs)
    assert parsed.is_projected and parsed.axis_info[0].unit_name == "metre"
    counties = area_frames["inner_mongolia_counties"]
    assert area_errors(crs, counties).max() < 1e-4  # equal-area
    assert max_scale_error(crs, counties) < 8e-3  # lengths within 0.8 % everywhere
    # The GK zone of the central longitude would not do: over 2 % area error for the
    # easternmost counties (3.2 % at the tip itself).
    centre_zone = gauss_kruger_crs(counties.total_bounds[[0, 2]].mean())
    assert area_errors(centre_zone, counties).max() > 0.02


@pytest.mark.parametrize("area_id", ["wuhai", "chongqing", "inner_mongolia"])
def test_the_service_reports_the_areas_crs(areas_client, project_catalog, area_id):
    doc = areas_client.get(f"/areas/{area_id}").json()
    assert doc["metricCrs"] == area_crs(project_catalog, area_id)
