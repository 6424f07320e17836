"""Reading JSON text record by record, for the GeoJSON scanners (``scan_json``,
``scan_jsonseq``).

:class:`JsonWindow` keeps a window of a UTF-8 file (never the whole file),
decoded strictly, and parses one JSON value at a time with the C decoder,
reading more of the file when a value is cut by the window's end; it tells a
file that ends inside a value (truncated) from one that is not JSON.
:class:`VertexGuard` refuses a feature with more vertices than allowed before
the decoder builds it (counting positions in the text while it is still being
read), or after it from its list lengths, never visiting each vertex.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, BinaryIO

from geoservice.errors import UploadTooLarge

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


class Broken(Exception):
    """The JSON text cannot be parsed at this point."""

    def __init__(self, message: str, *, line: int, truncated: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.truncated = message, line, truncated


class NotUtf8(Exception):
    """The file holds bytes that are not UTF-8 (at this line)."""

    def __init__(self, line: int, sample: bytes) -> None:
        super().__init__(line)
        self.line, self.sample = line, sample


class VertexGuard:
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
        except BadGeometry as exc:
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


class BadGeometry(Exception):
    """A feature's geometry is not a GeoJSON geometry (GDAL reads it as none)."""


def _vertices(geometry: Any, depth: int) -> int:
    """Count a GeoJSON geometry's positions from list lengths (no vertex is visited)."""
    if not isinstance(geometry, dict):
        raise BadGeometry("its geometry is not a GeoJSON geometry object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list) or depth > 8:
            raise BadGeometry("its GeometryCollection has no 'geometries' array")
        return sum(_vertices(g, depth + 1) for g in parts)
    nesting = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
               "Polygon": 2, "MultiPolygon": 3}.get(kind)  # fmt: skip
    if nesting is None:
        raise BadGeometry(f"its geometry type {kind!r} is not a GeoJSON geometry type")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        raise BadGeometry(f"its {kind} has no 'coordinates' array")
    return _positions(coords, nesting)


def _positions(coords: list, nesting: int) -> int:
    if nesting == 0:
        return 1
    if nesting == 1:
        return len(coords)
    return sum(_positions(c, nesting - 1) for c in coords if isinstance(c, list))


def utf8_message(sample: bytes) -> str:
    try:
        sample.decode("gb18030")
        guess = " (it looks like GBK/GB18030)"
    except UnicodeDecodeError:
        guess = ""
    return f"text that is not UTF-8{guess}: {sample[:12]!r}; {UTF8_HINT}"


class JsonWindow:
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
                raise Broken("", line=line, truncated=True) from None
            raise NotUtf8(line, exc.object[exc.start : exc.start + 12]) from None
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
                raise Broken("", line=self.line, truncated=True)
            raise Broken(f"expected {char!r}, found {found!r}", line=self.line)
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
                raise Broken(f"expected ',' or ']', found {char!r}", line=self.line)
            if not self.read_more(0):
                if found:
                    self.pos = found.end()
                    return found.group(1)
                raise Broken("", line=self.line, truncated=True)

    def value(self, guard: VertexGuard, place: str) -> Any:
        """Parse the JSON value at the position, reading more of the file as needed."""
        if self.skip() is None:
            raise Broken("", line=self.line, truncated=True)
        while True:
            try:
                obj, self.pos = DECODER.raw_decode(self.buf, self.pos)
                return obj
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 8 or exc.msg.startswith("Unterminated")
                if self.eof or not incomplete:
                    raise Broken(
                        exc.msg, line=self.line_at(exc.pos), truncated=self.eof and incomplete
                    ) from None
                guard.partial(self.buf, self.pos, place)
                self.read_more(len(self.buf) - self.pos)


def what_it_is(obj: Any) -> str:
    """Say what a JSON value is, for "it is not a Feature (it is ...)"."""
    if isinstance(obj, dict):
        return repr(obj["type"]) if "type" in obj else 'an object without "type"'
    return {type(None): "null", list: "an array", str: "a string"}.get(type(obj), "a number")
