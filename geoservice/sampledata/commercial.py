"""The ``commercial_districts`` layer: business circles, featured streets, malls.

Content: seed 000 §第二节 商贸服务业 (l.323–330) and the night-economy passage
(l.301), cross-checked with seed 003. Only 万达广场 has a stated size, so only
it gets an ``attractiveness`` (its floor area, for a Huff model); every other
value is null rather than invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geoservice.sampledata.anchors import Anchors, Placement, place
from geoservice.sampledata.common import (
    METRIC_CRS,
    SEED_000,
    SEED_003,
    frame_from_records,
    to_storage,
)

COMMERCIAL_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "category",
    "attractiveness",
    "attractiveness_basis",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)

CORE_CIRCLE = Placement(
    "rule:urban_core",
    reason="Named among the city's core business circles",
    reason_zh="规划将其列入城市核心商圈",
)
CITY_STREET = Placement(
    "rule:urban_core",
    reason="Named among the city's featured night-economy streets",
    reason_zh="规划将其列入城市夜间经济特色街区",
)
WANDA_FLOOR_AREA_M2 = 221_200.0
"""Floor area of 东胜万达广场 (A馆 + B馆 + 暖街) stated by shiyibao.com
(gazetteer LM-07: shiyibao.com/wust/transNewsDetails/EbpvUQpqxF8gA0)."""


@dataclass(frozen=True)
class Shop:
    """A business circle, street, mall or market named by the plan."""

    code: str
    name_zh: str
    name_en: str
    category: str
    lines: str
    placement: Placement


SHOPS: tuple[Shop, ...] = (
    Shop(
        "CD-01",
        "老城综合百货购物商圈",
        "Old-town department-store shopping business circle",
        "business_circle",
        "l.323",
        Placement(
            "rule:urban_core",
            reason="老城 is the old town of the city",
            reason_zh="老城即城市老城区",
        ),
    ),
    Shop(
        "CD-02",
        "铁西休闲娱乐时尚商圈",
        "Tiexi leisure, entertainment and fashion business circle",
        "business_circle",
        "l.323",
        Placement(
            "proxy",
            "U-006",
            "铁西: 铁西社区 and 铁路社区 belong to 天骄街道 in the 2016 NBS list "
            "(Vonng/adcode 150602.csv)",
            "铁西：在2016年国家统计局区划代码中，铁西社区和铁路社区属天骄街道"
            "（Vonng/adcode 150602.csv）",
        ),
    ),
    Shop("CD-03", "万达广场", "Wanda Plaza", "mall", "l.301, l.311, l.329", CORE_CIRCLE),
    Shop(
        "CD-04",
        "购物中心",
        "'Shopping Centre' mall",
        "mall",
        "l.301, l.329",
        CORE_CIRCLE,
    ),
    Shop(
        "CD-05",
        "王府井（王府井金街）",
        "Wangfujing department store (Wangfujing Golden Street)",
        "mall",
        "l.301, l.323",
        CORE_CIRCLE,
    ),
    Shop("CD-06", "星河购物", "Xinghe shopping", "mall", "l.323, l.329", CORE_CIRCLE),
    Shop("CD-07", "大润发", "RT-Mart", "mall", "l.323", CORE_CIRCLE),
    Shop("CD-08", "雍景汇", "Yongjinghui", "mall", "l.323, l.329", CORE_CIRCLE),
    Shop("CD-09", "每天百货", "Meitian department store", "mall", "l.329", CORE_CIRCLE),
    Shop(
        "CD-10",
        "“羊绒”一条街",
        "Cashmere street",
        "featured_street",
        "l.301",
        CORE_CIRCLE,
    ),
    Shop(
        "CD-11",
        "食尚街",
        "Shishang food street",
        "featured_street",
        "l.301",
        CITY_STREET,
    ),
    Shop(
        "CD-12",
        "三口街",
        "Sankou street",
        "featured_street",
        "l.301, l.311",
        CITY_STREET,
    ),
    Shop("CD-13", "花鹿栖", "Hualuqi", "featured_street", "l.301, l.311", CITY_STREET),
    Shop("CD-14", "雍贵中心", "Yonggui Centre", "mall", "l.311", CITY_STREET),
    Shop("CD-15", "万正广场", "Wanzheng Plaza", "mall", "l.311", CITY_STREET),
    Shop(
        "CD-16",
        "罕台绒纺街区",
        "Hantai cashmere-textile street",
        "featured_street",
        "l.308",
        Placement("proxy", "U-101", "Named after 罕台镇", "以罕台镇命名"),
    ),
    Shop(
        "CD-17",
        "铜川汽车博览园",
        "Tongchuan Auto Expo Park",
        "market",
        "l.324",
        Placement("sourced", "LM-14"),
    ),
    Shop(
        "CD-18",
        "万家惠农贸市场",
        "Wanjiahui farmers' market",
        "market",
        "l.324",
        Placement("rule:symbolic"),
    ),
)


def build_commercial_districts(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``commercial_districts`` point layer (EPSG:4326)."""
    records = []
    for shop in SHOPS:
        is_wanda = shop.code == "CD-03"
        source = f"{SEED_000} {shop.lines}"
        if is_wanda:
            source += f"; {SEED_003} l.943, l.977 (万达广场/万达商圈)"
        records.append(
            {
                "code": shop.code,
                "name_zh": shop.name_zh,
                "name_en": shop.name_en,
                "category": shop.category,
                "attractiveness": WANDA_FLOOR_AREA_M2 if is_wanda else None,
                "attractiveness_basis": (
                    "floor area in m² (A馆+B馆+暖街) stated by shiyibao.com, gazetteer LM-07"
                    if is_wanda
                    else "unknown: no source states a size; left null"
                ),
                "source": source,
                **place(anchors, shop.placement),
            }
        )
    frame = frame_from_records(records, COMMERCIAL_COLUMNS, crs=METRIC_CRS)
    frame["attractiveness"] = frame["attractiveness"].astype("float64")
    return to_storage(frame)
