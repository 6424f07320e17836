"""Photo attachments of incidents: checked before anything is kept, stored under the data folder.

A photo is refused (nothing written) when its declared type is not allowed, when
its first bytes are not that type's signature (a script renamed ``.jpg`` is not
a photo), or when it is larger than ``farmland.photo_max_bytes``. An accepted
photo is written to a temporary name and renamed, so a half-written file never
carries a photo's name; its name is its SHA-256, so the same photo sent twice is
one file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from geoservice.errors import InvalidParameter, NotFoundError, UnsupportedMediaType, UploadTooLarge
from geoservice.settings import FarmlandSettings

SIGNATURES: dict[str, tuple[str, tuple[tuple[int, bytes], ...]]] = {
    "image/jpeg": (".jpg", ((0, b"\xff\xd8\xff"),)),
    "image/png": (".png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    "image/webp": (".webp", ((0, b"RIFF"), (8, b"WEBP"))),
}
"""Extension and magic bytes (offset, bytes) of each photo type geoservice knows."""
PHOTO_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
INCIDENT_ID = re.compile(r"^I[0-9a-f]{12}$")


@dataclass(frozen=True)
class StoredPhoto:
    """A photo kept on disk: its file name (under the incident's folder) and facts."""

    file: str
    media_type: str
    bytes: int
    sha256: str
    new: bool
    """False when the same photo was already kept for this incident."""


def check_declared(media_type: str | None, length: int | None, limits: FarmlandSettings) -> str:
    """Refuse a photo from its headers alone (type not allowed, declared size too big)."""
    media = (media_type or "").split(";")[0].strip().lower()
    if media not in limits.photo_types or media not in SIGNATURES:
        allowed = [t for t in limits.photo_types if t in SIGNATURES]
        raise UnsupportedMediaType(f"photo type {media or 'none'!r} is not accepted; use {allowed}")
    if length is not None and length > limits.photo_max_bytes:
        raise UploadTooLarge(too_large(limits))
    return media


def too_large(limits: FarmlandSettings) -> str:
    """Return the message refusing an oversize photo."""
    return f"the photo is larger than {limits.photo_max_bytes} bytes (farmland.photo_max_bytes)"


def check_content(media_type: str, data: bytes, limits: FarmlandSettings) -> None:
    """Refuse a photo whose bytes are empty, too many, or not of its declared type."""
    if len(data) > limits.photo_max_bytes:
        raise UploadTooLarge(too_large(limits))
    if not data:
        raise InvalidParameter("the photo is empty")
    _, magic = SIGNATURES[media_type]
    if not all(data[offset : offset + len(sig)] == sig for offset, sig in magic):
        raise UnsupportedMediaType(
            f"the file does not start like a {media_type} file: send the photo itself"
        )


def save_photo(photos_dir: Path, incident_id: str, media_type: str, data: bytes) -> StoredPhoto:
    """Write an already checked photo under ``photos_dir/<incident>/``; return what was kept."""
    if not INCIDENT_ID.match(incident_id):
        raise InvalidParameter(f"incident id {incident_id[:40]!r} is not an incident id")
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest}{SIGNATURES[media_type][0]}"
    folder = photos_dir / incident_id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    new = not target.exists()
    if new:
        partial = folder / f".{name}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(target)
    return StoredPhoto(name, media_type, len(data), digest, new)


def remove_photo(photos_dir: Path, incident_id: str, photo: StoredPhoto) -> None:
    """Remove a new photo whose record could not be written (so nothing unlisted is kept)."""
    if photo.new:
        (photos_dir / incident_id / photo.file).unlink(missing_ok=True)


def photo_path(photos_dir: Path, incident_id: str, name: str) -> tuple[Path, str]:
    """Return a stored photo's path and media type, or raise NotFoundError (names are checked)."""
    if not INCIDENT_ID.match(incident_id) or not PHOTO_NAME.match(name):
        raise NotFoundError(f"no photo {name[:80]!r}")
    path = photos_dir / incident_id / name
    if not path.is_file():
        raise NotFoundError(f"no photo {name!r} of incident {incident_id}")
    ext = path.suffix
    media = next(t for t, (e, _) in SIGNATURES.items() if e == ext)
    return path, media
