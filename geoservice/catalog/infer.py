"""Derive a layer declaration from a frame (new layers created by upload or analysis)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoservice.catalog.models import (
    AttributeDef,
    AttributeType,
    GeometryType,
    LayerDef,
    LayerKind,
    SourceDef,
    Text,
)


def attribute_type(series: pd.Series) -> AttributeType:
    """Return the attribute type that holds a column's values."""
    if pd.api.types.is_bool_dtype(series):
        return AttributeType.boolean
    if pd.api.types.is_integer_dtype(series):
        return AttributeType.integer
    if pd.api.types.is_float_dtype(series):
        return AttributeType.number
    if pd.api.types.is_datetime64_any_dtype(series):
        return AttributeType.datetime
    return AttributeType.string


def geometry_type_of(frame: gpd.GeoDataFrame) -> GeometryType:
    """Return the declared geometry type covering every geometry of a frame."""
    kinds = set(frame.geometry.dropna().geom_type.unique())
    if not kinds:
        return GeometryType.Geometry
    bases = {k.removeprefix("Multi") for k in kinds}
    if len(bases) > 1:
        return GeometryType.Geometry
    (base,) = bases
    multi = any(k.startswith("Multi") for k in kinds)
    return GeometryType(("Multi" if multi else "") + base)


def infer_layer(
    layer_id: str,
    frame: gpd.GeoDataFrame,
    *,
    title: Text | None = None,
    kind: LayerKind = LayerKind.analysis_result,
    source: SourceDef | None = None,
    style: str = "analysis_result",
    storage_crs: str | None = None,
    types: dict[str, AttributeType] | None = None,
) -> LayerDef:
    """Return a :class:`LayerDef` whose schema fits ``frame``'s columns.

    ``types`` overrides what the frame's dtypes suggest, e.g. the field types a
    file declares (a boolean column with nulls arrives as float64).
    """
    types = types or {}
    attrs = [
        AttributeDef(name=str(col), type=types.get(str(col)) or attribute_type(frame[col]))
        for col in frame.columns
        if col != frame.geometry.name
    ]
    crs = storage_crs or (frame.crs.to_string() if frame.crs is not None else "EPSG:4326")
    return LayerDef(
        id=layer_id,
        title=title or Text(zh=layer_id, en=layer_id),
        kind=kind,
        geometry_type=geometry_type_of(frame),
        storage_crs=crs,
        attributes=attrs,
        source=source or SourceDef(description="derived"),
        style=style,
    )


PYOGRIO_TYPES = {
    "bool": AttributeType.boolean,
    "datetime64[D]": AttributeType.date,
    "datetime64[ms]": AttributeType.datetime,
}


def declared_types(fields, dtypes) -> dict[str, AttributeType]:
    """Return attribute types a file declares (pyogrio ``read_info`` fields/dtypes)."""
    return {
        str(f): PYOGRIO_TYPES[d] for f, d in zip(fields, dtypes, strict=True) if d in PYOGRIO_TYPES
    }
