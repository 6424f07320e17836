"""Unpack uploaded ZIP archives (zipped shapefiles, KMZ) without trusting them.

Refused, before anything is written outside the work folder: names that climb
out of it (zip slip), absolute names, symbolic links, nested archives, encrypted
entries, too many entries, and zip bombs. A zip bomb is refused on the bytes
actually written while extracting, not on the archive's own headers (a hostile
file can fake them): the running total against ``uploads.max_unzipped_bytes``,
and the running total against the archive's real size on disk times
``uploads.max_zip_ratio`` (so 300 entries of exactly 1 MiB of zeros, each
small enough to pass a per-entry rule, still add up to a refusal).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geoservice.errors import InvalidUpload, UploadTooLarge
from geoservice.ingest.workdir import disk_full
from geoservice.settings import UploadSettings

ARCHIVE_SUFFIXES = (".zip", ".kmz", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz")
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")
CHUNK = 1024 * 1024
MAGIC_ARCHIVES = (b"PK\x03\x04", b"7z\xbc\xaf", b"Rar!", b"\x1f\x8b")
RATIO_FLOOR = 4 * CHUNK  # below this much unpacked, any ratio is harmless (tiny text files)


@dataclass
class _Budget:
    """Bytes written so far against the total and ratio limits of one archive."""

    limits: UploadSettings
    archive_bytes: int
    name: str
    written: int = 0

    def add(self, count: int, entry: str) -> None:
        self.written += count
        if self.written > self.limits.max_unzipped_bytes:
            raise UploadTooLarge(
                f"{self.name}: unpacks to more than {self.limits.max_unzipped_bytes:,} bytes "
                f"(reached in entry {entry!r}), the limit [rule zip-bomb]"
            )
        ratio = self.written / max(self.archive_bytes, 1)
        if self.written > RATIO_FLOOR and ratio > self.limits.max_zip_ratio:
            raise UploadTooLarge(
                f"{self.name}: unpacks to more than {ratio:.0f} times its own size "
                f"({self.written:,} bytes from {self.archive_bytes:,} by entry {entry!r}), "
                f"more than the limit of {self.limits.max_zip_ratio}:1 (a zip bomb?) "
                "[rule zip-bomb]"
            )


def unpack_zip(path: Path, dest: Path, limits: UploadSettings, *, name: str) -> list[Path]:
    """Extract the archive ``path`` into ``dest``; return the files written.

    Raises
    ------
    InvalidUpload
        For a damaged archive or an entry that is unsafe (422).
    UploadTooLarge
        For a zip bomb or an archive over the configured limits (413).
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InvalidUpload(
            f"{name}: not a readable ZIP archive ({exc}); it may be truncated: "
            "upload the complete file again"
        ) from None
    with archive:
        entries = [i for i in archive.infolist() if not _ignored(i)]
        budget = _Budget(limits, path.stat().st_size, name)
        _check_entries(entries, budget)
        written: list[Path] = []
        for info in entries:
            if not info.is_dir():
                written.append(_extract(archive, info, dest, budget, name))
    return written


def _ignored(info: zipfile.ZipInfo) -> bool:
    return any(part in info.filename for part in IGNORED)


def _check_entries(entries: list[zipfile.ZipInfo], budget: _Budget) -> None:
    """Refuse on the headers what the extraction would refuse later, before writing."""
    limits, name = budget.limits, budget.name
    if len(entries) > limits.max_archive_entries:
        raise UploadTooLarge(
            f"{name}: {len(entries)} entries in the archive, more than the limit of "
            f"{limits.max_archive_entries}; upload one dataset per archive"
        )
    declared = sum(i.file_size for i in entries)
    if declared > limits.max_unzipped_bytes:
        raise UploadTooLarge(
            f"{name}: unpacks to {declared:,} bytes, more than the limit of "
            f"{limits.max_unzipped_bytes:,} [rule zip-bomb]"
        )
    ratio = declared / max(budget.archive_bytes, 1)
    if declared > RATIO_FLOOR and ratio > limits.max_zip_ratio:
        raise UploadTooLarge(
            f"{name}: its {len(entries)} entries unpack to {declared:,} bytes, {ratio:.0f} "
            f"times the archive's size, more than the limit of {limits.max_zip_ratio}:1 "
            "(a zip bomb?) [rule zip-bomb]"
        )
    for info in entries:
        _check_entry(info, limits, name)


def _check_entry(info: zipfile.ZipInfo, limits: UploadSettings, name: str) -> None:
    where = f"{name}: entry {info.filename!r}"
    safe_relative_path(info.filename, where)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidUpload(f"{where} is a symbolic link; archives must hold plain files only")
    if info.flag_bits & 0x1:
        raise InvalidUpload(f"{where} is password-protected; upload an unencrypted archive")
    if not info.is_dir() and info.filename.lower().endswith(ARCHIVE_SUFFIXES):
        raise InvalidUpload(
            f"{where} is an archive inside the archive; unpack it and upload its content"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > CHUNK and ratio > limits.max_zip_ratio:
        raise UploadTooLarge(
            f"{where} is compressed {ratio:.0f}:1, more than the limit of "
            f"{limits.max_zip_ratio}:1 (a zip bomb?) [rule zip-bomb]"
        )


def safe_relative_path(filename: str, where: str) -> PurePosixPath:
    """Return an archive name as a relative path, refusing any that leaves its folder."""
    normal = filename.replace("\\", "/")
    path = PurePosixPath(normal)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise InvalidUpload(f"{where} has an absolute path; archives must use relative names")
    if ".." in path.parts:
        raise InvalidUpload(f"{where} points outside the archive ('..'); refused (zip slip)")
    return path


def _extract(archive, info, dest: Path, budget: _Budget, name: str) -> Path:
    target = dest / safe_relative_path(info.filename, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                if written == 0 and chunk.startswith(MAGIC_ARCHIVES):
                    raise InvalidUpload(
                        f"{name}: entry {info.filename!r} is itself an archive; unpack it "
                        "and upload its content"
                    )
                written += len(chunk)
                if written > max(info.file_size, 0) * 1.01 + CHUNK:
                    raise UploadTooLarge(
                        f"{name}: entry {info.filename!r} unpacks to more than its header "
                        "declares (a zip bomb?) [rule zip-bomb]"
                    )
                budget.add(len(chunk), info.filename)
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise InvalidUpload(
            f"{name}: entry {info.filename!r} cannot be unpacked ({exc}); the archive is "
            "damaged or truncated: upload the complete file again"
        ) from None
    return target
