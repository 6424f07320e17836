"""The ``tourism_clusters`` (points) and ``tourist_routes`` (lines) layers.

Content: the nine 文旅产品集聚区 and the two 精品旅游线路 of the services plan,
seed 000 l.299–314. The routes are schematic polylines through the stops that
can be placed, in the plan's order; they do not follow G210/G109, whose
alignments are in no source at hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from geoservice.sampledata.anchors import Anchors, Placement, place
from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    SEED_000,
    frame_from_records,
    to_storage,
)

CLUSTER_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "components_zh",
    "routes",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
ROUTE_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "highway",
    "direction",
    "stops_zh",
    "stops_en",
    "stop_placements",
    "vertex_stops_zh",
    "n_stops",
    "n_vertices",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
VERTEX_METHODS = frozenset({"sourced", "proxy", "rule:urban_core"})
"""Stops placed this way become route vertices; direction-only and symbolic
placements would only add zig-zags that no source supports."""


@dataclass(frozen=True)
class Cluster:
    """One 文旅产品集聚区 with the projects the plan's column lists for it."""

    code: str
    name_zh: str
    name_en: str
    components_zh: str
    line: int
    placement: Placement
    routes: str = ""


CLUSTERS: tuple[Cluster, ...] = (
    Cluster(
        "TC-1",
        "动植物园文化休闲区",
        "Zoo and botanical garden culture-leisure zone",
        "动物园提升改造、敖包相会、奥莱小镇、城市会客厅、鄂尔多斯野生动物园、植物园、文旅大厦",
        306,
        Placement(
            "rule:sector",
            "W",
            "The zoo's address is 铁西区三园路1号, north of G109 in western "
            "Dongsheng (gazetteer LM-02); no coordinate found",
            "动物园地址为铁西区三园路1号，位于东胜西部、109国道以北（地名表 LM-02）；未找到坐标",
        ),
        "G109",
    ),
    Cluster(
        "TC-2",
        "秦汉融合文化旅游区",
        "Qin–Han fusion culture-tourism zone",
        "秦直道遗址公园、秦直道文化旅游区",
        307,
        Placement(
            "rule:sector",
            "SW",
            "The Qin Straight Road remains lie south-west of the old town "
            "(gazetteer LM-03); no coordinate found",
            "秦直道遗址位于老城西南（地名表 LM-03）；未找到坐标",
        ),
        "G109",
    ),
    Cluster(
        "TC-3",
        "绒都工业文化旅游区",
        "'Cashmere Capital' industrial-culture tourism zone",
        "鄂绒工业旅游区、罕台绒纺街区、酒文化产业园",
        308,
        Placement(
            "proxy", "U-101", "Its 罕台绒纺街区 is in 罕台镇", "其中的罕台绒纺街区位于罕台镇"
        ),
        "G210",
    ),
    Cluster(
        "TC-4",
        "西部生态康养聚集区",
        "Western ecological health-and-wellness cluster",
        "鑫海颐和康养城、中华情社区居家养老服务中心",
        309,
        Placement("rule:sector", "W", "The plan calls it 西部 (western)", "规划称其位于“西部”"),
        "G109",
    ),
    Cluster(
        "TC-5",
        "中视文化休闲康养区",
        "Zhongshi (China-TV) culture, leisure and wellness zone",
        "中视文化产业（东胜）基地、灶火壕村文化旅游升级项目",
        310,
        Placement(
            "proxy",
            "U-101",
            "Its 灶火壕村 belongs to 罕台镇 in the 2016 NBS list (gazetteer LM-18)",
            "其中的灶火壕村在2016年国家统计局区划代码中属罕台镇（地名表 LM-18）",
        ),
        "G210",
    ),
    Cluster(
        "TC-6",
        "都市文化休闲商业区",
        "Urban culture, leisure and commerce zone",
        "三口街、花鹿栖、万达广场、雍贵中心、万正广场",
        311,
        Placement(
            "rule:urban_core",
            reason="Its projects are city-centre streets and malls",
            reason_zh="其项目均为城区中心的街区和商场",
        ),
    ),
    Cluster(
        "TC-7",
        "西部滨水生态休闲娱乐区",
        "Western waterfront ecological leisure zone",
        "赛台基湖区提升项目",
        312,
        Placement(
            "proxy",
            "U-011",
            "赛台基/三台基: 三台基社区 belongs to 纺织街道 in the 2016 NBS list (gazetteer LM-17)",
            "赛台基即三台基：在2016年国家统计局区划代码中，三台基社区属纺织街道（地名表 LM-17）",
        ),
        "G109",
    ),
    Cluster(
        "TC-8",
        "草原生态文化游憩区",
        "Grassland ecological-culture recreation zone",
        "非洲草原、泊江海子遗鸥自然保护区",
        313,
        Placement(
            "proxy",
            "LM-10",
            "One of its two projects is the relict-gull reserve",
            "其两个项目之一为遗鸥自然保护区",
        ),
        "G109",
    ),
    Cluster(
        "TC-9",
        "东部产业文化休闲区",
        "Eastern industrial-culture leisure zone",
        "铜川汽博园汽车小镇、铜川汽车文化休闲体验中心",
        314,
        Placement(
            "proxy", "LM-14", "Its project is the 铜川汽博园 car town", "其项目为铜川汽博园汽车小镇"
        ),
    ),
)


