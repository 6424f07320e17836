"""The ``logistics`` (points) and ``logistics_zones`` (polygons) layers.

Content: the four-tier logistics system of the services plan, seed 000 §第五节
(l.230–249, with the e-commerce links at l.334–340). Only the placements come
from elsewhere; each feature says how it was placed (see
:mod:`geoservice.sampledata.anchors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from geoservice.sampledata.anchors import (
    SECTOR_INNER_M,
    SECTOR_OUTER_M,
    Anchors,
    Placement,
    core_note,
    place,
)
from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    SEED_000,
    as_multipolygon,
    frame_from_records,
    to_storage,
)

ZONE_BUFFER_M = 2_000.0
"""Radius of the Tongchuan zone drawn around its sourced anchor point."""

LOGISTICS_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "category",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
ZONE_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "category",
    "sector",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)


@dataclass(frozen=True)
class PlanEntity:
    """A named entity of the plan, with its citation and placement."""

    code: str
    name_zh: str
    name_en: str
    category: str
    plan_ref: str
    placement: Placement


def _seed(lines: str, passage: str) -> str:
    return f"{SEED_000} {lines}: 「{passage}」"


LOGISTICS_POINTS: tuple[PlanEntity, ...] = (
    PlanEntity(
        "LG-01",
        "东胜综合物流基地（东胜区综合物流枢纽）",
        "Dongsheng comprehensive logistics base (district logistics hub)",
        "base",
        _seed("l.231, l.248", "重点建设东胜综合物流基地"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-02",
        "东胜东站物流枢纽",
        "Dongsheng East Station logistics hub",
        "hub",
        _seed("l.232", "规划布局东胜东站物流枢纽"),
        Placement(
            "rule:sector",
            "E",
            "东胜东站 exists (ordos.gov.cn, gazetteer LM-04) but no coordinate was "
            "found; the name says East station",
            "东胜东站确实存在（ordos.gov.cn，地名表 LM-04），但未找到坐标；站名表明在城东",
        ),
    ),
    PlanEntity(
        "LG-03",
        "铜川综合物流园",
        "Tongchuan comprehensive logistics park",
        "park",
        _seed("l.232", "铜川综合物流园、呼铁物流园等7个大型物流园区"),
        Placement("proxy", "U-102", "The park is named after 铜川镇", "园区以铜川镇命名"),
    ),
    PlanEntity(
        "LG-04",
        "呼铁物流园（装备制造基地呼铁物流园区）",
        "Hu-Tie logistics park at the equipment-manufacturing base",
        "park",
        _seed("l.232, l.237", "加快推动装备制造基地呼铁物流园区建设"),
        Placement(
            "proxy",
            "LM-16",
            "The plan puts the park at the 装备制造基地",
            "规划将该园区设在装备制造基地",
        ),
    ),
    PlanEntity(
        "LG-05",
        "煤炭综合物流园区",
        "Coal comprehensive logistics park",
        "park",
        _seed("l.236", "加快煤炭综合物流园区建设"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-06",
        "敖包沟集装站",
        "Aobaogou coal loading station",
        "station",
        _seed("l.236", "对敖包沟、李家壕、韩家村等集装站进行升级改造"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-07",
        "李家壕集装站",
        "Lijiahao coal loading station",
        "station",
        _seed("l.236", "对敖包沟、李家壕、韩家村等集装站进行升级改造"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-08",
        "韩家村集装站",
        "Hanjiacun coal loading station",
        "station",
        _seed("l.236", "对敖包沟、李家壕、韩家村等集装站进行升级改造"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-09",
        "罕台食品园区（电商产业园、区域性仓储分拣中心）",
        "Hantai food park (e-commerce park, regional warehousing and sorting centre)",
        "centre",
        _seed("l.340", "做大电商产业园，依托罕台食品园区等载体，建立…区域性仓储分拣中心"),
        Placement("proxy", "U-101", "The park is named after 罕台镇", "园区以罕台镇命名"),
    ),
    PlanEntity(
        "LG-10",
        "城北市场物流集聚区",
        "North-city market and logistics cluster",
        "cluster",
        _seed("l.335", "结合城北市场物流集聚区建设"),
        Placement("rule:sector", "N", "城北 = north of the city", "城北即城区北部"),
    ),
    PlanEntity(
        "LG-11",
        "鄂尔多斯电子商务大厦",
        "Ordos E-commerce Building",
        "centre",
        _seed("l.334", "不断完善鄂尔多斯电子商务大厦功能"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-12",
        "农畜产品交易集散港",
        "Agri-livestock product trading and distribution port",
        "hub",
        _seed("l.324", "加快建设服务于东胜、康巴什新区的大型农畜产品交易集散港"),
        Placement("rule:symbolic"),
    ),
    PlanEntity(
        "LG-13",
        "智慧物流配送中心",
        "Smart logistics distribution centre",
        "centre",
        _seed("l.249", "建设智慧物流配送中心"),
        Placement("rule:symbolic"),
    ),
)
"""Named logistics places of the plan (its tiers 1–3 and the coal stations)."""

SECTOR_ZONES: tuple[tuple[str, str, str, str], ...] = (
    (
        "LZ-E",
        "E",
        "城东生活必需品仓储配送功能区",
        "East-city daily-necessities warehousing and distribution zone",
    ),
    ("LZ-W", "W", "城西农畜产品食品功能区", "West-city agri-livestock and food zone"),
    (
        "LZ-S",
        "S",
        "城南建材百货功能区",
        "South-city building-materials and general-merchandise zone",
    ),
    ("LZ-N", "N", "城北快递电商功能区", "North-city express and e-commerce zone"),
)
"""(code, sector, Chinese name, English name) of the compass-sector zones (l.231)."""

ZONE_PASSAGE = "打造城东生活必需品仓储配送功能区、城西农畜产品食品功能区、城南建材百货功能区、城北快递电商功能区和铜川汽车工矿综合功能区"  # noqa: E501


def build_logistics(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``logistics`` point layer (EPSG:4326)."""
    records = [
        {
            "code": entity.code,
            "name_zh": entity.name_zh,
            "name_en": entity.name_en,
            "category": entity.category,
            "source": entity.plan_ref,
            **place(anchors, entity.placement),
        }
        for entity in LOGISTICS_POINTS
    ]
    return to_storage(frame_from_records(records, LOGISTICS_COLUMNS, crs=METRIC_CRS))


