"""Seat points of the 15 streets and towns, and the points that shape them.

Ten of the fifteen units have an AMap representative point in the gazetteer
(Vonng/adcode, GCJ-02 converted). For the other five no source gives a seat
coordinate, so each is placed by a rule stated in :data:`SEAT_RULES`, and the
rule is recorded on the feature (``seat_method``), never passed off as a
sourced coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoservice.sampledata.common import METRIC_CRS, STORAGE_CRS
from geoservice.sampledata.gazetteer import cite, gazetteer_point
from geoservice.sampledata.partition import largest_gap_point

UNIT_ROWS = (
    "U-001",
    "U-002",
    "U-003",
    "U-004",
    "U-005",
    "U-006",
    "U-007",
    "U-008",
    "U-010",
    "U-011",
    "U-012",
    "U-013",
    "U-100",
    "U-101",
    "U-102",
)
"""Gazetteer rows of the 12 streets (街道) and 3 towns (镇) named in the plan.

The 2022 NBS list also has 150602405 鄂尔多斯高新技术产业开发区, a statistical
unit of the high-tech zone; the plan does not count it among the 15 units.
"""

COMMUNITY_CATEGORIES = ("community point", "village point")


@dataclass(frozen=True)
class SeatRule:
    """How to place a seat that no source locates.

    ``method`` names the rule (stored as ``seat_method``); ``rows`` are the
    gazetteer rows it uses (the seat is their centroid); ``note`` is the
    justification shown to users and ``note_zh`` the same facts in Chinese
    (``seat_source_zh``, shown on Chinese pages).
    """

    method: str
    rows: tuple[str, ...]
    note: str
    note_zh: str
    confidence: str
    is_generator: bool


SEAT_RULES: dict[str, SeatRule] = {
    "U-002": SeatRule(
        "rule:community_centroid",
        ("CM-002001", "CM-002003"),
        "centroid of the AMap points of its communities 育才社区 and 园林社区 "
        "(the only ones with a coordinate); not the office",
        "其所辖育才社区和园林社区的高德点位的中心（仅这两个社区有坐标）；不是街道办事处所在地",
        "low",
        is_generator=False,
    ),
    "U-010": SeatRule(
        "rule:community_point",
        ("CM-010200",),
        "AMap point of its village 格舍壕村 (its only point with a coordinate); not the office",
        "其所辖格舍壕村的高德点位（该单元唯一有坐标的点位）；不是街道办事处所在地",
        "low",
        is_generator=False,
    ),
    "U-011": SeatRule(
        "rule:community_point",
        ("CM-011003",),
        "AMap point of its community 南湖社区 (its only point with a coordinate); not the office",
        "其所辖南湖社区的高德点位（该单元唯一有坐标的点位）；不是街道办事处所在地",
        "low",
        is_generator=False,
    ),
    "U-100": SeatRule(
        "rule:landmark_in_unit",
        ("LM-10",),
        "the town government sits in 海畔村 (lakeside village; gazetteer "
        "SEAT-100) but no coordinate was found; placed at the Ramsar reference "
        "point of the 泊江海子 relict-gull reserve, which lies in the town",
        "镇政府驻海畔村（地名表 SEAT-100），但未找到其坐标；置于镇内泊江海子遗鸥"
        "保护区的拉姆萨尔湿地参考点",
        "low",
        is_generator=True,
    ),
    "U-012": SeatRule(
        "rule:largest_gap",
        (),
        "no source locates 兴胜街道 or any of its communities; placed at the "
        "centre of the largest empty circle (100 m lattice) inside the convex "
        "hull of the other urban streets' points. The position says nothing "
        "about where the street really is",
        "没有任何来源给出兴胜街道或其任一社区的位置；置于其他城区街道点位凸包内"
        "最大空圆的圆心（100米格网）。该位置不说明街道的实际所在",
        "none",
        is_generator=True,
    ),
}


def is_town(code: str) -> bool:
    """Tell towns (镇, digits 7–9 ≥ 100) from streets (街道, 001–099)."""
    return int(code[6:9]) >= 100


def community_rows(gazetteer: pd.DataFrame, unit_code: str) -> pd.DataFrame:
    """Return the community/village rows of the gazetteer that belong to a unit."""
    rows = gazetteer[gazetteer["category"].isin(COMMUNITY_CATEGORIES)]
    return rows[rows["division_code"].str[:9] + "000" == unit_code]


def build_seats(gazetteer: pd.DataFrame, region: BaseGeometry) -> gpd.GeoDataFrame:
    """Return one seat per unit, with its method, source and confidence.

    Parameters
    ----------
    gazetteer : pandas.DataFrame
        From :func:`geoservice.sampledata.gazetteer.load_gazetteer`.
    region : shapely geometry
        The district in :data:`METRIC_CRS` (needed by the largest-gap rule).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``row_id, code, name_zh, name_en, unit_type, seat_method,
        seat_source, seat_source_zh, seat_confidence, is_generator`` and point geometry, in
        :data:`METRIC_CRS`, in :data:`UNIT_ROWS` order.
    """
    records = [_seat_record(gazetteer, row_id) for row_id in UNIT_ROWS]
    seats = gpd.GeoDataFrame(records, geometry="geometry", crs=STORAGE_CRS)
    seats = seats.to_crs(METRIC_CRS)
    gap = seats["seat_method"] == "rule:largest_gap"
    if gap.any():
        others = build_generators(gazetteer, seats[~gap])
        hull = shapely.convex_hull(
            shapely.union_all(others.geometry[~others["code"].map(is_town)].values)
        )
        point = largest_gap_point(
            shapely.intersection(hull, region), np.asarray(others.geometry.values)
        )
        seats.loc[gap, "geometry"] = point
    return seats


def build_generators(gazetteer: pd.DataFrame, seats: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return every point that shapes the unit polygons, with its unit code.

    A unit's generators are its sourced seat (or a rule seat marked
    ``is_generator``) plus all its community/village points. Seats derived from
    community points are not added again, so no unit gets extra weight from a
    derived point.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``is_urban`` (streets) and ``row_id``; point geometry
        in the CRS of ``seats``.
    """
    own = seats.loc[seats["is_generator"], ["code", "row_id", "geometry"]]
    records = [
        {"code": code, "row_id": row_id, "geometry": gazetteer_point(gazetteer, row_id)}
        for code in seats["code"]
        for row_id in community_rows(gazetteer, code).index
    ]
    communities = gpd.GeoDataFrame(records, geometry="geometry", crs=STORAGE_CRS)
    generators = pd.concat([own, communities.to_crs(seats.crs)], ignore_index=True)
    generators = gpd.GeoDataFrame(generators, geometry="geometry", crs=seats.crs)
    generators["is_urban"] = ~generators["code"].map(is_town)
    return generators[["code", "row_id", "is_urban", "geometry"]]


