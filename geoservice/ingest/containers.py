"""Check binary containers (GeoPackage, FlatGeobuf) against their headers before GDAL.

A GeoPackage cut short (an interrupted copy) is smaller than its header says;
one damaged inside fails SQLite's own consistency check. Both are refused
here with what SQLite found, instead of GDAL's message about whichever
internal query happened to fail first. A FlatGeobuf cut inside its header
is refused the same way; one cut later is caught by comparing the features
read with the count its header declares (``readers.Dataset.expected_count``).
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

from geoservice.errors import InvalidUpload

HEADER = 100


def check_geopackage(path: Path, label: str) -> None:
    """Refuse a GeoPackage that is truncated or that SQLite finds damaged.

    Raises
    ------
    InvalidUpload
        With the size the header declares, or SQLite's first complaint (422).
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(HEADER)
    if len(head) < HEADER:
        raise InvalidUpload(f"{label}: the GeoPackage is cut before the end of its header")
    page_size, _, change, pages = struct.unpack(">H6sII", head[16:32])
    page_size = 65536 if page_size == 1 else page_size
    (valid_for,) = struct.unpack(">I", head[92:96])
    if pages and change == valid_for and size < pages * page_size:  # the count is current
        raise InvalidUpload(
            f"{label}: the GeoPackage is cut: its header declares {pages * page_size:,} "
            f"bytes, the file has {size:,} (an interrupted download or copy?); upload the "
            "complete file [rule file-truncated]"
        )
    problem = _quick_check(path)
    if problem:
        raise InvalidUpload(
            f"{label}: the GeoPackage is damaged (SQLite: {problem}); open it in QGIS and "
            "save it again, or upload the file it was copied from [rule file-damaged]"
        )


def _quick_check(path: Path) -> str | None:
    """Return SQLite's complaints about the file's pages and indexes, None if it is sound."""
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    try:
        rows = db.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return "; ".join(problems) or None


def check_flatgeobuf(path: Path, label: str) -> None:
    """Refuse a FlatGeobuf cut before the end of its header."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
    if len(head) < 12:
        raise InvalidUpload(f"{label}: the FlatGeobuf is cut before the end of its header")
    (header_size,) = struct.unpack("<I", head[8:12])
    if size < 12 + header_size:
        raise InvalidUpload(
            f"{label}: the FlatGeobuf is cut inside its header ({size:,} bytes, the header "
            f"alone takes {12 + header_size:,}); upload the complete file [rule file-truncated]"
        )
