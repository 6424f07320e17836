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
    # how much to trust a position (geoservice.quality; maps/quality.py, indicators.py)
    "symbolic_note": {
        "zh": "非实际位置：未找到其位置，仅为列出而画在城区参考点",
        "en": "Not a location: no position was found; drawn at the urban-core reference "
        "point only to be listed",
    },
    "not_located": {"zh": "未定位要素", "en": "Not located"},
    "not_located_layer": {"zh": "{layer}（未定位，示意）", "en": "{layer} (not located)"},
    "not_located_note": {
        "zh": "以下要素没有已知位置，不在地图上显示；勾选“未定位”图层可在城区参考点以空心圆示意。"
        "距离类分析默认不计入。",
        "en": "These have no known position and are not drawn; the “not located” layers show "
        "them as hollow rings at the urban-core reference point. Distance analyses leave "
        "them out by default.",
    },
    "data_quality": {
        "zh": "数据质量（输入要素的定位来源）",
        "en": "Data quality (how inputs were located)",
    },
    "dq_used": {"zh": "使用 {used}/{n}", "en": "{used} of {n} used"},
    "dq_sourced": {"zh": "有来源 {n}", "en": "{n} sourced"},
    "dq_proxy": {"zh": "代理点 {n}", "en": "{n} proxy"},
    "dq_rule_placed": {"zh": "按规则放置 {n}", "en": "{n} rule-placed"},
    "dq_symbolic": {"zh": "示意位置 {n}", "en": "{n} symbolic"},
    "dq_unknown": {"zh": "来源不明 {n}", "en": "{n} of unknown origin"},
    "dq_excluded": {
        "zh": "{n} 个示意位置（非实际位置）未计入距离分析",
        "en": "{n} symbolic positions (not locations) left out of distances",
    },
    "dq_included": {
        "zh": "{n} 个示意位置按实际位置计入（include_symbolic），其距离并不真实",
        "en": "{n} symbolic positions measured as locations (include_symbolic): "
        "their distances are not real",
    },
    "in_facilities": {"zh": "设施", "en": "facilities"},
    "in_demand": {"zh": "需求", "en": "demand"},
    "in_supply": {"zh": "供给", "en": "supply"},
    "in_units": {"zh": "统计单元", "en": "units"},
    "in_candidates": {"zh": "候选点", "en": "candidates"},
    "in_existing": {"zh": "现有设施", "en": "existing"},
    "in_roads": {"zh": "道路", "en": "roads"},
    "in_boundary": {"zh": "边界", "en": "boundary"},
    "in_features": {"zh": "计数要素", "en": "features"},
    "in_numerator": {"zh": "分子", "en": "numerator"},
    "in_denominator": {"zh": "分母", "en": "denominator"},
    "dq_outlines": {
        "zh": "{n} 个输入面为近似范围：据此算出的面积和比例均为近似值",
        "en": "{n} input polygons have approximate outlines: areas and shares from them "
        "are approximate",
    },
    "area": {"zh": "面积", "en": "Area"},
    "approx_area": {"zh": "≈{v} km²（近似范围）", "en": "≈{v} km² (approximate outline)"},
    "method": {"zh": "方法", "en": "Method"},
    "assumptions": {"zh": "假设", "en": "Assumptions"},
    "planned": {"zh": "规划项（非建成）", "en": "planned, not built"},
    "m_count": {"zh": "计数：{layer}{where}", "en": "count of {layer}{where}"},
    "m_coverage_share": {
        "zh": "覆盖率：{demand} 中距 {facilities} {reach} 以内的{measure}比例",
        "en": "share of {demand} ({measure}) within {reach} of {facilities}",
    },
    "m_attribute_sum": {"zh": "求和：{layer}.{column}", "en": "sum of {layer}.{column}"},
    "m_attribute_ratio": {
        "zh": "比值：{scale}×Σ{numerator}/Σ{denominator}",
        "en": "{scale} × Σ{numerator} / Σ{denominator}",
    },
    "m_features": {"zh": "要素个数", "en": "features"},
    "m_area": {"zh": "面积", "en": "area"},
    "m_population": {"zh": "人口", "en": "population"},
    "m_minutes": {"zh": "{n} 分钟", "en": "{n} minutes"},
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
    "access": {"zh": "可达性（2SFCA）", "en": "Access (2SFCA)"},
    "ratio": {"zh": "设施供需比（2SFCA）", "en": "Supply/demand ratio (2SFCA)"},
    "no_value": {"zh": "无值", "en": "no value"},
    "served_by": {"zh": "服务设施", "en": "Served by"},
    "not_served": {"zh": "未覆盖（服务范围外）", "en": "Not served (out of reach)"},
    "existing_site": {"zh": "现有设施", "en": "Existing site"},
    "new_site": {"zh": "新选址", "en": "New site"},
    "not_chosen": {"zh": "未选中的候选点", "en": "Candidate not chosen"},
    "citation": {"zh": "引用：", "en": "Cited: "},
    "how_placed": {"zh": "定位说明", "en": "How it was placed"},
    "basemap": {"zh": "底图", "en": "Base map"},
    "context": {
        "zh": "离线底图（边界、驻地、道路）",
        "en": "Offline base map (boundaries, seats, roads)",
    },
    "context_study": {"zh": "研究区", "en": "Study area"},
    "context_neighbours": {"zh": "相邻区县旗", "en": "Neighbouring counties and banners"},
    "context_units": {"zh": "街道/镇界（近似）", "en": "Street/town limits (approximate)"},
    "context_roads": {"zh": "道路（示意）", "en": "Roads (schematic)"},
    "online_basemap": {"zh": "在线底图", "en": "Online base map"},
    "gcj02_shift": {
        "zh": "底图为 GCJ-02 坐标：图上数据已由 WGS84 偏移至 GCJ-02 绘制",
        "en": "The base map is in GCJ-02: the data are drawn shifted from WGS84 into GCJ-02",
    },
    "gcj02_tiled": {
        "zh": "「{layer}」由矢量瓦片绘制，未做 GCJ-02 偏移（约偏 500 米）",
        "en": "“{layer}” is drawn from vector tiles, not shifted into GCJ-02 (about 500 m off)",
    },
    "language": {"zh": "English", "en": "中文"},
}


def text(key: str, lang: str, **values: object) -> str:
    """Return interface text ``key`` in ``lang`` (Chinese unless ``en``), formatted."""
    entry = TEXT[key]
    return entry["en" if lang == "en" else "zh"].format(**values)


def input_name(name: str, lang: str) -> str:
    """Return the name of a process input (or indicator role) in ``lang``; unknown ones as given."""
    return text(f"in_{name}", lang) if f"in_{name}" in TEXT else name


def group_name(kind: str, lang: str) -> str:
    """Return the layer-control group of a layer kind."""
    entry = GROUPS.get(kind, GROUPS[LayerKind.analysis_result])
    return entry["en" if lang == "en" else "zh"]
