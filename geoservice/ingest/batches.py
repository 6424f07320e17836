"""Turn what GDAL returns for one batch into the frame the pipeline checks.

Attributes keep their file positions as index; geometries are built from WKB by
``wkb.decode`` (oversized ones refused before they are built); text that is not
UTF-8 is replaced (Arrow would refuse the whole batch) and named; and what could
not be taken as it is travels with the frame as ``attrs["problems"]``
(:class:`~geoservice.ingest.records.RowProblem`), with the scan's explanation
of a missing geometry where it has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.ingest.records import RowProblem
from geoservice.ingest.wkb import decode

if TYPE_CHECKING:
    from geoservice.ingest.readers import Dataset

KML_BOOKKEEPING = (
    "id",
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
)


def arrow_frame(record_batch, meta: dict, dataset: Dataset, start: int) -> gpd.GeoDataFrame:
    """Convert one Arrow batch as ``pyogrio.read_dataframe`` would (geometry from WKB,
    datetimes parsed, GDAL's KML bookkeeping columns dropped)."""
    import pyarrow as pa

    record_batch, problems = _valid_text(record_batch, start)
    frame = pa.Table.from_batches([record_batch]).to_pandas()
    name = meta.get("geometry_name") or "wkb_geometry"
    wkb = frame.pop(name).to_numpy() if name in frame.columns else None
    for dtype, column in zip(meta["dtypes"], meta["fields"], strict=True):
        if dtype and dtype.startswith("datetime") and dtype != "datetime64[D]":
            frame[column] = pd.to_datetime(frame[column], errors="coerce", format="ISO8601")
    if dataset.source.driver in ("KML", "LIBKML"):
        frame = frame.drop(columns=[c for c in KML_BOOKKEEPING if c in frame.columns])
    return table_frame(frame, wkb, meta.get("crs"), dataset, start, problems)


def table_frame(
    attrs: pd.DataFrame, wkb, crs, dataset: Dataset, start: int, problems: list | None = None
) -> gpd.GeoDataFrame:
    """Build the frame of one batch: positions as index, geometries decoded, problems kept."""
    problems = list(problems or [])
    positions = np.arange(start, start + len(attrs))
    attrs.index = pd.RangeIndex(start, start + len(attrs))
    geometry = None
    if wkb is not None:
        locator = dataset.locator
        geometry, found = decode(
            np.asarray(wkb, dtype=object),
            positions,
            max_vertices=dataset.max_vertices,
            place=lambda p: f"{dataset.source.label}, {locator.text(p)}",
        )
        problems = problems + found + _hints(dataset, geometry, positions, found)
    frame = gpd.GeoDataFrame(attrs, geometry=geometry, crs=crs)
    frame.attrs["problems"] = problems
    return frame


def _hints(dataset: Dataset, geometry, positions, found: list[RowProblem]) -> list[RowProblem]:
    """Say why features come without a geometry when the scan knows (a lon that is 'abc')."""
    hints = dataset.records.hints if dataset.records else {}
    if not hints:
        return []
    known = {p.position for p in found}
    out = []
    for i in np.flatnonzero(shapely.is_missing(geometry)):
        position = int(positions[i])
        if position in hints and position not in known:
            message = f"has no geometry: {hints[position]}"
            out.append(RowProblem(position, "geometry-missing", message))
    return out


def _valid_text(record_batch, start: int):
    """Replace text that is not UTF-8 (Arrow refuses it) and name the features holding it."""
    import pyarrow as pa

    problems: list[RowProblem] = []
    columns = list(record_batch.columns)
    for i, column in enumerate(columns):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        try:
            column.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        values = []
        for row, raw in enumerate(column.cast(pa.large_binary()).to_pylist()):
            try:
                values.append(None if raw is None else raw.decode("utf-8"))
            except UnicodeDecodeError:
                name = record_batch.schema.field(i).name
                problems.append(
                    RowProblem(
                        start + row,
                        "encoding",
                        f"{name!r} holds text that is not UTF-8 ({raw[:12]!r}); save the "
                        "file as UTF-8",
                    )
                )
                values.append(raw.decode("utf-8", "replace"))
        columns[i] = pa.array(values, type=column.type)
    if not problems:
        return record_batch, problems
    return pa.RecordBatch.from_arrays(columns, schema=record_batch.schema), problems
