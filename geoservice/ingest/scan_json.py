"""Scan a GeoJSON document member by member, before GDAL reads it.

GDAL's GeoJSON driver drops, without a word, a collection member that is not a
Feature, and text that is not UTF-8 crashes the Arrow conversion behind it.
Here each member of ``features`` is parsed on its own (``jsontext``), so every
unusable member is named by its index (0-based, as in ``features[12]``), a file
that ends inside a feature is refused as truncated, and a feature with more
vertices than ``uploads.max_feature_coordinates`` is refused before anything
builds it. TopoJSON and Esri JSON are left to GDAL's own drivers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geoservice.ingest.jsontext import (
    GEOMETRY_TYPES,
    TRUNCATED,
    Broken,
    JsonWindow,
    NotUtf8,
    VertexGuard,
    utf8_message,
    what_it_is,
)
from geoservice.ingest.records import Records


def scan_geojson(path: Path, label: str, max_vertices: int) -> Records | None:
    """Scan a GeoJSON document; return None when it is not GeoJSON (TopoJSON, Esri JSON).

    Records are numbered by their index in ``features`` (0-based, as in
    ``features[12]``); a single Feature or bare geometry is one record.
    """
    records = Records("feature")
    guard = VertexGuard(label, max_vertices)
    text: JsonWindow | None = None
    with path.open("rb") as f:
        try:
            text = JsonWindow(f)
            return _document(text, records, guard)
        except Broken as exc:
            rule = "file-truncated" if exc.truncated else "json-syntax"
            message = TRUNCATED if exc.truncated else f"not valid JSON: {exc.message}"
            member, line = text.member if text else None, exc.line
        except NotUtf8 as exc:
            rule, message = "encoding", utf8_message(exc.sample)
            member, line = text.member if text else None, exc.line
    records.problem(
        member, rule, message if rule == "file-truncated" else f"line {line}: {message}"
    )
    records.fatal = True
    return records


def _document(text: JsonWindow, records: Records, guard: VertexGuard) -> Records | None:
    text.take("{")
    kept: dict[str, Any] = {}
    first = True
    while True:
        if text.skip() == "}":
            text.pos += 1
            break
        if not first:
            text.take(",")
        first = False
        key = text.value(guard, "a member name")
        text.take(":")
        text.skip()
        if key == "features":
            if text.skip() != "[" or not _members(text, records, guard):
                return None  # not GeoJSON features (Esri JSON): GDAL's own drivers decide
            kept["features"] = True
        else:
            value = text.value(guard, "feature 0")
            if key in ("type", "geometry", "properties", "coordinates", "geometries"):
                kept[key] = value
    if text.skip() is not None:
        raise Broken("data after the end of the GeoJSON object", line=text.line)
    if "features" in kept:
        return records
    return _single(kept, records, guard)


def _single(doc: dict[str, Any], records: Records, guard: VertexGuard) -> Records | None:
    if doc.get("type") not in GEOMETRY_TYPES | {"Feature"}:
        return None  # TopoJSON or another JSON: GDAL's own drivers decide
    records.usable(0, guard.feature(doc, "feature 0"))
    return records


def _members(text: JsonWindow, records: Records, guard: VertexGuard) -> bool:
    """Scan the ``features`` array; return False when its members are not GeoJSON."""
    text.pos += 1
    if text.skip() == "]":
        text.pos += 1
        return True
    index = 0
    while True:
        text.member = index
        obj = text.value(guard, f"feature {index}")
        if isinstance(obj, dict) and "attributes" in obj and "type" not in obj:
            return False
        _member(obj, index, records, guard)
        index += 1
        if text.separator() == "]":
            text.member = None
            return True


def _member(obj: Any, index: int, records: Records, guard: VertexGuard) -> None:
    if not isinstance(obj, dict) or obj.get("type") != "Feature":
        what = what_it_is(obj)
        records.problem(
            index,
            "not-a-feature",
            f"is not a GeoJSON Feature (it is {what}); GDAL skips it: make it "
            '{"type": "Feature", "geometry": ..., "properties": ...} or remove it',
        )
        return
    records.usable(index, guard.feature(obj, f"feature {index}"))
