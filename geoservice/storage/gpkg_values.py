"""How attribute values are written to SQLite and read back as their declared type."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoservice.catalog.models import AttributeType, LayerDef
from geoservice.storage.schema import iso_datetime


def to_sqlite(values: list[Any]) -> list[Any]:
    """Return attribute values as SQLite stores them (dates and times as ISO text)."""
    out = []
    for v in values:
        if isinstance(v, datetime):
            out.append(iso_datetime(v))
        elif isinstance(v, date):
            out.append(v.isoformat())
        else:
            out.append(v)
    return out


def from_sqlite(layer: LayerDef, name: str, values: list[Any]) -> list[Any]:
    """Return attribute values as their declared type (SQLite stores booleans as 0/1)."""
    attr = layer.attribute(name)
    if attr is not None and attr.type == AttributeType.boolean:
        return [None if v is None else bool(v) for v in values]
    return values
