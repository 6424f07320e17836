"""Scan a CSV row by row before GDAL reads it, naming rows by the line they start on.

GDAL fills a missing field with null and drops extra ones, reads a row cut by
the end of the file as a short row, and reads everything after a quote that is
never closed as one value: a CSV copied half-way still loads. Here each row is
checked against the header's width, rows whose coordinates are not numbers get
an explanation for the missing geometry, a WKT with more vertices than allowed
is refused before GDAL parses it, and a last row without its line break is
flagged as possibly cut.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd

from geoservice.errors import UploadTooLarge
from geoservice.ingest.records import Records


def scan_csv(
    path: Path,
    label: str,
    *,
    lonlat: tuple[str, str] | None,
    wkt: str | None,
    max_vertices: int,
) -> Records:
    """Return the CSV's data rows (by their first line) and what is wrong with them.

    ``path`` is UTF-8 (GBK files are converted first, line for line); ``lonlat``
    names the coordinate columns, ``wkt`` the geometry column.
    """
    records = Records("line")
    csv.field_size_limit(max(131_072, 64 * max_vertices))
    coordinates = _Coordinates(records)
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        columns = _columns(header, lonlat, wkt)
        width, numbers = len(header), records.numbers
        wkt_at = columns.get("wkt")
        lon_at, lat_at = columns.get("lon", width), columns.get("lat", width)
        lon_texts, lat_texts = coordinates.lon, coordinates.lat
        line = reader.line_num + 1
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if not row:  # GDAL skips blank lines too
                    continue
                if len(row) != width:
                    records.problem(start, "csv-fields", _width_message(row, width))
                if wkt_at is not None:
                    _wkt(row, wkt_at, start, len(numbers), records, label, max_vertices)
                else:
                    lon_texts.append(row[lon_at] if lon_at < len(row) else "")
                    lat_texts.append(row[lat_at] if lat_at < len(row) else "")
                    if len(lon_texts) >= coordinates.BLOCK:
                        coordinates.flush()
                numbers.append(start)
        except csv.Error as exc:
            raise UploadTooLarge(
                f"{label}, line {line}: {exc}; a quote that is never closed? [rule record-size]"
            ) from None
    coordinates.flush()
    _last_row(path, records)
    return records


def _columns(header: list[str], lonlat, wkt) -> dict[str, int]:
    names = {"lon": lonlat[0], "lat": lonlat[1]} if lonlat else {"wkt": wkt}
    return {role: header.index(name) for role, name in names.items() if name in header}


def _wkt(row, column: int, line: int, position: int, records, label, max_vertices) -> None:
    text = row[column] if column < len(row) else ""
    vertices = text.count(",") + 1  # WKT separates every vertex, ring and part by one
    if vertices > max_vertices:
        raise UploadTooLarge(
            f"{label}, line {line}: about {vertices:,} vertices in the WKT, more than "
            f"the limit of {max_vertices:,} per feature; simplify it or split it "
            "[rule feature-coordinates]"
        )
    if not text.strip():
        records.hints[position] = "its WKT column is empty"


class _Coordinates:
    """Collects lon/lat texts and checks them a block at a time (numbers parsed in C)."""

    BLOCK = 65_536

    def __init__(self, records: Records) -> None:
        self.records = records
        self.start = 0
        self.lon: list[str] = []
        self.lat: list[str] = []

    def flush(self) -> None:
        """Check the texts collected so far; empty the lists (kept: the scan appends to them)."""
        if not self.lon:
            return
        lon = pd.to_numeric(pd.Series(self.lon, dtype=object), errors="coerce").to_numpy(float)
        lat = pd.to_numeric(pd.Series(self.lat, dtype=object), errors="coerce").to_numpy(float)
        for k in np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat))):
            hint = _coordinates_hint({"lon": self.lon[k], "lat": self.lat[k]})
            if hint:
                self.records.hints[self.start + int(k)] = hint
        self.start += len(self.lon)
        self.lon.clear()
        self.lat.clear()


def _width_message(row: list[str], width: int) -> str:
    if any("\n" in value for value in row):
        return (
            f'{len(row)} field(s) where the header has {width}: a quote (") is never '
            "closed, so the lines after it are read as one value; close or remove it"
        )
    return (
        f"{len(row)} field(s) where the header has {width}; GDAL would leave the missing "
        "ones empty or drop the extra ones: fix the row (a comma inside a value must be "
        'quoted: "a, b")'
    )


def _coordinates_hint(values: dict[str, str]) -> str | None:
    bad = []
    for role, text in values.items():
        text = text.strip()
        try:
            number = float(text)
        except ValueError:
            bad.append(f"{role} {text!r} is not a number" if text else f"{role} is empty")
            continue
        if not math.isfinite(number):
            bad.append(f"{role} is {text} (NaN or infinite coordinate)")
    return "; ".join(bad) or None


def _last_row(path: Path, records: Records) -> None:
    """Flag a last row without its line break: the file may have been cut inside it."""
    if not records.count:
        return
    with path.open("rb") as raw:
        raw.seek(-1, 2)
        if raw.read(1) in (b"\n", b"\r"):
            return
    line = int(records.numbers[-1])
    cut = [p for p in records.problems if p.number == line and p.rule == "csv-fields"]
    if cut:
        records.problems.remove(cut[0])
        records.problem(
            line,
            "file-truncated",
            "the file ends in the middle of this row (fields are missing): it is "
            "truncated; upload the complete file",
        )
    else:
        records.warning(
            line,
            "file-end",
            "the last row has no line break after it: if the file was cut short, this row "
            "is incomplete; check its last value",
        )
