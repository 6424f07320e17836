"""Scan GeoJSON and GeoJSON sequences record by record, before GDAL reads them.

GDAL's GeoJSON drivers drop, without a word, a sequence line that is not JSON
(a 1 000-line file cut in the middle stores 501 features), a collection member
that is not a Feature, and text that is not UTF-8 crashes the Arrow conversion
behind them. Here each record is parsed on its own with the C JSON decoder,
from a window of the file (never the whole file), so every unusable record is
named with its line (sequences) or feature index (collections), a file that
ends mid-record is refused as truncated, and a feature with more vertices than
``uploads.max_feature_coordinates`` is refused before anything builds it.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any, BinaryIO

from geoservice.errors import UploadTooLarge
from geoservice.ingest.records import Records

CHUNK = 4 * 1024 * 1024
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
WHITESPACE = re.compile(r"[ \t\r\n]*")
SEPARATOR = re.compile(r"[ \t\r\n]*([,\]])[ \t\r\n]*")
SEQUENCE_SPACE = re.compile(r"[ \t\r\n\x1e]*")
VERTEX = re.compile(rb"\[\s*[-+0-9.]")  # the opening bracket of a position
VERTEX_TEXT = re.compile(r"\[\s*[-+0-9.]")
MIN_CHARS_PER_VERTEX = 6  # "[1,2],"
DECODER = json.JSONDecoder()
UTF8_HINT = (
    "GeoJSON must be UTF-8: save it as UTF-8 (QGIS: Export > Save Features As, encoding UTF-8)"
)
TRUNCATED = (
    "the file ends in the middle of this record: it is truncated (an interrupted "
    "download or copy?); upload the complete file"
)


class _Broken(Exception):
    """The JSON text cannot be parsed at this point."""

    def __init__(self, message: str, *, line: int, truncated: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.truncated = message, line, truncated


class _NotUtf8(Exception):
    def __init__(self, line: int, sample: bytes) -> None:
        super().__init__(line)
        self.line, self.sample = line, sample


def scan_geojson(path: Path, label: str, max_vertices: int) -> Records | None:
    """Scan a GeoJSON document; return None when it is not GeoJSON (TopoJSON, Esri JSON).

    Records are numbered by their index in ``features`` (0-based, as in
    ``features[12]``); a single Feature or bare geometry is one record.
    """
    records = Records("feature")
    guard = _Guard(label, max_vertices)
    text: _Text | None = None
    with path.open("rb") as f:
        try:
            text = _Text(f)
            return _document(text, records, guard)
        except _Broken as exc:
            rule = "file-truncated" if exc.truncated else "json-syntax"
            message = TRUNCATED if exc.truncated else f"not valid JSON: {exc.message}"
            member, line = text.member if text else None, exc.line
        except _NotUtf8 as exc:
            rule, message = "encoding", _utf8_message(exc.sample)
            member, line = text.member if text else None, exc.line
    records.problem(
        member, rule, message if rule == "file-truncated" else f"line {line}: {message}"
    )
    records.fatal = True
    return records


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


class _Guard:
    """Refuses a record with too many vertices before the JSON decoder builds it."""

    def __init__(self, label: str, max_vertices: int) -> None:
        self.label, self.max_vertices = label, max_vertices
        self.max_chars = max(16 * 1024 * 1024, 64 * max_vertices)

    def partial(self, text: str | bytes, start: int, place: str) -> None:
        """Check the first part of a record still being read (its vertices so far)."""
        size = len(text) - start
        if size <= MIN_CHARS_PER_VERTEX * self.max_vertices:
            return
        pattern = VERTEX if isinstance(text, bytes) else VERTEX_TEXT
        found = sum(1 for _ in pattern.finditer(text, start))
        if found > self.max_vertices:
            self.refuse(place, f"more than {found:,}")
        if size >= self.max_chars:
            raise UploadTooLarge(
                f"{self.label}, {place}: one record of more than {self.max_chars:,} "
                "characters (a quote that is never closed, or a whole file in one "
                "property?); fix the file [rule record-size]"
            )

    def feature(self, obj: Any, place: str) -> str | None:
        """Refuse a parsed feature over the vertex limit; return why its geometry is unusable."""
        geometry = obj.get("geometry") if obj.get("type") == "Feature" else obj
        if geometry is None:
            return None
        try:
            count = _vertices(geometry, 0)
        except _BadGeometry as exc:
            return str(exc)
        if count > self.max_vertices:
            self.refuse(place, f"{count:,}")
        return None

    def refuse(self, place: str, count: str) -> None:
        raise UploadTooLarge(
            f"{self.label}, {place}: {count} vertices, more than the limit of "
            f"{self.max_vertices:,} per feature; simplify it (QGIS: Vector > Geometry > "
            "Simplify) or split it [rule feature-coordinates]"
        )


class _BadGeometry(Exception):
    pass


def _vertices(geometry: Any, depth: int) -> int:
    """Count a GeoJSON geometry's positions from list lengths (no vertex is visited)."""
    if not isinstance(geometry, dict):
        raise _BadGeometry("its geometry is not a GeoJSON geometry object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list) or depth > 8:
            raise _BadGeometry("its GeometryCollection has no 'geometries' array")
        return sum(_vertices(g, depth + 1) for g in parts)
    nesting = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
               "Polygon": 2, "MultiPolygon": 3}.get(kind)  # fmt: skip
    if nesting is None:
        raise _BadGeometry(f"its geometry type {kind!r} is not a GeoJSON geometry type")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        raise _BadGeometry(f"its {kind} has no 'coordinates' array")
    return _positions(coords, nesting)


