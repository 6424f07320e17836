"""Check that a shapefile's three files agree, record by record, before GDAL reads it.

GDAL counts the records of the ``.shx`` index but reads as many as the ``.dbf``
holds, gives a record the ``.shp`` lacks a null geometry, and stops quietly at
the end of a cut ``.dbf``: an index from another export reports 5 features and
stores 2. Here the headers and the index are compared with the files' real
sizes, every index entry must point at the record of that number in the
``.shp``, and each record's vertex count (in its header) is checked against
``uploads.max_feature_coordinates`` before any geometry is built. Records are
numbered from 1, as in the attribute table.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from geoservice.errors import InvalidUpload, UploadTooLarge
from geoservice.ingest.records import Records

FILE_CODE = 9994
HEADER = 100
HEAD_BYTES = 8 + 44  # record header, shape type, bounding box, part and point counts
WINDOW = 8 * 1024 * 1024
BLOCK = 8_192  # records whose headers are held at once (and their 8-byte byte indexes)
# shape type -> offset of the point count in a record's content (None: one point)
POINT_COUNT_AT = {
    0: None,
    1: None,
    11: None,
    21: None,
    3: 40,
    5: 40,
    13: 40,
    15: 40,
    23: 40,
    25: 40,
    31: 40,
    8: 36,
    18: 36,
    28: 36,
}
EXPORT_AGAIN = "export the shapefile again and zip all its parts from that one export"


def scan_shapefile(shp: Path, label: str, max_vertices: int) -> Records:
    """Return the shapefile's records (numbered from 1) and where its files disagree."""
    shx, dbf = _part(shp, ".shx"), _part(shp, ".dbf")
    records = Records("record")
    shp_size, shp_declared = _header(shp, label)
    entries = _index(shx, label, records)
    count, deleted = _dbf(dbf, label, records)
    if len(entries) != count:
        records.problem(
            None,
            "shapefile-parts",
            f"{shx.name} indexes {len(entries):,} records but {dbf.name} holds {count:,}: "
            f"the files come from different exports; {EXPORT_AGAIN}",
        )
    usable = min(len(entries), count)
    _records(shp, (shp_size, shp_declared), entries[:usable], records, label, max_vertices)
    keep = np.ones(usable, dtype=bool)
    keep[deleted[deleted < usable]] = False  # GDAL skips records marked deleted
    records.numbers = (np.flatnonzero(keep) + 1).astype(np.int32)
    records.fatal = any(p.rule == "file-truncated" for p in records.problems)  # GDAL would fail
    return records


def _part(shp: Path, suffix: str) -> Path:
    for candidate in shp.parent.iterdir():
        if candidate.stem == shp.stem and candidate.suffix.lower() == suffix:
            return candidate
    raise InvalidUpload(f"{shp.name}: {shp.stem}{suffix} is missing")


def _header(shp: Path, label: str) -> tuple[int, int]:
    """Check the .shp header; return the file's real size and the size it declares."""
    size = shp.stat().st_size
    head = _main_header(shp, label, "a shapefile's geometry file")
    return size, struct.unpack(">i", head[24:28])[0] * 2


def _main_header(path: Path, label: str, what: str) -> bytes:
    """Return the 100-byte header .shp and .shx share, or refuse a file without one."""
    with path.open("rb") as f:
        head = f.read(HEADER)
    if len(head) < HEADER or struct.unpack(">i", head[:4])[0] != FILE_CODE:
        raise InvalidUpload(
            f"{label}: {path.name} is not {what} (or is cut before the end of its "
            f"header); {EXPORT_AGAIN}"
        )
    return head


