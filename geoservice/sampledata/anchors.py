"""Where plan entities without coordinates are put, and how that is recorded.

The plan names logistics zones, parks, tourism clusters and shops but gives no
coordinates, and few of them have any public coordinate. Each feature therefore
declares a :class:`Placement`, and :func:`place` turns it into a point plus the
attributes that tell a user how much to trust it:

``sourced``
    A cited source gives coordinates for this very feature.
``proxy``
    The feature is placed at a sourced (or seat) point the texts tie it to,
    e.g. the seat of the town it lies in.
``rule:urban_core``
    The text says the feature is in the central city; placed at the urban-core
    reference point.
``rule:sector``
    The text gives only a direction (城东, 西部 …); placed on that compass
    bearing from the urban core.
``rule:symbolic``
    Nothing locates the feature; it is drawn at the urban-core reference point
    only so that it appears on the map. **Not a location.**

Everything here works in :data:`~geoservice.sampledata.common.METRIC_CRS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoservice.catalog.vocabulary import value_label
from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    SOURCED_POINT,
    STORAGE_CRS,
    SYMBOLIC,
)
from geoservice.sampledata.gazetteer import cite, gazetteer_point

SECTOR_INNER_M = 2_000.0
"""Inner radius of the compass sectors: roughly the edge of the built-up core."""
SECTOR_OUTER_M = 8_000.0
"""Outer radius of the compass sectors."""
SECTOR_ANCHOR_M = 5_000.0
"""Distance from the urban core of the point used for a direction-only placement."""
BEARINGS = {"N": 0.0, "NE": 45.0, "E": 90.0, "SE": 135.0, "S": 180.0, "SW": 225.0}
BEARINGS |= {"W": 270.0, "NW": 315.0}
"""Compass bearings in degrees clockwise from grid north (≈ true north: the
meridian convergence at 110E in the CM-111E zone is about 0.6°)."""

SECTOR_NAMES = {
    "N": "north",
    "E": "east",
    "S": "south",
    "W": "west",
    "SW": "south-west",
}
SECTOR_NAMES_ZH = {"N": "北", "E": "东", "S": "南", "W": "西", "SW": "西南"}
"""The compass directions of :data:`SECTOR_NAMES` in Chinese."""

PLACEMENT_METHODS = (
    "sourced",
    "proxy",
    "rule:urban_core",
    "rule:sector",
    "rule:symbolic",
)


@dataclass(frozen=True)
class Placement:
    """How to place one feature.

    Parameters
    ----------
    method : str
        One of :data:`PLACEMENT_METHODS`.
    ref : str
        Gazetteer row id (``sourced``/``proxy``) or sector key (``rule:sector``).
    reason : str
        Why this placement: the evidence tying the feature to ``ref``.
    reason_zh : str
        The same reason in Chinese (required with ``reason``).
    """

    method: str
    ref: str = ""
    reason: str = ""
    reason_zh: str = ""

    def __post_init__(self) -> None:
        if self.method not in PLACEMENT_METHODS:
            raise ValueError(f"unknown placement method {self.method!r}")
        if bool(self.reason) != bool(self.reason_zh):
            raise ValueError(f"a placement reason needs both languages: {self.reason!r}")


@dataclass(frozen=True)
class Anchors:
    """Reference geometry shared by the plan-entity layers (metric CRS)."""

    core: shapely.Point
    district: BaseGeometry
    gazetteer: pd.DataFrame = field(repr=False)
    seats: gpd.GeoDataFrame = field(repr=False)

    def sector_point(self, key: str, distance_m: float = SECTOR_ANCHOR_M) -> shapely.Point:
        """Return the point ``distance_m`` from the core on compass bearing ``key``."""
        bearing = math.radians(BEARINGS[key])
        return shapely.Point(
            self.core.x + distance_m * math.sin(bearing),
            self.core.y + distance_m * math.cos(bearing),
        )

    def sector(self, key: str, *, half_width_deg: float = 45.0) -> BaseGeometry:
        """Return the annular wedge around bearing ``key``, clipped to the district."""
        centre = BEARINGS[key]
        angles = np.radians(np.linspace(centre - half_width_deg, centre + half_width_deg, 46))
        outer = np.column_stack(
            [
                self.core.x + SECTOR_OUTER_M * np.sin(angles),
                self.core.y + SECTOR_OUTER_M * np.cos(angles),
            ]
        )
        inner = np.column_stack(
            [
                self.core.x + SECTOR_INNER_M * np.sin(angles[::-1]),
                self.core.y + SECTOR_INNER_M * np.cos(angles[::-1]),
            ]
        )
        wedge = shapely.Polygon(np.vstack([outer, inner]))
        return shapely.intersection(wedge, self.district)


def build_anchors(
    district: BaseGeometry, seats: gpd.GeoDataFrame, gazetteer: pd.DataFrame
) -> Anchors:
    """Compute the urban-core reference point and bundle the anchor sources.

    The urban core is the centroid of the seats of the streets whose seat is a
    sourced AMap point (eight streets): a reproducible "city centre" that no
    single source states.

    Parameters
    ----------
    district : shapely geometry
        Dongsheng, metric CRS.
    seats : geopandas.GeoDataFrame
        From :func:`geoservice.sampledata.seats.build_seats` (metric CRS).
    gazetteer : pandas.DataFrame
        The package gazetteer.
    """
    sourced_streets = seats[(seats["unit_type"] == "street") & (seats["seat_method"] == "sourced")]
    core = shapely.centroid(shapely.union_all(sourced_streets.geometry.values))
    return Anchors(
        core=core,
        district=district,
        gazetteer=gazetteer,
        seats=seats.set_index("row_id", drop=False),
    )


def core_note(anchors: Anchors, lang: str = "en") -> str:
    """Describe the urban-core reference point, with its WGS84 coordinates."""
    lonlat = gpd.GeoSeries([anchors.core], crs=METRIC_CRS).to_crs(STORAGE_CRS).iloc[0]
    if lang == "zh":
        return (
            "城区参考点（8个有来源的高德街道驻地点的中心，"
            f"东经{lonlat.x:.5f}°、北纬{lonlat.y:.5f}°）"
        )
    return (
        "urban-core reference point = centroid of the 8 sourced AMap street seats "
        f"({lonlat.x:.5f}E, {lonlat.y:.5f}N)"
    )


Note = tuple[str, str]
"""An explanation in English and in Chinese."""


def place(anchors: Anchors, placement: Placement) -> dict:
    """Resolve a placement into geometry and the attributes that describe it.

    Returns
    -------
    dict
        ``geometry`` (metric point), ``placement_method``, ``placement`` (the
        explanation, with citations), ``placement_zh`` (the same in Chinese) and
        ``geometry_quality``.
    """
    resolver = _RESOLVERS[placement.method]
    geometry, (note, note_zh) = resolver(anchors, placement)
    quality = QUALITY_OF.get(placement.method, APPROXIMATE)
    text = f"{placement.reason}. {note}" if placement.reason else note
    text_zh = f"{placement.reason_zh}。{note_zh}" if placement.reason_zh else note_zh
    return {
        "geometry": geometry,
        "placement_method": placement.method,
        "placement": text,
        "placement_zh": text_zh,
        "geometry_quality": quality,
    }


def _sourced(anchors: Anchors, placement: Placement) -> tuple[shapely.Point, Note]:
    point = _gazetteer_metric(anchors, placement.ref)
    return point, (
        f"Point from {cite(anchors.gazetteer, placement.ref)}",
        f"点位取自{cite(anchors.gazetteer, placement.ref, 'zh')}",
    )


def _proxy(anchors: Anchors, placement: Placement) -> tuple[shapely.Point, Note]:
    if placement.ref in anchors.seats.index:
        seat = anchors.seats.loc[placement.ref]
        method, confidence = seat["seat_method"], seat["seat_confidence"]
        return seat.geometry, (
            f"Proxy: seat of {seat['name_zh']} ({method}, confidence {confidence})",
            f"代用点：{seat['name_zh']}驻地（驻地定位方法“{value_label(method, 'zh')}”，"
            f"可信度{value_label(confidence, 'zh')}）",
        )
    point = _gazetteer_metric(anchors, placement.ref)
    return point, (
        f"Proxy point from {cite(anchors.gazetteer, placement.ref)}",
        f"代用点取自{cite(anchors.gazetteer, placement.ref, 'zh')}",
    )


def _urban_core(anchors: Anchors, placement: Placement) -> tuple[shapely.Point, Note]:
    return anchors.core, (
        f"Placed at the {core_note(anchors)}; exact location unknown",
        f"放在{core_note(anchors, 'zh')}；具体位置不明",
    )


def _sector(anchors: Anchors, placement: Placement) -> tuple[shapely.Point, Note]:
    name = SECTOR_NAMES.get(placement.ref, placement.ref)
    name_zh = SECTOR_NAMES_ZH.get(placement.ref, placement.ref)
    km = f"{SECTOR_ANCHOR_M / 1000:.0f}"
    return anchors.sector_point(placement.ref), (
        f"Direction only: placed {km} km {name} of the {core_note(anchors)}; "
        "exact location unknown",
        f"仅知方位：放在{core_note(anchors, 'zh')}向{name_zh}{km}公里处；具体位置不明",
    )


def _symbolic(anchors: Anchors, placement: Placement) -> tuple[shapely.Point, Note]:
    return anchors.core, (
        "NOT A LOCATION: no source found gives its position; drawn at the "
        f"{core_note(anchors)} only so that it appears on the map",
        f"不是实际位置：未找到给出其位置的来源，仅为在图上显示而画在{core_note(anchors, 'zh')}",
    )


QUALITY_OF = {"sourced": SOURCED_POINT, "rule:symbolic": SYMBOLIC}
"""geometry_quality of a placement method (the others are approximate)."""

_RESOLVERS = {
    "sourced": _sourced,
    "proxy": _proxy,
    "rule:urban_core": _urban_core,
    "rule:sector": _sector,
    "rule:symbolic": _symbolic,
}


def _gazetteer_metric(anchors: Anchors, row_id: str) -> shapely.Point:
    point = gazetteer_point(anchors.gazetteer, row_id)
    return gpd.GeoSeries([point], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
