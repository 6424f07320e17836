"""Mapping between a layer's attribute schema and database columns and values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from geoservice.catalog.models import AttributeType, GeometryType, LayerDef
from geoservice.errors import InvalidParameter

GEOMETRY_COLUMN = "geom"
ID_COLUMN = "fid"

SQLITE_TYPES = {
    AttributeType.string: "TEXT",
    AttributeType.integer: "INTEGER",
    AttributeType.number: "DOUBLE",
    AttributeType.boolean: "BOOLEAN",
    AttributeType.date: "DATE",
    AttributeType.datetime: "DATETIME",
}
POSTGRES_TYPES = {
    AttributeType.string: "text",
    AttributeType.integer: "bigint",
    AttributeType.number: "double precision",
    AttributeType.boolean: "boolean",
    AttributeType.date: "date",
    AttributeType.datetime: "timestamptz",
}


def geometry_type_name(geometry_type: GeometryType) -> str:
    """Return the upper-case OGC geometry type name used in both stores."""
    return geometry_type.value.upper()


def check_columns(layer: LayerDef, columns: Sequence[str]) -> None:
    """Refuse frame columns the layer does not declare (ingest reports them first)."""
    unknown = [c for c in columns if c not in layer.attribute_names]
    if unknown:
        raise InvalidParameter(
            f"layer {layer.id!r} has no attribute(s) {unknown}; declared: {layer.attribute_names}"
        )


def column_values(layer: LayerDef, frame: pd.DataFrame) -> list[list[Any]]:
    """Return one list of database-ready Python values per declared attribute."""
    out = []
    for attr in layer.attributes:
        if attr.name not in frame.columns:
            out.append([None] * len(frame))
            continue
        convert = _CONVERTERS[attr.type]
        out.append([convert(v) for v in frame[attr.name].tolist()])
    return out


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:  # pd.NA: nullable Int64/boolean
        return True
    if type(value) in (str, int, bool):  # the common cases, without pandas
        return False
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if np.isscalar(value) else False
    except (TypeError, ValueError):
        return False


def _nullable(func):
    def convert(value: Any) -> Any:
        return None if _is_missing(value) else func(value)

    return convert


def _to_datetime(value: Any) -> datetime:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.to_pydatetime().astimezone(UTC)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else pd.Timestamp(value).date()


_CONVERTERS = {
    AttributeType.string: _nullable(str),
    AttributeType.integer: _nullable(lambda v: int(v)),
    AttributeType.number: _nullable(lambda v: float(v)),
    AttributeType.boolean: _nullable(lambda v: bool(v)),
    AttributeType.date: _nullable(_to_date),
    AttributeType.datetime: _nullable(_to_datetime),
}


def iso_datetime(value: datetime) -> str:
    """Format a timestamp as GeoPackage wants it: UTC, milliseconds, 'Z'."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


FAMILY_TYPE_IDS = {"point": {0, 4}, "line": {1, 2, 5}, "polygon": {3, 6}}


def conform_geometries(geometries: np.ndarray, geometry_type: GeometryType) -> np.ndarray:
    """Check geometries against the layer's type; promote singles to its Multi* type.

    Shapefiles and GeoJSON routinely mix Polygon and MultiPolygon in one layer;
    PostGIS typed columns and GeoPackage readers expect one type. A geometry of
    another family (a point in a polygon layer) is refused.
    """
    import shapely

    geometries = np.asarray(geometries, dtype=object)
    kinds = shapely.get_type_id(geometries)
    allowed = FAMILY_TYPE_IDS.get(geometry_type.family)
    if allowed is not None:
        wrong = np.flatnonzero(~np.isin(kinds, [*allowed, -1]))
        if len(wrong):
            first = geometries[wrong[0]].geom_type
            raise InvalidParameter(
                f"{len(wrong)} geometries are not {geometry_type.value} (first: row "
                f"{int(wrong[0])}, a {first})"
            )
    name = geometry_type.value
    if not name.startswith("Multi"):
        return geometries
    single_id = {"Point": 0, "LineString": 1, "Polygon": 3}[name.removeprefix("Multi")]
    to_promote = kinds == single_id
    if not to_promote.any():
        return geometries
    promote = {
        0: shapely.multipoints,
        1: shapely.multilinestrings,
        3: shapely.multipolygons,
    }
    out = geometries.copy()
    singles = geometries[to_promote]
    out[to_promote] = promote[single_id](singles, indices=np.arange(len(singles)))
    return out


def ids_from_index(frame: pd.DataFrame | None) -> list[int | None]:
    """Return the feature id of each row from the index; None marks a new feature."""
    if frame is None:
        return []
    out: list[int | None] = []
    for value in frame.index:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        out.append(number if number > 0 else None)
    return out
