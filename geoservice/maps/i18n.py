"""Interface text of the maps, in Chinese (default) and English."""

from __future__ import annotations

from geoservice.catalog.models import LayerKind

LANGS = ("zh", "en")

GROUPS: dict[str, dict[str, str]] = {
    LayerKind.admin_units: {"zh": "行政区划", "en": "Administrative units"},
    LayerKind.logistics: {"zh": "物流", "en": "Logistics"},
    LayerKind.tourism: {"zh": "文化旅游", "en": "Culture and tourism"},
    LayerKind.commercial: {"zh": "商业", "en": "Commercial"},
    LayerKind.services: {"zh": "服务业与公共服务", "en": "Services and public services"},
    LayerKind.farmland_grid: {"zh": "耕地保护网格", "en": "Farmland protection grid"},
    LayerKind.farmland_register: {"zh": "耕地保护责任人", "en": "Farmland grid register"},
    LayerKind.farmland_patrols: {"zh": "巡田记录", "en": "Farmland patrols"},
    LayerKind.farmland_incidents: {"zh": "耕地问题线索", "en": "Farmland incidents"},
    LayerKind.farmland_assessment: {"zh": "耕地保护考核", "en": "Farmland assessment"},
    LayerKind.transport: {"zh": "交通", "en": "Transport"},
    LayerKind.enterprise: {"zh": "产业园区与企业", "en": "Industrial parks and enterprises"},
    LayerKind.idle_asset: {"zh": "闲置土地与楼宇", "en": "Idle land and buildings"},
    LayerKind.analysis_result: {"zh": "分析结果", "en": "Analysis results"},
}
"""Layer-control groups, in the order the one-map lists them."""

TEXT: dict[str, dict[str, str]] = {
    "one_map": {"zh": "东胜区服务业规划一张图", "en": "Dongsheng services plan: one map"},
    "maps": {"zh": "规划地图", "en": "Planning maps"},
    "search": {"zh": "按名称搜索…", "en": "Search by name…"},
    "not_found": {"zh": "未找到", "en": "Not found"},
    "fullscreen": {"zh": "全屏", "en": "Full screen"},
    "exit_fullscreen": {"zh": "退出全屏", "en": "Exit full screen"},
    "legend": {"zh": "图例", "en": "Legend"},
    "approximate": {
        "zh": "近似位置/范围（按规则放置或推算，非测量成果）",
        "en": "Approximate position or extent (placed by a rule or derived; not surveyed)",
    },
    "approximate_legend": {"zh": "虚线：近似位置/范围", "en": "Dashed: approximate"},
    "zoom_in": {
        "zh": "放大到第 {zoom} 级以上显示「{layer}」",
        "en": "Zoom in to level {zoom} or more to see “{layer}”",
    },
    "querying": {"zh": "查询中…", "en": "Querying…"},
    "nothing_here": {"zh": "此处无要素", "en": "No feature here"},
    "more": {"zh": "另有 {n} 个要素", "en": "{n} more features"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "indicators": {"zh": "规划指标", "en": "Plan indicators"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "value": {"zh": "现值", "en": "Value"},
    "target": {"zh": "目标", "en": "Target"},
    "status": {"zh": "状态", "en": "Status"},
    "met": {"zh": "达标", "en": "met"},
    "not_met": {"zh": "未达标", "en": "not met"},
    "not_evaluable": {"zh": "无法评估（缺数据）", "en": "not evaluable (data missing)"},
    "evaluated": {"zh": "评估时间", "en": "Evaluated"},
    "uncovered": {"zh": "未覆盖", "en": "Not covered"},
    "off_network": {
        "zh": "不在路网上（距道路过远）",
        "en": "Not on the network (too far from a road)",
    },
    "probability": {"zh": "概率", "en": "Probability"},
    "most_likely": {"zh": "最可能前往", "en": "Most likely goes to"},
    "minutes": {"zh": "{n} 分钟", "en": "{n} minutes"},
    "share": {"zh": "覆盖率", "en": "Covered share"},
    "all_layers": {"zh": "全部规划图层", "en": "All planning layers"},
}


def text(key: str, lang: str, **values: object) -> str:
    """Return interface text ``key`` in ``lang`` (Chinese unless ``en``), formatted."""
    entry = TEXT[key]
    return entry["en" if lang == "en" else "zh"].format(**values)


def group_name(kind: str, lang: str) -> str:
    """Return the layer-control group of a layer kind."""
    entry = GROUPS.get(kind, GROUPS[LayerKind.analysis_result])
    return entry["en" if lang == "en" else "zh"]
