"""Glyph ranges for MapLibre labels, made here from a font on this machine (no font server).

MapLibre draws CJK ideographs with the browser's own fonts
(``localIdeographFontFamily``) but asks the style's ``glyphs`` URL for every
other character: Latin names (``lang=en``), route numbers (G109), digits. This
module renders those as signed-distance-field glyphs, the format MapLibre reads
(``glyphs.proto`` of the Mapbox/MapLibre font tooling), from the first font found
among :data:`FONT_CANDIDATES` (WenQuanYi Micro Hei first, so Latin and Chinese
match). Without any of them a range is empty and such labels are not drawn, as
before.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
SIZE = 24
"""MapLibre's glyph size: metrics are in pixels at 24 px."""
BUFFER = 3
RADIUS = 8.0
CUTOFF = 0.25
ASCENT = 24
"""Where MapLibre expects a glyph's top: its height above the baseline, less this."""
LOCAL_FROM = 0x2E80
"""Ranges from here on (CJK) are drawn by the browser; they stay empty."""
RANGE = 256


def glyph_range(fontstack: str, start: int) -> bytes:
    """Return the PBF of glyphs ``start``..``start+255`` (empty when drawn locally or no font)."""
    if start % RANGE or start < 0 or start >= LOCAL_FROM:
        return b""
    font = _font_path()
    if font is None:
        return b""
    return _encoded(str(font), fontstack, start)


@lru_cache(maxsize=1)
def _font_path() -> Path | None:
    return next((p for p in FONT_CANDIDATES if p.is_file()), None)


@lru_cache(maxsize=64)
def _encoded(font_path: str, fontstack: str, start: int) -> bytes:
    from PIL import ImageFont

    font = ImageFont.truetype(font_path, SIZE)
    glyphs = b""
    for code in range(start, start + RANGE):
        glyph = _glyph(font, code)
        if glyph is not None:
            glyphs += _field(3, glyph)
    stack = _field(1, fontstack.encode()) + _field(2, f"{start}-{start + RANGE - 1}".encode())
    return _field(1, stack + glyphs)


def _glyph(font, code: int) -> bytes | None:
    """Return one encoded glyph: its SDF bitmap and metrics, or None if it draws nothing."""
    from PIL import Image, ImageDraw

    char = chr(code)
    if not char.isprintable():
        return None
    advance = round(font.getlength(char))
    left, top, right, bottom = font.getbbox(char, anchor="ls")  # from the baseline
    width, height = right - left, bottom - top
    fields = _uint(1, code)
    if width <= 0 or height <= 0:  # a space: an advance and no bitmap
        metrics = _uint(3, 0) + _uint(4, 0) + _sint(5, 0) + _sint(6, -ASCENT) + _uint(7, advance)
        return fields + metrics
    canvas = Image.new("L", (width + 2 * BUFFER, height + 2 * BUFFER), 0)
    ImageDraw.Draw(canvas).text((BUFFER - left, BUFFER - top), char, font=font, fill=255,
                                anchor="ls")  # fmt: skip
    bitmap = _sdf(np.asarray(canvas) >= 128)
    fields += _field(2, bitmap.tobytes())
    fields += _uint(3, width) + _uint(4, height) + _sint(5, left)
    fields += _sint(6, -top - ASCENT) + _uint(7, advance)
    return fields


def _sdf(inside: np.ndarray) -> np.ndarray:
    """Return the signed distance field MapLibre expects (0.75 of 255 on the edge)."""
    from scipy.ndimage import distance_transform_edt

    outside = distance_transform_edt(~inside)
    within = distance_transform_edt(inside)
    distance = np.where(inside, -(within - 0.5), outside - 0.5)
    values = 255 - 255 * (distance / RADIUS + CUTOFF)
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _uint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _sint(number: int, value: int) -> bytes:
    return _uint(number, (value << 1) ^ (value >> 31) if value < 0 else value << 1)


def _field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload
