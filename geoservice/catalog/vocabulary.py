"""Coded attribute values as a person reads them, in Chinese and English.

Layers store codes (``town``, ``sourced``, ``rule:symbolic``) so that filters,
analyses and other programs can rely on them; every page and popup shows them
through :func:`value_label`. The table is keyed by the code alone, and by
``attribute=code`` where one code means different things in two attributes
(the specific key wins), so a new value is one line here. A code missing from
the table is shown as it is stored (never guessed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

VALUES: dict[str, tuple[str, str]] = {
    # geometry_quality (and the finer vocabulary that may replace it)
    "surveyed": ("有来源坐标", "sourced coordinates"),
    "approximate": ("近似", "approximate"),
    "sourced_point": ("有来源的点位", "sourced point"),
    "official_boundary": ("官方边界", "official boundary"),
    "symbolic": ("示意位置（非实际位置）", "symbolic (not a location)"),
    "field_survey": ("实地定位", "field survey"),
    # placement_method, seat_method
    "sourced": ("有来源", "sourced"),
    "proxy": ("代用点", "proxy"),
    "proxy:named_unit": ("代用：同名单元", "proxy: the unit it is named after"),
    "proxy:seat": ("代用：驻地", "proxy: a seat"),
    "rule:symbolic": ("规则：示意（非实际位置）", "rule: symbolic (not a location)"),
    "rule:urban_core": ("规则：城区参考点", "rule: urban-core reference point"),
    "rule:sector": ("规则：方位推算", "rule: direction from the urban core"),
    "rule:waypoints": ("规则：途经参考点连线", "rule: straight lines through waypoints"),
    "rule:endpoints": ("规则：两端点连线", "rule: straight line between its ends"),
    "rule:direction": ("规则：仅表示方向", "rule: direction only"),
    "rule:community_centroid": ("规则：社区点中心", "rule: centre of its community points"),
    "rule:community_point": ("规则：社区点", "rule: a community point"),
    "rule:landmark_in_unit": ("规则：辖区内地标", "rule: a landmark in the unit"),
    "rule:largest_gap": ("规则：最大空隙处", "rule: the largest gap"),
    # confidence
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "none": ("无", "none"),
    # administrative kinds and unit types
    "community": ("社区", "community"),
    "village": ("村", "village"),
    "district": ("区", "district"),
    "city": ("市", "city"),
    "county": ("县", "county"),
    "banner": ("旗", "banner"),
    "autonomous_banner": ("自治旗", "autonomous banner"),
    "autonomous_county": ("自治县", "autonomous county"),
    "prefecture_city": ("地级市", "prefecture-level city"),
    "league": ("盟", "league"),
    "street": ("街道", "street (subdistrict)"),
    "town": ("镇", "town"),
    "zone": ("功能区", "zone"),
    # logistics, commerce, tourism categories
    "base": ("基地", "base"),
    "hub": ("枢纽", "hub"),
    "park": ("园区", "park"),
    "station": ("站", "station"),
    "centre": ("中心", "centre"),
    "cluster": ("集聚区", "cluster"),
    "business_circle": ("商圈", "business circle"),
    "featured_street": ("特色街区", "featured street"),
    "mall": ("商场", "mall"),
    "market": ("市场", "market"),
    "freight_project": ("货运项目", "freight project"),
    "pedestrian_street": ("步行街", "pedestrian street"),
    "scitech_lead": ("科技引领项目", "science and technology lead"),
    "functional_zone": ("功能区", "functional zone"),
    "finance_business": ("金融商务", "finance and business"),
    "ecommerce_park": ("电子商务园区", "e-commerce park"),
    "it_park": ("信息产业园区", "IT park"),
    "culture_park": ("文化产业园区", "culture park"),
    "health_park": ("健康产业园区", "health park"),
    "market_cluster": ("市场集群", "market cluster"),
    "night_market": ("夜市", "night market"),
    "city_core": ("城市核心", "city core"),
    "continuing": ("延续", "continuing"),
    "emerging": ("新兴", "emerging"),
    "district_core": ("区级核心", "district core"),
    "international": ("国际级", "international"),
    "national": ("国家级", "national"),
    "regional": ("区域级", "regional"),
    "port": ("口岸", "port"),
    "hub_park": ("枢纽园区", "hub park"),
    "port_node": ("口岸节点", "port node"),
    "rural_distribution_core": ("农村配送中心", "rural distribution core"),
    "logistics_hub_project": ("物流枢纽项目", "logistics hub project"),
    # sectors and plan structure
    "logistics": ("物流", "logistics"),
    "commerce": ("商贸", "commerce"),
    "tourism": ("旅游", "tourism"),
    "housing": ("居住", "housing"),
    "care": ("养老托育", "care"),
    "finance": ("金融", "finance"),
    "scitech": ("科技", "science and technology"),
    "core": ("核心", "core"),
    "ring": ("环", "ring"),
    "northeast_belt": ("东北带", "north-east belt"),
    "southeast_belt": ("东南带", "south-east belt"),
    "sector=N": ("北", "north"),
    "sector=E": ("东", "east"),
    "sector=S": ("南", "south"),
    "sector=W": ("西", "west"),
    # layer kinds (catalog.models.LayerKind)
    "layer_kind=admin_units": ("行政区划", "administrative units"),
    "layer_kind=logistics": ("物流", "logistics"),
    "layer_kind=tourism": ("文化旅游", "culture and tourism"),
    "layer_kind=commercial": ("商业", "commercial"),
    "layer_kind=services": ("服务业与公共服务", "services and public services"),
    "layer_kind=transport": ("交通", "transport"),
    "layer_kind=farmland_grid": ("耕地保护网格", "farmland protection grid"),
    "layer_kind=analysis_result": ("分析结果", "analysis result"),
    # industry (issue 17 layers)
    "equipment_manufacturing": ("装备制造", "equipment manufacturing"),
    "automotive": ("汽车", "automotive"),
    "new_energy": ("新能源", "new energy"),
    "new_energy_vehicles": ("新能源汽车", "new-energy vehicles"),
    "energy_storage": ("储能", "energy storage"),
    "energy_services": ("能源服务", "energy services"),
    "energy_saving": ("节能环保", "energy saving"),
    "cashmere_textile": ("羊绒纺织", "cashmere and textiles"),
    "food_agri": ("农畜产品加工", "food and agriculture"),
    "digital_economy": ("数字经济", "digital economy"),
    "mixed": ("综合", "mixed"),
    "unstated": ("未说明", "not stated"),
    "industrial": ("工业", "industrial"),
    "office": ("办公", "office"),
    "agricultural": ("农业", "agricultural"),
    "other": ("其他", "other"),
    "park_in_park": ("园中园", "park in a park"),
    "land": ("土地", "land"),
    "building": ("楼宇", "building"),
    "available": ("可用", "available"),
    "reserved": ("已预留", "reserved"),
    "let": ("已出租", "let"),
    "operating": ("运营中", "operating"),
    "under_construction": ("在建", "under construction"),
    "signed": ("已签约", "signed"),
    "unknown": ("未知", "unknown"),
    # farmland supervision (issue 16 layers)
    "reported": ("已上报", "reported"),
    "verified": ("已核实", "verified"),
    "rectified": ("已整改", "rectified"),
    "closed": ("已办结", "closed"),
    "setup_other": ("组织建设（其他）", "set-up (other)"),
    "system_other": ("制度建设（其他）", "system (other)"),
    "cleanup": ("问题整治", "clean-up"),
    "operation_other": ("运行管理（其他）", "operation (other)"),
    # road classes are stored in Chinese
    "国道": ("国道", "national road"),
    "高速公路": ("高速公路", "expressway"),
    "快速路": ("快速路", "express road"),
}
"""code (or ``attribute=code``) → (Chinese, English)."""

NOTES: dict[str, tuple[str, str]] = {
    "sourced": ("位置取自所列来源。", "The position is taken from the source cited."),
    "proxy": (
        "没有该项目自身的坐标：以与其相关的有来源点（如同名镇的驻地）代替。",
        "No coordinate of its own: a sourced point it is tied to (e.g. the seat of the town "
        "it is named after) stands in for it.",
    ),
    "rule:symbolic": (
        "不是位置：没有来源给出其位置，仅为在图上显示而画在城区参考点。",
        "Not a location: no source gives its position; drawn at the urban-core reference "
        "point only so that it appears on the map.",
    ),
    "rule:urban_core": (
        "画在城区参考点（有来源的街道驻地的中心），实际位置未知。",
        "Drawn at the urban-core reference point (centre of the sourced street seats); the "
        "real position is unknown.",
    ),
    "rule:sector": (
        "仅知方位：按名称所示方向放在城区参考点外若干公里处，具体位置未知。",
        "Direction only: placed some kilometres from the urban-core reference point in the "
        "direction its name gives; the exact position is unknown.",
    ),
    "rule:waypoints": (
        "示意线位：沿途有来源参考点之间的直线段，非测量线位。",
        "Schematic: straight segments between sourced waypoints, not a surveyed alignment.",
    ),
    "rule:endpoints": (
        "示意线位：所连接两地之间的直线，非测量线位。",
        "Schematic: a straight line between the two places it links, not an alignment.",
    ),
    "rule:direction": (
        "只有方向有意义：过城区参考点、按名称所示走向的直线。",
        "Only the direction means anything: a straight line through the urban core on the "
        "bearing its name implies.",
    ),
}
"""How a position was obtained, by ``placement_method``: the note a popup shows."""


def value_label(value: Any, lang: str, attribute: str | None = None) -> Any:
    """Return a coded value as a person reads it in ``lang`` (as stored if unknown)."""
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if not isinstance(value, str):
        return value
    entry = VALUES.get(f"{attribute}={value}") if attribute else None
    entry = entry or VALUES.get(value)
    if entry is None:
        return value
    return entry[1] if lang == "en" else entry[0]


AREA_ATTRIBUTES = frozenset({"area_m2"})
"""Attributes holding a feature's area in square metres (shown in km² on pages)."""