@dataclass(frozen=True)
class Stop:
    """One stop of a tourist route, in the plan's order."""

    name_zh: str
    name_en: str
    placement: Placement


ROUTES: dict[str, tuple[str, str, str, str, tuple[Stop, ...]]] = {
    "G210": (
        "沿210国道南北向文化旅游线路",
        "North–south culture-tourism route along G210",
        "G210",
        "north–south",
        (
            Stop(
                "响沙湾",
                "Xiangshawan (Resonant Sand Bay)",
                Placement("sourced", "LM-11"),
            ),
            Stop(
                "万家惠休闲娱乐时尚商圈",
                "Wanjiahui leisure and fashion business circle",
                Placement(
                    "rule:urban_core", reason="A city business circle", reason_zh="城市商圈之一"
                ),
            ),
            Stop(
                "中视影视文化基地",
                "Zhongshi film and culture base",
                Placement(
                    "proxy",
                    "U-101",
                    "Cluster TC-5 (灶火壕村, 罕台镇)",
                    "即集聚区 TC-5（灶火壕村，罕台镇）",
                ),
            ),
            Stop(
                "酒文化园",
                "Liquor-culture park",
                Placement(
                    "proxy", "U-101", "Part of cluster TC-3 (罕台镇)", "属集聚区 TC-3（罕台镇）"
                ),
            ),
            Stop("康巴什新区", "Kangbashi New District", Placement("sourced", "LM-13")),
            Stop("蒙古源流", "Mongol Origins culture park", Placement("rule:symbolic")),
            Stop("成吉思汗陵", "Mausoleum of Genghis Khan", Placement("sourced", "LM-12")),
        ),
    ),
    "G109": (
        "沿109国道东西向生命健康旅游线路",
        "East–west life-and-health tourism route along G109",
        "G109",
        "east–west",
        (
            Stop(
                "三台基滨水乐园",
                "Santaiji waterfront park",
                Placement(
                    "proxy",
                    "U-011",
                    "Cluster TC-7 (三台基社区, 纺织街道)",
                    "即集聚区 TC-7（三台基社区，纺织街道）",
                ),
            ),
            Stop(
                "生态康养集聚区",
                "Eco-wellness cluster",
                Placement("rule:sector", "W", "Cluster TC-4 (西部)", "即集聚区 TC-4（西部）"),
            ),
            Stop(
                "野生动物园、植物园",
                "Wildlife park and botanical garden",
                Placement(
                    "rule:sector",
                    "W",
                    "Cluster TC-1 (铁西, western Dongsheng)",
                    "即集聚区 TC-1（铁西，东胜西部）",
                ),
            ),
            Stop(
                "鄂尔多斯羊绒博览园",
                "Ordos Cashmere Expo Park",
                Placement("rule:symbolic"),
            ),
            Stop(
                "九城宫（草原漫瀚小镇）",
                "Jiuchenggong (Manhan grassland town)",
                Placement(
                    "proxy",
                    "U-101",
                    "Namesake village 九成功村 is in 罕台镇 (inferred from the name, "
                    "gazetteer LM-09)",
                    "同名的九成功村在罕台镇（据名称推断，地名表 LM-09）",
                ),
            ),
            Stop(
                "秦直道",
                "Qin Straight Road",
                Placement(
                    "rule:sector",
                    "SW",
                    "Cluster TC-2 (south-west of the old town)",
                    "即集聚区 TC-2（老城西南）",
                ),
            ),
            Stop(
                "遗鸥国家自然保护区",
                "Relict Gull National Nature Reserve",
                Placement("sourced", "LM-10"),
            ),
            Stop("鄂尔多斯草原", "Ordos grassland", Placement("rule:symbolic")),
        ),
    ),
}
"""Route id → (Chinese name, English name, highway, direction, stops), l.300."""


