"""GeoPackage geometry blobs: the standard 'GP' header followed by ISO WKB.

See OGC 12-128r18 §2.1.3. Encoding writes an xy envelope so readers (and the R-tree
triggers) get bounds without parsing the WKB.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import shapely

_HEADER = struct.Struct("<2sBBi")
_ENVELOPE = struct.Struct("<4d")
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
FLAG_LITTLE_ENDIAN = 0b1
FLAG_XY_ENVELOPE = 0b10
FLAG_EMPTY = 0b10000


def encode(geometries: np.ndarray, srs_id: int) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage blobs (None stays None)."""
    geometries = np.asarray(geometries, dtype=object)
    wkbs = shapely.to_wkb(geometries, flavor="iso", byte_order=1)
    bounds = shapely.bounds(geometries)
    empty = shapely.is_empty(geometries)
    out: list[bytes | None] = []
    for wkb, (minx, miny, maxx, maxy), is_empty in zip(wkbs, bounds, empty, strict=True):
        if wkb is None:
            out.append(None)
        elif is_empty:
            flags = FLAG_LITTLE_ENDIAN | FLAG_EMPTY
            out.append(_HEADER.pack(b"GP", 0, flags, srs_id) + wkb)
        else:
            flags = FLAG_LITTLE_ENDIAN | FLAG_XY_ENVELOPE
            head = _HEADER.pack(b"GP", 0, flags, srs_id)
            out.append(head + _ENVELOPE.pack(minx, maxx, miny, maxy) + wkb)
    return out


def header_length(blob: bytes) -> int:
    """Return the length of the GP header (8 bytes plus the envelope)."""
    return 8 + _ENVELOPE_BYTES.get((blob[3] >> 1) & 0b111, 0)


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Decode GeoPackage blobs into shapely geometries (vectorised WKB parse)."""
    wkbs = [None if b is None else b[header_length(b) :] for b in blobs]
    return shapely.from_wkb(np.asarray(wkbs, dtype=object))


def decode_one(blob: bytes | None) -> shapely.Geometry | None:
    """Decode a single blob."""
    if blob is None:
        return None
    return shapely.from_wkb(blob[header_length(blob) :])


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """Return (minx, maxx, miny, maxy) of a blob, from its header when present."""
    if blob is None or blob[3] & FLAG_EMPTY:
        return None
    if (blob[3] >> 1) & 0b111:
        return _ENVELOPE.unpack_from(blob, 8)
    geom = decode_one(blob)
    minx, miny, maxx, maxy = geom.bounds
    return (minx, maxx, miny, maxy)


def is_empty(blob: bytes | None) -> bool:
    """Tell whether a blob holds an empty geometry."""
    return blob is None or bool(blob[3] & FLAG_EMPTY)
