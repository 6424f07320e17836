"""The text encoding of a shapefile's attributes: honour ``.cpg``, else detect it.

Chinese shapefiles from ArcGIS are usually GBK (code page 936), sometimes with a
``.cpg`` saying so, often without, in which case GDAL falls back to Latin-1 and
names come out as mojibake ("¶«Ê¤Çø" for 东胜区). Here the DBF bytes are decoded
strictly: a ``.cpg`` is honoured when the bytes agree with it, and a file
without one is read as UTF-8 when it decodes as UTF-8, else as GB18030 (a
superset of GBK and GB2312). Anything else is refused with the position of the
first bad byte, never silently garbled.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

from geoservice.errors import InvalidUpload

LDID_CODECS = {0x4D: "gbk", 0x7A: "gbk", 0x57: "cp1252", 0x03: "cp1252", 0x01: "cp437"}
CODE_PAGES = {"65001": "utf-8", "936": "gbk", "54936": "gb18030", "950": "big5"}
CHUNK_RECORDS = 20_000


@dataclass(frozen=True)
class TextEncoding:
    """The codec used for the attributes and how it was chosen."""

    codec: str
    how: str  # "option", "cpg", "dbf-header", "detected"

    def as_dict(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"name": self.codec.upper(), "how": self.how}


def shapefile_encoding(shp: Path, override: str | None, label: str) -> TextEncoding:
    """Return the encoding of ``shp``'s DBF, checked against its bytes.

    Raises
    ------
    InvalidUpload
        When the declared encoding does not fit the bytes, or none fits.
    """
    dbf = _part(shp, ".dbf")
    if override:  # the uploader's word wins, even over bytes that disagree
        return TextEncoding(_codec(override), "option")
    cpg = _part(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_text(encoding="ascii", errors="replace").strip()
        return _checked(dbf, TextEncoding(_codec(text, label), "cpg"), label, ".cpg")
    ldid = _ldid(dbf)
    if ldid in LDID_CODECS and LDID_CODECS[ldid] == "gbk":
        return _checked(dbf, TextEncoding("gbk", "dbf-header"), label, "DBF header")
    return _detect(dbf, label)


def _part(shp: Path, suffix: str) -> Path | None:
    for candidate in shp.parent.iterdir():
        if candidate.stem == shp.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _codec(name: str, label: str = "encoding") -> str:
    text = name.strip().upper().removeprefix("ANSI ").strip()
    text = CODE_PAGES.get(text, f"cp{text}" if text.isdigit() else text)
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise InvalidUpload(
            f"{label}: encoding {name!r} is unknown; write UTF-8 or GBK in the .cpg, "
            "or pass encoding=GBK"
        ) from None


def _ldid(dbf: Path | None) -> int | None:
    if dbf is None:
        return None
    with dbf.open("rb") as f:
        header = f.read(32)
    return header[29] if len(header) >= 32 else None


def _checked(dbf: Path | None, enc: TextEncoding, label: str, origin: str) -> TextEncoding:
    if dbf is None:
        return enc
    bad = first_undecodable(dbf, enc.codec)
    if bad is not None:
        record, sample = bad
        guess = _guess(dbf)
        hint = f"it reads as {guess.upper()}" if guess else "no usual encoding fits"
        raise InvalidUpload(
            f"{label}: the {origin} says {enc.codec.upper()} but record {record + 1} has text "
            f"that is not {enc.codec.upper()} ({sample!r}); {hint}: fix the .cpg "
            f"(one line, e.g. GBK or UTF-8) or upload again with encoding=... [rule encoding]"
        )
    if enc.codec != "utf-8" and _has_utf8_text(dbf):
        raise InvalidUpload(
            f"{label}: the {origin} says {enc.codec.upper()} but the text is UTF-8 (reading "
            "it as declared would garble every Chinese name); fix the .cpg to UTF-8 or "
            "upload again with encoding=UTF-8 [rule encoding]"
        )
    return enc


def _detect(dbf: Path | None, label: str) -> TextEncoding:
    if dbf is None or first_undecodable(dbf, "utf-8") is None:
        return TextEncoding("utf-8", "detected")
    if first_undecodable(dbf, "gb18030") is None:
        return TextEncoding("gb18030", "detected")
    record, sample = first_undecodable(dbf, "utf-8") or (0, b"")
    raise InvalidUpload(
        f"{label}: no .cpg, and the attribute text is neither UTF-8 nor GBK/GB18030 "
        f"(record {record + 1}: {sample!r}); add a .cpg naming its encoding or upload again "
        "with encoding=... [rule encoding]"
    )


def _guess(dbf: Path) -> str | None:
    for codec in ("utf-8", "gb18030"):
        if first_undecodable(dbf, codec) is None:
            return codec
    return None


def _records(dbf: Path):
    with dbf.open("rb") as f:
        header = f.read(32)
        if len(header) < 32:
            return
        count, header_len, record_len = struct.unpack("<IHH", header[4:12])
        f.seek(header_len)
        done = 0
        while done < count and record_len:
            n = min(CHUNK_RECORDS, count - done)
            chunk = f.read(n * record_len)
            if not chunk:
                return
            yield done, record_len, chunk
            done += n


def first_undecodable(dbf: Path, codec: str) -> tuple[int, bytes] | None:
    """Return (record index, bytes) of the first text ``codec`` cannot decode, or None."""
    for start, record_len, chunk in _records(dbf):
        try:
            chunk.decode(codec)
        except UnicodeDecodeError as exc:
            record = start + exc.start // record_len
            return record, chunk[exc.start : exc.start + 12]
    return None


def _has_utf8_text(dbf: Path) -> bool:
    for _, _, chunk in _records(dbf):
        if not chunk.isascii():
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError:
                return False
            return True
    return False