def build_tourism_clusters(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``tourism_clusters`` point layer (EPSG:4326)."""
    records = [
        {
            "code": cluster.code,
            "name_zh": cluster.name_zh,
            "name_en": cluster.name_en,
            "components_zh": cluster.components_zh,
            "routes": cluster.routes,
            "source": f"{SEED_000} l.299, l.{cluster.line}",
            **place(anchors, cluster.placement),
        }
        for cluster in CLUSTERS
    ]
    return to_storage(frame_from_records(records, CLUSTER_COLUMNS, crs=METRIC_CRS))


def build_tourist_routes(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``tourist_routes`` line layer (EPSG:4326).

    Each route is a LineString through its placeable stops (sourced, proxy or
    urban-core placements), in the plan's order; consecutive stops at the
    same point collapse into one vertex. All stops, placed or not, are listed
    in ``stops_zh`` with their placement methods in ``stop_placements``.
    """
    records = []
    for code, (name_zh, name_en, highway, direction, stops) in ROUTES.items():
        placed = [(stop, place(anchors, stop.placement)) for stop in stops]
        vertices, vertex_names = [], []
        for stop, where in placed:
            if where["placement_method"] not in VERTEX_METHODS:
                continue
            if vertices and where["geometry"].equals(vertices[-1]):
                vertex_names[-1] += f"/{stop.name_zh}"
                continue
            vertices.append(where["geometry"])
            vertex_names.append(stop.name_zh)
        records.append(
            {
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "highway": highway,
                "direction": direction,
                "stops_zh": " → ".join(stop.name_zh for stop in stops),
                "stops_en": " → ".join(stop.name_en for stop in stops),
                "stop_placements": " → ".join(w["placement_method"] for _, w in placed),
                "vertex_stops_zh": " → ".join(vertex_names),
                "n_stops": len(stops),
                "n_vertices": len(vertices),
                "placement": (
                    "Schematic: straight segments between the placeable stops, "
                    f"not the {highway} alignment. Stops: "
                    + "; ".join(f"{s.name_zh}: {w['placement']}" for s, w in placed)
                ),
                "placement_zh": (
                    f"示意线位：可定位站点之间的直线段，不是{highway}的实际线位。各站："
                    + "；".join(f"{s.name_zh}：{w['placement_zh']}" for s, w in placed)
                ),
                "source": f"{SEED_000} l.300",
                "geometry_quality": APPROXIMATE,
                "geometry": shapely.LineString(vertices),
            }
        )
    return to_storage(frame_from_records(records, ROUTE_COLUMNS, crs=METRIC_CRS))


STOP_COLUMNS = (
    "code",
    "route",
    "seq",
    "name_zh",
    "name_en",
    "plan_says",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
ROUTE_PASSAGES = {
    "G210": "沿210国道延伸的南北向文化旅游线路：响沙湾——万家惠休闲娱乐时尚商圈——中视影视文化基地"
    "——酒文化园——康巴什新区——蒙古源流——成吉思汗陵",
    "G109": "沿109国道延伸的东西向生命健康旅游线路：三台基滨水乐园——生态康养集聚区——野生动物园、"
    "植物园——鄂尔多斯羊绒博览园——九城宫（草原漫瀚小镇）——秦直道——遗鸥国家自然保护区——鄂尔多斯草原",
}
"""The plan's own words for each route (seed 000 l.300)."""


def build_tourist_stops(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``tourist_stops`` point layer: every stop of both routes, in order.

    A stop's popup is what a visitor reads: its route, its place in the order,
    the plan's sentence naming it and how its point was obtained. Symbolic
    stops are kept (the order needs them) and say they are not locations.
    """
    records = []
    for route, (name_zh, _, _, _, stops) in ROUTES.items():
        for seq, stop in enumerate(stops, start=1):
            records.append(
                {
                    "code": f"{route}-{seq:02d}",
                    "route": route,
                    "seq": seq,
                    "name_zh": stop.name_zh,
                    "name_en": stop.name_en,
                    "plan_says": f"{name_zh}第{seq}站。规划原文：「{ROUTE_PASSAGES[route]}」",
                    "source": f"{SEED_000} l.300",
                    **place(anchors, stop.placement),
                }
            )
    return to_storage(frame_from_records(records, STOP_COLUMNS, crs=METRIC_CRS))
