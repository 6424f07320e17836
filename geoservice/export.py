"""Whole-layer downloads as GeoPackage or FlatGeobuf files (written with pyogrio)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pyogrio

from geoservice.catalog.models import LayerDef
from geoservice.storage.base import FeatureQuery, FeatureStore

COUNT_ALL = 2**62
"""A count cap no layer reaches (SQLite's LIMIT takes it plus one)."""

DRIVERS = {
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "fgb": ("FlatGeobuf", "application/flatgeobuf"),
}


def export_file(
    store: FeatureStore,
    layer: LayerDef,
    query: FeatureQuery,
    fmt: str,
    workdir: Path | None,
) -> tuple[Path, str]:
    """Write the features matching ``query`` (no paging) to a file; return path, media type.

    The file is written to a temporary directory; the caller streams then deletes it.
    """
    driver, media = DRIVERS[fmt]
    whole = replace(query, limit=None, offset=0, count_cap=0)
    frame = store.query(layer, whole).rows.to_frame().reset_index()
    folder = Path(tempfile.mkdtemp(prefix="gs-export-", dir=workdir))
    path = folder / f"{layer.id}.{fmt}"
    pyogrio.write_dataframe(frame, path, driver=driver, layer=layer.id)
    return path, media


def check_filter(store: FeatureStore, layer: LayerDef, query: FeatureQuery) -> None:
    """Evaluate a query's filter over every row once (counting only), or raise.

    Some filters fail only on some rows' values (a power that overflows, a text
    that is no number); a stream has sent its status by the time it reaches them.
    Counting the matches first turns those failures into an error before the
    first byte (a 400, as the items page gives). Without a CQL filter nothing
    depends on the data, and nothing is run.
    """
    if query.cql is not None:
        store.query(layer, replace(query, limit=1, offset=0, sortby=(), count_cap=COUNT_ALL))