def build_logistics_zones(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``logistics_zones`` polygon layer (EPSG:4326).

    The four 城东/城西/城南/城北 zones are 90° annular wedges (2–8 km) around
    the urban core: the plan gives a direction and nothing else, so the shape
    shows the direction and nothing else. The 铜川 zone is a 2 km disc around
    the AMap point of 铜川汽车博览园 (the zone is the automotive and
    mining-supplies zone, and the expo park is Tongchuan's automotive site).
    """
    source = f"{SEED_000} l.231: 「{ZONE_PASSAGE}」"
    inner, outer = f"{SECTOR_INNER_M / 1000:.0f}", f"{SECTOR_OUTER_M / 1000:.0f}"
    records = [
        {
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "category": "functional_zone",
            "sector": sector,
            "placement_method": "rule:sector",
            "placement": (
                f"Schematic 90° wedge, {inner}–{outer} km from the {core_note(anchors)}, "
                "clipped to the district; the plan gives only the direction"
            ),
            "placement_zh": (
                f"示意范围：距{core_note(anchors, 'zh')}{inner}–{outer}公里的90°扇环，"
                "裁剪到区界内；规划只给出方向"
            ),
            "source": source,
            "geometry_quality": APPROXIMATE,
            "geometry": as_multipolygon(anchors.sector(sector)),
        }
        for code, sector, name_zh, name_en in SECTOR_ZONES
    ]
    expo = place(
        anchors,
        Placement(
            "proxy",
            "LM-14",
            "Tongchuan's automotive site is the 铜川汽车博览园",
            "铜川的汽车产业集中在铜川汽车博览园",
        ),
    )
    disc = shapely.intersection(expo["geometry"].buffer(ZONE_BUFFER_M), anchors.district)
    records.append(
        {
            "code": "LZ-T",
            "name_zh": "铜川汽车工矿综合功能区",
            "name_en": "Tongchuan automotive and mining-supplies zone",
            "category": "functional_zone",
            "sector": "",
            "placement_method": "proxy",
            "placement": f"{ZONE_BUFFER_M / 1000:.0f} km disc. {expo['placement']}",
            "placement_zh": f"半径{ZONE_BUFFER_M / 1000:.0f}公里的圆形范围。{expo['placement_zh']}",
            "source": source,
            "geometry_quality": APPROXIMATE,
            "geometry": as_multipolygon(disc),
        }
    )
    return to_storage(frame_from_records(records, ZONE_COLUMNS, crs=METRIC_CRS))
