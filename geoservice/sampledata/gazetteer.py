"""Read the Dongsheng gazetteer shipped with the package.

``gazetteer.csv`` is a copy of the project's sourced gazetteer
(``gazetteer.md`` next to it explains every column and source), extended with
community/village points and a seat statement; added rows carry a non-empty
``added_by``. ``lon``/``lat`` are WGS84; ``source_lon``/``source_lat`` keep the
value as the source published it (GCJ-02, BD-09 or WGS84), so the conversion
can be re-checked (``tests/test_coords.py`` does).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd
from shapely import Point

NUMERIC_COLUMNS = ("lon", "lat", "source_lon", "source_lat")


@cache
def _read() -> pd.DataFrame:
    with resources.files(__package__).joinpath("gazetteer.csv").open(encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    for column in NUMERIC_COLUMNS:
        frame[column] = pd.to_numeric(frame[column].replace("", None))
    return frame.set_index("id", drop=False)


def load_gazetteer() -> pd.DataFrame:
    """Return the gazetteer indexed by ``id`` (a copy; callers may modify it).

    Text columns are strings (empty when unknown); the four coordinate columns
    are floats with NaN where the source gives no coordinate.
    """
    return _read().copy()


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


def cite(gazetteer: pd.DataFrame, row_id: str) -> str:
    """Return a short citation of a gazetteer row: its id, source and confidence."""
    row = gazetteer.loc[row_id]
    return f"gazetteer {row_id}: {row['source']} [confidence {row['confidence']}]"