def _positions(coords: list, nesting: int) -> int:
    if nesting == 0:
        return 1
    if nesting == 1:
        return len(coords)
    return sum(_positions(c, nesting - 1) for c in coords if isinstance(c, list))


def _utf8_message(sample: bytes) -> str:
    try:
        sample.decode("gb18030")
        guess = " (it looks like GBK/GB18030)"
    except UnicodeDecodeError:
        guess = ""
    return f"text that is not UTF-8{guess}: {sample[:12]!r}; {UTF8_HINT}"


class _Text:
    """A window on a UTF-8 file, decoded strictly, that can tell the line of a position.

    Lines are counted lazily (only up to the positions asked about, each newline
    once), so a one-line 100 MB GeoJSON costs no counting per feature.
    """

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.member: int | None = None  # index in 'features' being read, for messages
        self._mark, self._mark_line = 0, 1  # a position of the window and its line
        self.read_more(0)
        if self.buf.startswith("\ufeff"):
            self.pos = self._mark = 1

    def line_at(self, pos: int) -> int:
        """Return the line (1-based) of position ``pos`` of the window."""
        if pos < self._mark:
            return self._mark_line - self.buf.count("\n", pos, self._mark)
        self._mark_line += self.buf.count("\n", self._mark, pos)
        self._mark = pos
        return self._mark_line

    @property
    def line(self) -> int:
        """Return the line of the current position."""
        return self.line_at(self.pos)

    def read_more(self, want: int) -> bool:
        """Add at least ``want`` characters (or the rest of the file) to the window."""
        if self.eof:
            return False
        self.line_at(self.pos)
        self.buf, self._mark, self.pos = self.buf[self.pos :], 0, 0
        data = self.f.read(max(CHUNK, want))
        self.eof = not data
        try:
            self.buf += self.decoder.decode(data, final=self.eof)
        except UnicodeDecodeError as exc:
            before = exc.object.count(b"\n", 0, exc.start)
            line = self.line_at(len(self.buf)) + before
            if self.eof:  # a character cut in two by the end of the file
                raise _Broken("", line=line, truncated=True) from None
            raise _NotUtf8(line, exc.object[exc.start : exc.start + 12]) from None
        return not self.eof

    def skip(self, space: re.Pattern = WHITESPACE) -> str | None:
        """Move past whitespace; return the next character, None at the end of the file."""
        while True:
            self.pos = space.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.read_more(0):
                return None

    def take(self, char: str) -> None:
        """Move past ``char``, which must come next."""
        found = self.skip()
        if found != char:
            if found is None:
                raise _Broken("", line=self.line, truncated=True)
            raise _Broken(f"expected {char!r}, found {found!r}", line=self.line)
        self.pos += 1

    def separator(self) -> str:
        """Move past the ',' or ']' after an array member (and the spaces around it)."""
        while True:
            found = SEPARATOR.match(self.buf, self.pos)
            if found and (found.end() < len(self.buf) or self.eof):
                self.pos = found.end()
                return found.group(1)
            if found is None and WHITESPACE.match(self.buf, self.pos).end() < len(self.buf):
                char = self.skip()
                raise _Broken(f"expected ',' or ']', found {char!r}", line=self.line)
            if not self.read_more(0):
                if found:
                    self.pos = found.end()
                    return found.group(1)
                raise _Broken("", line=self.line, truncated=True)

    def value(self, guard: _Guard, place: str) -> Any:
        """Parse the JSON value at the position, reading more of the file as needed."""
        if self.skip() is None:
            raise _Broken("", line=self.line, truncated=True)
        while True:
            try:
                obj, self.pos = DECODER.raw_decode(self.buf, self.pos)
                return obj
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 8 or exc.msg.startswith("Unterminated")
                if self.eof or not incomplete:
                    raise _Broken(
                        exc.msg, line=self.line_at(exc.pos), truncated=self.eof and incomplete
                    ) from None
                guard.partial(self.buf, self.pos, place)
                self.read_more(len(self.buf) - self.pos)


