"""Options of an upload, as given by a form, the CLI or a test; checked once here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geoservice.errors import InvalidParameter

COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")
MODES = ("replace", "append")
ON_ERROR = ("reject", "skip")


@dataclass(frozen=True)
class IngestOptions:
    """How to read and store one upload.

    ``crs`` overrides (or supplies) the file's CRS. ``coordinate_system`` says the
    lon/lat are GCJ-02 or BD-09 and must be converted to WGS84 first. ``repair``
    allows ``make_valid`` on invalid geometries; ``force_2d`` drops Z/M values
    instead of refusing them; ``encoding`` overrides a shapefile's ``.cpg``.
    ``on_error="skip"`` stores the valid features and sets the others aside (a
    problem of the whole file still refuses it).
    """

    mode: Literal["replace", "append"] = "replace"
    crs: str | None = None
    source_layer: str | None = None
    coordinate_system: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    dry_run: bool = False
    repair: bool = False
    force_2d: bool = False
    encoding: str | None = None
    author: str = "system"
    message: str = ""
    on_error: Literal["reject", "skip"] = "reject"
    field_map: tuple[tuple[str, str], ...] = ()  # (file column, layer attribute) pairs
    save_field_map: bool = False  # keep ``field_map`` as the layer's mapping once stored
    use_saved_field_map: bool = True  # without ``field_map``, apply the layer's saved one

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidParameter(f"mode={self.mode!r}: use replace or append")
        if self.coordinate_system not in COORDINATE_SYSTEMS:
            raise InvalidParameter(
                f"coordinate_system={self.coordinate_system!r}: use one of "
                f"{', '.join(COORDINATE_SYSTEMS)} (gcj02 for AMap/Tencent, bd09 for Baidu)"
            )
        if self.encoding is not None:
            check_codec(self.encoding)
        targets = [a for _, a in self.field_map]
        if len(set(targets)) < len(targets):
            raise InvalidParameter(f"field_map maps two columns to one attribute: {targets}")
        if self.save_field_map and not self.field_map:
            raise InvalidParameter(
                "save_field_map=true saves the upload's field_map: give one too, "
                "e.g. field_map=名称=name_zh"
            )
        if self.on_error not in ON_ERROR:
            raise InvalidParameter(
                f"on_error={self.on_error!r}: use reject (a bad feature refuses the upload) "
                "or skip (bad features are left out and returned as a file)"
            )


def check_codec(name: str) -> str:
    """Return the Python codec for an encoding name, or refuse it (400)."""
    import codecs

    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise InvalidParameter(
            f"encoding={name!r} is not a known text encoding; use e.g. UTF-8, GBK or GB18030"
        ) from None


def parse_bool(value: str | bool | None, name: str) -> bool:
    """Read a form/CLI boolean (true/false/1/0/yes/no/on/off)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise InvalidParameter(f"{name}={value!r}: use true or false")


def parse_field_map(text: str | None) -> tuple[tuple[str, str], ...]:
    """Read ``名称=name_zh,代码=code`` (form field or CLI) into pairs, or refuse it."""
    pairs = []
    for part in filter(None, (p.strip() for p in (text or "").split(",")[:500])):
        column, sep, attr = (x.strip() for x in part.partition("="))
        if not sep or not column or not attr:
            raise InvalidParameter(
                f"field_map: {part[:80]!r} must read column=attribute, e.g. "
                "field_map=名称=name_zh,代码=code"
            )
        pairs.append((column, attr))
    return tuple(pairs)
