"""The industry-map layers: ``industrial_parks``, ``enterprises`` and ``idle_assets``.

Content: the parks and lead firms named by the services plan (seed 000) and by
the gazette's winter investment-promotion plan and chronicle (seed 003). Parks
with a sourced point (the AMap points of the former statistical units
装备制造基地 and 铜川汽车博览园) are placed there; the rest are proxies or, with
nothing to place them by, symbolic (see :mod:`geoservice.sampledata.anchors`).
An industry chain is filled in only where a text states it.

The idle land and buildings list (闲置土地、楼宇) is not public: the layer is
built empty, with its schema, for the investment-promotion office to fill.
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

PARK_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "category",
    "industry_chain",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
ENTERPRISE_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "industry_chain",
    "chain_basis",
    "park",
    "status",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
IDLE_ASSET_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "asset_type",
    "area_ha",
    "floor_area_m2",
    "use",
    "available_from",
    "contact_office",
    "status",
    "placement_method",
    "source",
    "geometry_quality",
)

LEAD_FIRMS = "一是要依托晶澳、金龙、中车、奇瑞、一道、巨鼎等龙头企业，按照东胜区产业地图赴北京、浙江、安徽、广东、辽宁等地开展招商"  # noqa: E501
"""Seed 003 l.182, the winter plan's list of lead firms."""


def _cite(seed: str, lines: str, passage: str) -> str:
    return f"{seed} {lines}: 「{passage}」"


@dataclass(frozen=True)
class Park:
    """A park or base the texts name."""

    code: str
    name_zh: str
    name_en: str
    category: str
    industry_chain: str
    source: str
    placement: Placement


@dataclass(frozen=True)
class Firm:
    """A lead firm or industrial project the texts name."""

    code: str
    name_zh: str
    name_en: str
    industry_chain: str
    chain_basis: str
    park: str
    status: str
    source: str
    placement: Placement


PARKS: tuple[Park, ...] = (
    Park(
        "PK-01",
        "鄂尔多斯市装备制造基地（装备制造产业园）",
        "Ordos equipment-manufacturing base (equipment-manufacturing industrial park)",
        "base",
        "equipment_manufacturing",
        _cite(
            SEED_000, "l.237", "加快推动装备制造基地呼铁物流园区建设，引导中车、奇瑞等大型制造企业"
        ),
        Placement("sourced", "LM-16"),
    ),
    Park(
        "PK-02",
        "铜川汽车博览园（捷通机电城）",
        "Tongchuan Auto Expo Park (Jietong electromechanical mall)",
        "park",
        "automotive",
        _cite(SEED_000, "l.205", "依托铜川汽车博览园捷通机电城产业基础"),
        Placement("sourced", "LM-14"),
    ),
    Park(
        "PK-03",
        "罕台食品园区",
        "Hantai food park",
        "park",
        "food_agri",
        _cite(SEED_000, "l.340", "做大电商产业园，依托罕台食品园区等载体"),
        Placement("proxy", "U-101", "The park is named after 罕台镇", "园区以罕台镇命名"),
    ),
    Park(
        "PK-04",
        "鄂尔多斯高新技术产业开发区（高新区）",
        "Ordos High-tech Industrial Development Zone",
        "zone",
        "mixed",
        _cite(SEED_003, "l.1049", "鄂尔多斯高新区管委会副主任、装备制造产业园管理办主任"),
        Placement(
            "proxy",
            "LM-16",
            "The equipment-manufacturing park is run by the zone's committee (seed 003 "
            "l.1049); the zone's own point and boundary are not published",
            "装备制造产业园由高新区管委会管理（seed 003 l.1049）；高新区本身的点位和边界未公开",
        ),
    ),
    Park(
        "PK-05",
        "高新技术产业园",
        "High-tech industrial park",
        "park",
        "digital_economy",
        _cite(
            SEED_003,
            "l.1055",
            "鄂尔多斯高新区管委会副主任、高新技术产业园管理办主任…考察学习数字经济、智能算力等产业",
        ),
        Placement("rule:symbolic"),
    ),
    Park(
        "PK-06",
        "东胜区轻纺工业园区（罕台）",
        "Dongsheng light-textile industrial park (Hantai)",
        "park",
        "cashmere_textile",
        "NBS statistical unit 150602401 (2016–2021 lists, gazetteer LM-15); "
        + _cite(SEED_000, "l.308", "罕台绒纺街区"),
        Placement(
            "proxy",
            "U-101",
            "LM-15 has no coordinate; the gazetteer places the park in the Hantai area",
            "LM-15 没有坐标；地名表把该园区记在罕台一带",
        ),
    ),
    Park(
        "PK-07",
        "现代能源综合服务园区（园中园）",
        "Modern energy comprehensive services park (park within a park)",
        "park_in_park",
        "energy_services",
        _cite(
            SEED_000,
            "l.205",
            "依托铜川汽车博览园捷通机电城产业基础，以园中园的形式挂牌成立现代能源综合服务园区",
        ),
        Placement(
            "proxy",
            "LM-14",
            "A park within the Tongchuan Auto Expo Park",
            "铜川汽车博览园内的园中园",
        ),
    ),
    Park(
        "PK-08",
        "节能环保产业园（园中园）",
        "Energy-saving and environmental industrial park (park within a park)",
        "park_in_park",
        "energy_saving",
        _cite(
            SEED_000,
            "l.206",
            "依托装备制造基地节能环保产业基础，以园中园的形式挂牌成立节能环保产业产业园区",
        ),
        Placement(
            "proxy",
            "LM-16",
            "A park within the equipment-manufacturing base",
            "装备制造基地内的园中园",
        ),
    ),
)
"""Parks and bases named by the texts."""