def _seat_record(gazetteer: pd.DataFrame, row_id: str) -> dict:
    row = gazetteer.loc[row_id]
    base = {
        "row_id": row_id,
        "code": row["division_code"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "unit_type": "town" if is_town(row["division_code"]) else "street",
    }
    rule = SEAT_RULES.get(row_id)
    if rule is None:
        return {
            **base,
            "seat_method": "sourced",
            "seat_source": cite(gazetteer, row_id),
            "seat_source_zh": cite(gazetteer, row_id, "zh"),
            "seat_confidence": row["confidence"],
            "is_generator": True,
            "geometry": gazetteer_point(gazetteer, row_id),
        }
    sources = "; ".join(cite(gazetteer, r) for r in rule.rows) or "none"
    sources_zh = "；".join(cite(gazetteer, r, "zh") for r in rule.rows) or "无"
    return {
        **base,
        "seat_method": rule.method,
        "seat_source": f"{rule.note}. Points used: {sources}",
        "seat_source_zh": f"{rule.note_zh}。所用点位：{sources_zh}",
        "seat_confidence": rule.confidence,
        "is_generator": rule.is_generator,
        "geometry": _centroid_wgs84(gazetteer, rule.rows),
    }


def _centroid_wgs84(gazetteer: pd.DataFrame, rows: tuple[str, ...]) -> shapely.Point | None:
    """Centroid of gazetteer points, taken in the metric CRS.

    None when a rule uses no points (the largest-gap seat is computed later,
    once the other units' points are known).
    """
    if not rows:
        return None
    points = gpd.GeoSeries([gazetteer_point(gazetteer, r) for r in rows], crs=STORAGE_CRS)
    centroid = shapely.centroid(shapely.union_all(points.to_crs(METRIC_CRS).values))
    return gpd.GeoSeries([centroid], crs=METRIC_CRS).to_crs(STORAGE_CRS).iloc[0]