def _document(text: _Text, records: Records, guard: _Guard) -> Records | None:
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
        raise _Broken("data after the end of the GeoJSON object", line=text.line)
    if "features" in kept:
        return records
    return _single(kept, records, guard)


def _single(doc: dict[str, Any], records: Records, guard: _Guard) -> Records | None:
    if doc.get("type") not in GEOMETRY_TYPES | {"Feature"}:
        return None  # TopoJSON or another JSON: GDAL's own drivers decide
    hint = guard.feature(doc, "feature 0")
    if hint:
        records.hints[0] = hint
    records.numbers.append(0)
    return records


def _members(text: _Text, records: Records, guard: _Guard) -> bool:
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


def _what(obj: Any) -> str:
    if isinstance(obj, dict):
        return repr(obj["type"]) if "type" in obj else 'an object without "type"'
    return {type(None): "null", list: "an array", str: "a string"}.get(type(obj), "a number")


def _member(obj: Any, index: int, records: Records, guard: _Guard) -> None:
    if not isinstance(obj, dict) or obj.get("type") != "Feature":
        what = _what(obj)
        records.problem(
            index,
            "not-a-feature",
            f"is not a GeoJSON Feature (it is {what}); GDAL skips it: make it "
            '{"type": "Feature", "geometry": ..., "properties": ...} or remove it',
        )
        return
    hint = guard.feature(obj, f"feature {index}")
    if hint:
        records.hints[len(records.numbers)] = hint
    records.numbers.append(index)


def _line_sequence(f: BinaryIO, label: str, max_vertices: int) -> Records:
    records = Records("line")
    guard = _Guard(label, max_vertices)
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
        records.problem(line, "encoding", _utf8_message(raw[exc.start :]))
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


def _sequence_object(obj: Any, line: int, records: Records, guard: _Guard) -> None:
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind != "Feature" and kind not in GEOMETRY_TYPES:
        records.problem(
            line,
            "not-a-feature",
            f"is not a GeoJSON Feature (it is {_what(obj)}); GDAL skips it: put one "
            "Feature per line or remove it",
        )
        return
    hint = guard.feature(obj, f"line {line}")
    if hint:
        records.hints[len(records.numbers)] = hint
    records.numbers.append(line)


def _rs_sequence(f: BinaryIO, label: str, max_vertices: int) -> Records:
    """RFC 8142 sequences: each record starts with an RS character and may span lines."""
    records = Records("line")
    guard = _Guard(label, max_vertices)
    text = _Text(f)
    try:
        while text.skip(SEQUENCE_SPACE) is not None:
            line = text.line
            try:
                obj = text.value(guard, f"line {line}")
            except _Broken as exc:
                rule = "file-truncated" if exc.truncated else "json-syntax"
                message = TRUNCATED if exc.truncated else f"not valid JSON: {exc.message}"
                records.problem(line, rule, message)
                if not _resync(text):
                    break
                continue
            _sequence_object(obj, line, records, guard)
    except _NotUtf8 as exc:
        records.problem(exc.line, "encoding", _utf8_message(exc.sample))
        records.fatal = True
    return records


def _resync(text: _Text) -> bool:
    """Move to the next record separator; False at the end of the file."""
    while True:
        found = text.buf.find("\x1e", text.pos)
        if found >= 0:
            text.pos = found
            return True
        text.pos = len(text.buf)
        if not text.read_more(0):
            return False
