"""Scan a GeoJSON sequence record by record, before GDAL reads it.

GDAL's GeoJSONSeq driver skips a line that is not JSON without a word: a
1 000-line file cut in the middle stored 501 features. Here every line (or
RS-separated record, RFC 8142) is parsed on its own, numbered by the line it
starts on (1-based), so a line that is not a Feature, a last line cut in the
middle, or text that is not UTF-8 is named, and GDAL must return exactly the
records found here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from geoservice.ingest.jsontext import (
    GEOMETRY_TYPES,
    SEQUENCE_SPACE,
    TRUNCATED,
    Broken,
    JsonWindow,
    NotUtf8,
    VertexGuard,
    utf8_message,
    what_it_is,
)
from geoservice.ingest.records import Records


def scan_geojson_seq(path: Path, label: str, max_vertices: int) -> Records:
    """Scan a GeoJSON sequence: one Feature (or geometry) per line, or RS-separated.

    Records are numbered by the line they start on (1-based).
    """
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        f.seek(0)
        if head.startswith(b"\x1e"):
            return _rs_sequence(f, label, max_vertices)
        return _line_sequence(f, label, max_vertices)


def _line_sequence(f: BinaryIO, label: str, max_vertices: int) -> Records:
    records = Records("line")
    guard = VertexGuard(label, max_vertices)
    line = 0
    while raw := f.readline(guard.max_chars):
        line += 1
        complete = raw.endswith(b"\n")
        if not complete and len(raw) >= guard.max_chars:
            guard.partial(raw, 0, f"line {line}")
        if line == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        _sequence_record(raw, line, complete, records, guard)
    return records


def _sequence_record(raw: bytes, line: int, complete: bool, records: Records, guard) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(raw) - 3:  # a character cut by the end
            records.problem(line, "file-truncated", TRUNCATED)
            return
        records.problem(line, "encoding", utf8_message(raw[exc.start :]))
        records.fatal = True  # GDAL's Arrow stream fails on such text
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if not complete:
            records.problem(line, "file-truncated", TRUNCATED)
        else:
            records.problem(
                line,
                "json-syntax",
                f"not valid JSON ({exc.msg}, column {exc.colno}); GDAL skips such "
                "lines: fix it or remove it (one Feature per line)",
            )
        return
    _sequence_object(obj, line, records, guard)


def _sequence_object(obj: Any, line: int, records: Records, guard: VertexGuard) -> None:
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind != "Feature" and kind not in GEOMETRY_TYPES:
        records.problem(
            line,
            "not-a-feature",
            f"is not a GeoJSON Feature (it is {what_it_is(obj)}); GDAL skips it: put one "
            "Feature per line or remove it",
        )
        return
    records.usable(line, guard.feature(obj, f"line {line}"))


def _rs_sequence(f: BinaryIO, label: str, max_vertices: int) -> Records:
    """RFC 8142 sequences: each record starts with an RS character and may span lines."""
    records = Records("line")
    guard = VertexGuard(label, max_vertices)
    text = JsonWindow(f)
    try:
        while text.skip(SEQUENCE_SPACE) is not None:
            line = text.line
            try:
                obj = text.value(guard, f"line {line}")
            except Broken as exc:
                rule = "file-truncated" if exc.truncated else "json-syntax"
                message = TRUNCATED if exc.truncated else f"not valid JSON: {exc.message}"
                records.problem(line, rule, message)
                if not _resync(text):
                    break
                continue
            _sequence_object(obj, line, records, guard)
    except NotUtf8 as exc:
        records.problem(exc.line, "encoding", utf8_message(exc.sample))
        records.fatal = True
    return records


def _resync(text: JsonWindow) -> bool:
    """Move to the next record separator; False at the end of the file."""
    while True:
        found = text.buf.find("\x1e", text.pos)
        if found >= 0:
            text.pos = found
            return True
        text.pos = len(text.buf)
        if not text.read_more(0):
            return False
