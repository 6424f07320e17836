"""Tell what an uploaded file is from its first bytes, not from its name alone.

A renamed ``.exe``, a PDF or an empty file is refused here with a message saying
which formats are accepted; a ZIP is unpacked safely (``archive.py``) and the
dataset inside it found: a shapefile with all its parts, a GeoPackage, a
GeoJSON, a KML (KMZ), a FlatGeobuf or a CSV.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from geoservice.errors import InvalidParameter, InvalidUpload
from geoservice.ingest.archive import unpack_zip
from geoservice.settings import UploadSettings

ACCEPTED = (
    "zipped Shapefile (.zip with .shp/.shx/.dbf/.prj/.cpg), GeoPackage (.gpkg), "
    "GeoJSON (.geojson/.json), newline-delimited GeoJSON (.geojsonl/.ndjson), "
    "FlatGeobuf (.fgb), KML/KMZ, CSV with lon/lat or WKT columns"
)
SUFFIX_DRIVERS = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".geojsonl": "GeoJSONSeq",
    ".geojsons": "GeoJSONSeq",
    ".ndjson": "GeoJSONSeq",
    ".jsonl": "GeoJSONSeq",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
    ".csv": "CSV",
}
FOREIGN_MAGIC = {
    b"MZ": "a Windows program (.exe/.dll)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x7fELF": "a Linux program",
    b"Rar!": "a RAR archive (only ZIP is accepted)",
    b"7z\xbc\xaf": "a 7-Zip archive (only ZIP is accepted)",
    b"\x1f\x8b": "a gzip file (only ZIP is accepted)",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}


# an absolute POSIX path of at least one folder, not part of a word, number or URL
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"`:,;()<>]+/)+[^\s/'\"`:,;()<>]*")


@dataclass(frozen=True)
class Source:
    """A dataset GDAL can open: its path, driver and a name for messages."""

    path: Path
    driver: str
    label: str


def scrub(text: str, source: Source | None = None, *, name: str | None = None) -> str:
    """Return ``text`` without server paths: GDAL quotes the file it opened, and a
    message must name the uploaded file, never the temporary folder it sits in."""
    label = source.label if source else (name or "the uploaded file")
    if source is not None:
        text = text.replace(str(source.path), label)
    return ABSOLUTE_PATH.sub(label, text)


def detect_source(
    path: Path, name: str, work: Path, limits: UploadSettings, source_layer: str | None = None
) -> Source:
    """Return the dataset held by the uploaded file ``path`` (originally ``name``).

    In an archive holding several datasets, ``source_layer`` names the one to use
    (its file name without extension).
    """
    head = _head(path)
    if not head.strip():
        raise InvalidUpload(f"{name}: the file is empty; upload a file with features")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        files = unpack_zip(path, work / "unzipped", limits, name=name)
        return _from_archive(files, name, source_layer)
    return _single(path, name, head)


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def _single(path: Path, name: str, head: bytes) -> Source:
    if head.startswith(b"SQLite format 3\x00"):
        return Source(path, "GPKG", name)
    if head.startswith(b"fgb\x03"):
        return Source(path, "FlatGeobuf", name)
    for magic, what in FOREIGN_MAGIC.items():
        if head.startswith(magic):
            raise InvalidUpload(f"{name}: this is {what}, not geodata; accepted: {ACCEPTED}")
    suffix = Path(name).suffix.lower()
    if suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        raise InvalidUpload(
            f"{name}: a shapefile is several files (.shp, .shx, .dbf, .prj, .cpg); "
            "put them in one .zip and upload the .zip"
        )
    text = _text_head(head, name)
    driver = _text_driver(text, suffix, name)
    return Source(path, driver, name)


def _text_head(head: bytes, name: str) -> str:
    if b"\x00" in head:
        raise InvalidUpload(f"{name}: binary content of an unknown format; accepted: {ACCEPTED}")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def _text_driver(text: str, suffix: str, name: str) -> str:
    if text.startswith("\x1e"):
        return "GeoJSONSeq"
    if text.startswith("{"):
        return "GeoJSONSeq" if _is_json_lines(text) else "GeoJSON"
    if text.startswith("<"):
        if "<kml" in text[:2000]:
            return "KML"
        raise InvalidUpload(f"{name}: XML that is not KML; accepted: {ACCEPTED}")
    if suffix in (".csv", ".txt") or "," in text.split("\n", 1)[0]:
        return "CSV"
    raise InvalidUpload(f"{name}: not a recognised geospatial format; accepted: {ACCEPTED}")


def _is_json_lines(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    try:
        first = json.loads(lines[0])
    except ValueError:
        return False
    return isinstance(first, dict) and first.get("type") == "Feature"


def _from_archive(files: list[Path], name: str, source_layer: str | None) -> Source:
    candidates = [f for f in files if f.suffix.lower() in SUFFIX_DRIVERS]
    if not candidates:
        return _nothing_geospatial(files, name)
    if len(candidates) > 1 and source_layer:
        candidates = [c for c in candidates if c.stem == source_layer] or candidates
    if len(candidates) > 1:
        raise InvalidParameter(
            f"{name}: the archive holds several datasets "
            f"({', '.join(sorted(c.name for c in candidates))}); choose one with "
            "source_layer=<file name without extension>"
        )
    (chosen,) = candidates
    driver = SUFFIX_DRIVERS[chosen.suffix.lower()]
    label = f"{name}!{chosen.name}"
    if driver == "ESRI Shapefile":
        _check_shapefile_parts(chosen, files, label)
    return Source(chosen, driver, label)


def _nothing_geospatial(files: list[Path], name: str) -> Source:
    stems = {f.stem for f in files if f.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg")}
    found = ", ".join(sorted(f.name for f in files)[:10]) or "nothing"
    if stems:
        missing = ", ".join(f"{s}.shp" for s in sorted(stems))
        raise InvalidUpload(
            f"{name}: the archive has shapefile parts but no {missing} (the geometry); "
            "add the .shp file to the archive"
        )
    raise InvalidUpload(
        f"{name}: the archive holds no geospatial data (found: {found}); accepted: {ACCEPTED}"
    )


def _check_shapefile_parts(shp: Path, files: list[Path], label: str) -> None:
    present = {f.suffix.lower() for f in files if f.stem == shp.stem and f.parent == shp.parent}
    for part, role in ((".shx", "index"), (".dbf", "attributes")):
        if part not in present:
            raise InvalidUpload(
                f"{label}: {shp.stem}{part} ({role}) is missing; zip every part of the "
                "shapefile (.shp, .shx, .dbf, .prj, .cpg) together"
            )
