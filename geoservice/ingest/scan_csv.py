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
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        columns = _columns(header, lonlat, wkt)
        line = reader.line_num + 1
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if row:  # GDAL skips blank lines too
                    _row(row, start, len(header), columns, records, label, max_vertices)
        except csv.Error as exc:
            raise UploadTooLarge(
                f"{label}, line {line}: {exc}; a quote that is never closed? [rule record-size]"
            ) from None
    _last_row(path, records)
    return records


def _columns(header: list[str], lonlat, wkt) -> dict[str, int]:
    names = {"lon": lonlat[0], "lat": lonlat[1]} if lonlat else {"wkt": wkt}
    return {role: header.index(name) for role, name in names.items() if name in header}


def _row(row, line: int, width: int, columns, records: Records, label, max_vertices) -> None:
    position = records.count
    records.numbers.append(line)
    if len(row) != width:
        records.problem(line, "csv-fields", _width_message(row, width))
    if "wkt" in columns:
        text = row[columns["wkt"]] if columns["wkt"] < len(row) else ""
        vertices = text.count(",") + 1  # WKT separates every vertex, ring and part by one
        if vertices > max_vertices:
            raise UploadTooLarge(
                f"{label}, line {line}: about {vertices:,} vertices in the WKT, more than "
                f"the limit of {max_vertices:,} per feature; simplify it or split it "
                "[rule feature-coordinates]"
            )
        if not text.strip():
            records.hints[position] = "its WKT column is empty"
        return
    hint = _coordinates_hint(row, columns)
    if hint:
        records.hints[position] = hint


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


def _coordinates_hint(row: list[str], columns: dict[str, int]) -> str | None:
    values = {role: row[i].strip() if i < len(row) else "" for role, i in columns.items()}
    bad = []
    for role, text in values.items():
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