def _index(shx: Path, label: str, records: Records) -> np.ndarray:
    """Return the .shx entries as (byte offset, content bytes) rows."""
    size = shx.stat().st_size
    head = _main_header(shx, label, "a shapefile index")
    declared = struct.unpack(">i", head[24:28])[0] * 2
    if size < declared or (size - HEADER) % 8:
        records.problem(
            None,
            "file-truncated",
            f"{shx.name} is cut: its header says {declared:,} bytes, the file has "
            f"{size:,}; upload the complete file",
        )
    raw = np.fromfile(shx, dtype=">i4", offset=HEADER, count=(size - HEADER) // 8 * 2)
    return np.multiply(raw.reshape(-1, 2), 2, dtype=np.int64)  # 16-bit words to bytes


def _dbf(dbf: Path, label: str, records: Records) -> tuple[int, np.ndarray]:
    """Return the record count the .dbf header declares and the deleted records (0-based)."""
    size = dbf.stat().st_size
    with dbf.open("rb") as f:
        head = f.read(32)
        if len(head) < 32:
            raise InvalidUpload(f"{label}: {dbf.name} is cut before the end of its header")
        count, header_len, record_len = struct.unpack("<IHH", head[4:12])
        complete = (size - header_len) // record_len if record_len else 0
        if complete < count:
            records.problem(
                complete + 1,
                "file-truncated",
                f"{dbf.name} is cut: its header declares {count:,} records but only "
                f"{complete:,} are complete; upload the complete file",
            )
    if not record_len or not count:
        return count, np.empty(0, dtype=np.int64)
    deleted = []
    for block in range(0, min(count, complete), BLOCK):  # each record's deletion flag
        rows = np.arange(block, min(block + BLOCK, count, complete), dtype=np.int64)
        flags = _bytes_at(dbf, header_len + rows * record_len, 1)[:, 0]
        deleted.append(rows[flags == ord("*")])
    return count, np.concatenate(deleted) if deleted else np.empty(0, dtype=np.int64)


def _records(shp: Path, sizes, entries: np.ndarray, records, label, max_vertices) -> None:
    """Check that each index entry points at its record; refuse records with too many vertices."""
    if not len(entries):
        return
    size, declared = sizes
    offsets, lengths = entries[:, 0], entries[:, 1]
    inside = offsets + 8 + lengths <= size
    if not inside.all():
        first = int(np.flatnonzero(~inside)[0])
        missing = int((~inside).sum())
        if size < declared:  # the .shp itself says it is longer: it was cut
            records.problem(
                first + 1,
                "file-truncated",
                f"{shp.name} is cut: its header says {declared:,} bytes, the file has "
                f"{size:,}; this record and {missing - 1:,} after it are missing; upload "
                "the complete file",
            )
        else:
            records.problem(
                first + 1,
                "shapefile-parts",
                f"the {shp.stem}.shx entry of this record points past the end of {shp.name} "
                f"({missing:,} such records): the files come from different exports; "
                f"{EXPORT_AGAIN}",
            )
    index = np.flatnonzero(inside)
    wrong, first = 0, None
    for block in range(0, len(index), BLOCK):  # record headers, a block at a time
        rows = index[block : block + BLOCK]
        heads = _bytes_at(shp, offsets[rows], HEAD_BYTES)
        numbers = _int32(heads, 0, ">i4")
        stored_len = _int32(heads, 4, ">i4") * 2
        bad = np.flatnonzero((numbers != rows + 1) | (stored_len != lengths[rows]))
        if len(bad) and first is None:
            first = int(rows[bad[0]])
        wrong += len(bad)
        _vertices(heads, lengths[rows], rows, label, max_vertices)
    if first is not None:
        records.problem(
            first + 1,
            "shapefile-parts",
            f"the {shp.stem}.shx entry of this record points at another place of {shp.name} "
            f"({wrong:,} such records): the files come from different exports; "
            f"{EXPORT_AGAIN}",
        )


def _bytes_at(path: Path, offsets: np.ndarray, width: int) -> np.ndarray:
    """Return the ``width`` bytes at each of ``offsets`` (zeros past the end of the file).

    The file is read once, front to back, a window at a time: a memory map would
    bring every page of a 100 MB .shp into the process's resident memory.
    """
    out = np.zeros((len(offsets), width), dtype=np.uint8)
    order = np.argsort(offsets, kind="stable")
    ordered = offsets[order]
    with path.open("rb") as f:
        i = 0
        while i < len(ordered):
            start = int(ordered[i])
            j = max(int(np.searchsorted(ordered, start + WINDOW, side="left")), i + 1)
            f.seek(start)
            data = f.read(int(ordered[j - 1]) - start + width)  # up to the last one needed
            window = np.frombuffer(data + bytes(width), dtype=np.uint8)
            relative = ordered[i:j] - start
            out[order[i:j]] = window[relative[:, None] + np.arange(width)]
            i = j
    return out


def _int32(heads: np.ndarray, at: int, dtype: str) -> np.ndarray:
    """Return the 4-byte integers at byte ``at`` of each row of ``heads``."""
    return np.ascontiguousarray(heads[:, at : at + 4]).view(dtype).ravel().astype(np.int64)


def _vertices(heads: np.ndarray, lengths, index, label: str, max_vertices: int) -> None:
    """Refuse a record whose header counts more vertices than allowed."""
    kinds = np.where(lengths >= 4, _int32(heads, 8, "<i4"), -1)
    for kind, at in POINT_COUNT_AT.items():
        if at is None:
            continue
        rows = np.flatnonzero((kinds == kind) & (lengths >= at + 4))
        if not len(rows):
            continue
        counts = _int32(heads[rows], 8 + at, "<i4")
        over = np.flatnonzero(counts > max_vertices)
        if len(over):
            row = rows[over[0]]
            raise UploadTooLarge(
                f"{label}, record {int(index[row]) + 1}: {int(counts[over[0]]):,} vertices, "
                f"more than the limit of {max_vertices:,} per feature; simplify it or "
                "split it [rule feature-coordinates]"
            )
