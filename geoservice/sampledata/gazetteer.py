"""Read the gazetteers shipped with the package.

``gazetteer.csv`` is a copy of the project's sourced Dongsheng gazetteer
(``gazetteer.md`` next to it explains every column and source), extended with
community/village points and a seat statement; added rows carry a non-empty
``added_by``. ``areas/gazetteer.csv`` holds the units of the other study areas
in the same columns (``areas/gazetteer.md``). ``lon``/``lat`` are WGS84;
``source_lon``/``source_lat`` keep the value as the source published it (GCJ-02,
BD-09 or WGS84), so the conversion can be re-checked (``tests/test_coords.py``
does). A row whose source gives no coordinate keeps both empty: gaps stay visible.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd
from shapely import Point

from geoservice.catalog.vocabulary import value_label

NUMERIC_COLUMNS = ("lon", "lat", "source_lon", "source_lat")
DONGSHENG = "gazetteer.csv"
"""The Dongsheng gazetteer."""
AREAS = "areas/gazetteer.csv"
"""The gazetteer of the study areas added after Dongsheng (Wuhai, Chongqing, Inner Mongolia)."""


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(name).open(encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    for column in NUMERIC_COLUMNS:
        frame[column] = pd.to_numeric(frame[column].replace("", None))
    return frame.set_index("id", drop=False)


def load_gazetteer(name: str = DONGSHENG) -> pd.DataFrame:
    """Return a gazetteer indexed by ``id`` (a copy; callers may modify it).

    ``name`` is the file inside this package (:data:`DONGSHENG` or :data:`AREAS`).
    Text columns are strings (empty when unknown); the four coordinate columns
    are floats with NaN where the source gives no coordinate.
    """
    return _read(name).copy()


def gazetteer_point(gazetteer: pd.DataFrame, row_id: str) -> Point:
    """Return the WGS84 point of gazetteer row ``row_id``.

    Raises
    ------
    KeyError
        If the row does not exist or has no coordinate, so a builder can never
        silently place a feature at a missing location.
    """
    row = gazetteer.loc[row_id]
    if pd.isna(row["lon"]) or pd.isna(row["lat"]):
        raise KeyError(f"gazetteer row {row_id!r} has no coordinate")
    return Point(float(row["lon"]), float(row["lat"]))


def cite(gazetteer: pd.DataFrame, row_id: str, lang: str = "en") -> str:
    """Return a short citation of a gazetteer row: its id, source and confidence.

    In Chinese (``lang="zh"``) the words around it are Chinese; the source is
    quoted as recorded (a citation is not translated).
    """
    row = gazetteer.loc[row_id]
    if lang == "zh":
        confidence = value_label(row["confidence"], "zh")
        return f"地名表 {row_id}（来源：{row['source']}；可信度：{confidence}）"
    return f"gazetteer {row_id}: {row['source']} [confidence {row['confidence']}]"