_BASE = Placement(
    "proxy",
    "LM-16",
    "The plan puts 中车 and 奇瑞 at the equipment-manufacturing base (l.237)",
    "规划将中车、奇瑞列在装备制造基地（l.237）",
)
_UNSTATED = "The texts name the firm as a lead firm (龙头企业) without its chain"

FIRMS: tuple[Firm, ...] = (
    Firm(
        "EN-01",
        "中车",
        "CRRC",
        "equipment_manufacturing",
        "seed 000 l.237 counts it among the 大型制造企业 of the equipment-manufacturing base",
        "PK-01",
        "operating",
        _cite(SEED_000, "l.237", "引导中车、奇瑞等大型制造企业主辅分离")
        + "; "
        + _cite(SEED_003, "l.182", LEAD_FIRMS),
        _BASE,
    ),
    Firm(
        "EN-02",
        "奇瑞",
        "Chery",
        "equipment_manufacturing",
        "seed 000 l.237 counts it among the 大型制造企业 of the equipment-manufacturing base",
        "PK-01",
        "operating",
        _cite(SEED_000, "l.237", "引导中车、奇瑞等大型制造企业主辅分离")
        + "; "
        + _cite(SEED_003, "l.182", LEAD_FIRMS),
        _BASE,
    ),
    Firm(
        "EN-03",
        "晶澳",
        "JA Solar",
        "unstated",
        _UNSTATED,
        "",
        "unknown",
        _cite(SEED_003, "l.182", LEAD_FIRMS),
        Placement("rule:symbolic"),
    ),
    Firm(
        "EN-04",
        "金龙",
        "Jinlong",
        "unstated",
        _UNSTATED,
        "",
        "unknown",
        _cite(SEED_003, "l.182", LEAD_FIRMS),
        Placement("rule:symbolic"),
    ),
    Firm(
        "EN-05",
        "一道（亿利一道新能源10GW光伏组件项目）",
        "Yidao (Elion–Yidao 10 GW PV-module project)",
        "new_energy",
        "seed 003 l.945 names its 10 GW PV-module (光伏组件) project",
        "",
        "unknown",
        _cite(SEED_003, "l.182", LEAD_FIRMS)
        + "; "
        + _cite(SEED_003, "l.945", "亿利一道新能源10GW沙戈荒地区高效专用光伏组件项目"),
        Placement("rule:symbolic"),
    ),
    Firm(
        "EN-06",
        "巨鼎",
        "Juding",
        "unstated",
        _UNSTATED,
        "",
        "unknown",
        _cite(SEED_003, "l.182", LEAD_FIRMS),
        Placement("rule:symbolic"),
    ),
    Firm(
        "EN-07",
        "东风柳汽鄂尔多斯乘龙新能源产业基地",
        "Dongfeng Liuzhou Motor Ordos Chenglong new-energy vehicle base",
        "new_energy_vehicles",
        "seed 003 l.963: a new-energy vehicle base that delivered 300 NEV trucks",
        "",
        "operating",
        _cite(
            SEED_003,
            "l.963",
            "东风柳汽鄂尔多斯乘龙新能源产业基地启动仪式暨300台新能源车交车启动仪式",
        ),
        Placement("rule:symbolic"),
    ),
    Firm(
        "EN-08",
        "鄂尔多斯雷天共享储能电站和水溶锂硫动力电池新能源产业园",
        "Ordos Leitian shared energy-storage station and lithium-sulphur battery park",
        "energy_storage",
        "seed 003 l.1009: a shared energy-storage station and battery park",
        "",
        "signed",
        _cite(
            SEED_003,
            "l.1009",
            "鄂尔多斯雷天共享储能电站和水溶锂硫动力电池新能源产业园项目投资合作协议签约仪式",
        ),
        Placement("rule:symbolic"),
    ),
)
"""Lead firms (winter plan) and industrial projects (chronicle) named by the texts."""


def build_industrial_parks(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``industrial_parks`` point layer (EPSG:4326)."""
    records = [
        {
            "code": park.code,
            "name_zh": park.name_zh,
            "name_en": park.name_en,
            "category": park.category,
            "industry_chain": park.industry_chain,
            "source": park.source,
            **place(anchors, park.placement),
        }
        for park in PARKS
    ]
    return to_storage(frame_from_records(records, PARK_COLUMNS, crs=METRIC_CRS))


def build_enterprises(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``enterprises`` point layer (EPSG:4326)."""
    records = [
        {
            "code": firm.code,
            "name_zh": firm.name_zh,
            "name_en": firm.name_en,
            "industry_chain": firm.industry_chain,
            "chain_basis": firm.chain_basis,
            "park": firm.park,
            "status": firm.status,
            "source": firm.source,
            **place(anchors, firm.placement),
        }
        for firm in FIRMS
    ]
    return to_storage(frame_from_records(records, ENTERPRISE_COLUMNS, crs=METRIC_CRS))


def build_idle_assets() -> gpd.GeoDataFrame:
    """Build the ``idle_assets`` layer: its schema and no features (no public list exists)."""
    frame = to_storage(frame_from_records([], IDLE_ASSET_COLUMNS, crs=METRIC_CRS))
    numbers = {"area_ha", "floor_area_m2"}
    return frame.astype({c: object for c in IDLE_ASSET_COLUMNS if c not in numbers})