def area_label(value: Any, quality: Any, lang: str) -> str:
    """Return an area in m² as a person reads it: km², and marked approximate when the
    outline it was measured on is (``geometry_quality = approximate``)."""
    km2 = f"{float(value) / 1e6:,.1f}" if float(value) >= 1e5 else None
    text = f"{km2} km²" if km2 else f"{float(value):,.0f} m²"
    if quality != "approximate":
        return text
    return f"≈{text}（近似范围）" if lang != "en" else f"≈{text} (approximate outline)"


def value_labels(lang: str) -> dict[str, str]:
    """Return the whole table in one language (what a page's script looks values up in)."""
    i = 1 if lang == "en" else 0
    return {code: pair[i] for code, pair in VALUES.items()}


TRANSLATED: dict[str, str] = {
    "placement": "placement_zh",
    "partition": "partition_zh",
    "seat_source": "seat_source_zh",
}
"""Free-text attributes written in English → their Chinese twin column.

The sample-data rules write each such note twice from the same facts
(``placement`` and ``placement_zh``; a street's or town's ``partition`` and
``seat_source`` likewise); a Chinese page shows the twin in the
attribute's row (the English text where a feature's twin is empty, e.g. an
uploaded layer), an English page the attribute itself, and neither lists the
twin as a row of its own.
"""


def shown_attributes(names: Iterable[str], lang: str) -> list[tuple[str, str | None]]:
    """Return the attributes a page lists, each with the twin to read first in ``lang``.

    Twins (:data:`TRANSLATED`) are left out when their attribute is listed too.
    """
    names = list(names)
    present = set(names)
    twins = {twin for base, twin in TRANSLATED.items() if base in present}
    shown = []
    for name in names:
        if name in twins:
            continue
        twin = TRANSLATED.get(name) if lang != "en" else None
        shown.append((name, twin if twin in present else None))
    return shown


def placement_note(method: Any, lang: str) -> str | None:
    """Return how a position placed by ``method`` was obtained, or None."""
    entry = NOTES.get(method) if isinstance(method, str) else None
    if entry is None:
        return None
    return entry[1] if lang == "en" else entry[0]


def placement_notes(lang: str) -> dict[str, str]:
    """Return every placement note in one language."""
    i = 1 if lang == "en" else 0
    return {code: pair[i] for code, pair in NOTES.items()}
