"""The ``villages`` layer: community and village points with sourced coordinates.

Only the 20 communities/villages of Dongsheng that have an AMap point in
Vonng/adcode (2016 NBS list, coordinates circa 2018, CC BY 4.0) are included;
the other ~80 have no public coordinate and are not invented. Useful as
demand points for coverage analyses, with that bias in mind.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoservice.sampledata.common import SOURCED_POINT, STORAGE_CRS, frame_from_records
from geoservice.sampledata.gazetteer import gazetteer_point
from geoservice.sampledata.seats import COMMUNITY_CATEGORIES

VILLAGE_COLUMNS = (
    "code",
    "parent_code",
    "name_zh",
    "name_en",
    "kind",
    "confidence",
    "source",
    "geometry_quality",
)


def build_villages(gazetteer: pd.DataFrame) -> gpd.GeoDataFrame:
    """Build the ``villages`` point layer (EPSG:4326) from the gazetteer."""
    rows = gazetteer[gazetteer["category"].isin(COMMUNITY_CATEGORIES)]
    records = [
        {
            "code": row["division_code"],
            "parent_code": row["division_code"][:9] + "000",
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "kind": row["category"].removesuffix(" point"),
            "confidence": row["confidence"],
            "source": (
                f"gazetteer {row_id}: {row['source']}; {row['how_stated']}; {row['coord_note']}"
            ),
            "geometry_quality": SOURCED_POINT,
            "geometry": gazetteer_point(gazetteer, row_id),
        }
        for row_id, row in rows.iterrows()
    ]
    return frame_from_records(records, VILLAGE_COLUMNS, crs=STORAGE_CRS)
