"""The ``roads`` layer: the national roads and expressways the plan names, schematically.

Seed 000 l.8: 「109、210国道在此交汇，包茂、荣乌高速公路与包府公路贯穿城区」 (G109 and
G210 meet here; the Baotou–Maoming and Rongcheng–Wuhai expressways and the
Baotou–Fugu road run through the city). No alignment of any of them is in a
source at hand, so every line is a polyline drawn by a stated rule, and every
feature is ``geometry_quality=approximate``:

``rule:waypoints``
    G109 and G210: straight segments from a road waypoint of the gazetteer at
    one end (a sourced point that a text ties to the road, RD-01a/b, RD-02a/b),
    through the urban-core reference point (where the two roads meet, RD-01c),
    to the waypoint at the other end.
``rule:endpoints``
    东康快速通道 (seed 003 l.922): one straight segment from the urban-core
    reference point to the Kangbashi point (LM-13), the two places it links.
``rule:direction``
    G65 and G18: only "through the city" and the direction their names imply
    (Baotou–Maoming north–south, Rongcheng–Wuhai east–west) are known. Each is
    a straight line on that bearing through the urban-core reference point,
    cut to the district. **Only the direction means anything.**

The 包府公路 is left out: it would be one more north–south line through the same
point, which adds nothing a direction-only line can say. The tourist routes
(``tourist_routes``) join attractions along the roads, not the roads, so they
are not reused as alignments. There are no city streets: walking analyses on
this layer only follow the two national roads.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from geoservice.analysis.network import DRIVE_SPEEDS_KMH
from geoservice.sampledata.anchors import Anchors, core_note
from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    SEED_000,
    SEED_003,
    STORAGE_CRS,
    frame_from_records,
    to_storage,
)
from geoservice.sampledata.gazetteer import cite, gazetteer_point

ROAD_COLUMNS = (
    "code",
    "ref",
    "name_zh",
    "name_en",
    "road_class",
    "speed_kmh",
    "placement_method",
    "placement",
    "placement_zh",
    "source",
    "geometry_quality",
)
DIRECTION_HALF_LENGTH_M = 60_000.0
"""Half-length of a direction-only line before it is cut to the district."""


@dataclass(frozen=True)
class Road:
    """One named road and how its line is drawn."""

    code: str
    ref: str
    name_zh: str
    name_en: str
    road_class: str
    method: str
    waypoints: tuple[str, ...] = ()  # gazetteer ids; "core" is the urban-core point
    bearing: str = ""  # "NS" or "EW" for rule:direction
    source: str = f"{SEED_000} l.8"


ROADS: tuple[Road, ...] = (
    Road("R-G210", "G210", "210国道", "National Road G210", "国道", "rule:waypoints",
         waypoints=("RD-02a", "core", "RD-02b")),
    Road("R-G109", "G109", "109国道", "National Road G109", "国道", "rule:waypoints",
         waypoints=("RD-01b", "core", "RD-01a")),
    Road("R-G65", "G65", "包茂高速公路", "G65 Baotou–Maoming Expressway", "高速公路",
         "rule:direction", bearing="NS"),
    Road("R-G18", "G18", "荣乌高速公路", "G18 Rongcheng–Wuhai Expressway", "高速公路",
         "rule:direction", bearing="EW"),
    Road("R-DK", "", "东康快速通道", "Dongsheng–Kangbashi expressway (Dongkang line)", "快速路",
         "rule:endpoints", waypoints=("core", "LM-13"), source=f"{SEED_003} l.922"),
)  # fmt: skip


def build_roads(anchors: Anchors) -> gpd.GeoDataFrame:
    """Build the ``roads`` line layer (EPSG:4326), one LineString per road."""
    records = []
    for road in ROADS:
        line, how = _draw(anchors, road)
        records.append(
            {
                "code": road.code,
                "ref": road.ref,
                "name_zh": road.name_zh,
                "name_en": road.name_en,
                "road_class": road.road_class,
                "speed_kmh": float(DRIVE_SPEEDS_KMH[road.road_class]),
                "placement_method": road.method,
                "placement": how[0],
                "placement_zh": how[1],
                "source": road.source,
                "geometry_quality": APPROXIMATE,
                "geometry": line,
            }
        )
    return to_storage(frame_from_records(records, ROAD_COLUMNS, crs=METRIC_CRS))


def _draw(anchors: Anchors, road: Road) -> tuple[shapely.LineString, tuple[str, str]]:
    """Return a road's line and how it was drawn, in English and in Chinese."""
    if road.method == "rule:direction":
        ns = road.bearing == "NS"
        return _direction_line(anchors, road.bearing), (
            f"Direction only: a straight {'north–south' if ns else 'east–west'} "
            f"line through the {core_note(anchors)}, cut to the district; the plan says only "
            "that it runs through the city. Not the alignment.",
            f"仅表示方向：过{core_note(anchors, 'zh')}的{'南北' if ns else '东西'}向直线，"
            "截取区内部分；规划只说它穿城而过。不是实际线位。",
        )
    points = [_waypoint(anchors, ref) for ref in road.waypoints]
    notes = [
        core_note(anchors) if ref == "core" else cite(anchors.gazetteer, ref)
        for ref in road.waypoints
    ]
    notes_zh = [
        core_note(anchors, "zh") if ref == "core" else cite(anchors.gazetteer, ref, "zh")
        for ref in road.waypoints
    ]
    return shapely.LineString(points), (
        "Schematic: straight segments between "
        + " → ".join(notes)
        + ". Not the surveyed alignment.",
        "示意线位：依次连接" + " → ".join(notes_zh) + "的直线段。不是测量线位。",
    )


def _waypoint(anchors: Anchors, ref: str) -> shapely.Point:
    if ref == "core":
        return anchors.core
    point = gazetteer_point(anchors.gazetteer, ref)
    return gpd.GeoSeries([point], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]


def _direction_line(anchors: Anchors, bearing: str) -> shapely.LineString:
    x, y, d = anchors.core.x, anchors.core.y, DIRECTION_HALF_LENGTH_M
    full = (
        shapely.LineString([(x, y + d), (x, y - d)])
        if bearing == "NS"
        else shapely.LineString([(x - d, y), (x + d, y)])
    )
    pieces = shapely.get_parts(shapely.intersection(full, anchors.district))
    through_core = [p for p in pieces if p.distance(anchors.core) < 1e-6]
    return through_core[0] if through_core else full
