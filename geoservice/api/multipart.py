"""Receive a multipart upload straight to disk, counting bytes as they arrive.

Starlette's form parser spools files to the system temp folder with no size
cap; here the body is parsed as it streams in, the file part is written into
the upload work folder, and the request is refused (413) the moment it passes
a limit, so neither memory nor disk holds more than the limits allow:

* the file: ``max_bytes`` (``uploads.max_bytes``);
* the whole body, fields and framing included: ``max_bytes`` + ``FORM_OVERHEAD``;
* text fields: ``MAX_PARTS`` parts, ``FIELD_MAX_BYTES`` each and
  ``FIELDS_MAX_BYTES`` together, and only the names the route accepts (the
  parser itself bounds each part's headers: 8 lines of at most 4 KiB).

Every limit is checked before the bytes that would pass it are kept. A disk
that fills up while the file is written is a 507, not a broken upload.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from geoservice.errors import InsufficientStorage, InvalidParameter, UploadTooLarge
from geoservice.ingest.workdir import disk_full

FIELD_MAX_BYTES = 64 * 1024
FIELDS_MAX_BYTES = 256 * 1024
MAX_PARTS = 32
FORM_OVERHEAD = FIELDS_MAX_BYTES + MAX_PARTS * 40 * 1024  # fields, part headers, framing


REPEATABLE = frozenset({"source_layer", "field_map"})
"""Form fields that hold a list: given several times, their values are joined by commas."""


@dataclass
class UploadForm:
    """The text fields of a form and the one uploaded file (if any)."""

    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    filename: str | None = None


class _Receiver:
    def __init__(self, dest: Path, max_bytes: int, allowed: Collection[str] | None) -> None:
        self.dest, self.max_bytes, self.allowed = dest, max_bytes, allowed
        self.form = UploadForm()
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._name: str | None = None
        self._out = None
        self._buffer = bytearray()
        self._size = 0
        self._parts = 0
        self._field_bytes = 0

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._acc("_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._acc("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _acc(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise UploadTooLarge(
                f"the form has more than {MAX_PARTS} parts; send the file and the few "
                "options the upload takes"
            )
        self._headers, self._name, self._out = {}, None, None
        self._buffer = bytearray()

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is not None and self._name == "file":
            if self.form.file is not None:
                raise InvalidParameter("send one file per upload, in the field 'file'")
            self.form.filename = _safe_name(filename.decode("utf-8", "replace"))
            folder = self.dest / "received"
            folder.mkdir(exist_ok=True)
            self.form.file = folder / self.form.filename
            self._out = self.form.file.open("wb")
            return
        self._check_field_name()

    def _check_field_name(self) -> None:
        name = self._name or ""
        if self.allowed is not None and name not in self.allowed:
            shown = name if len(name) <= 40 else name[:40] + "..."
            raise InvalidParameter(
                f"unknown form field {shown!r}; this upload takes: file, "
                f"{', '.join(sorted(self.allowed))}"
            )
        if name in self.form.fields and name not in REPEATABLE:
            raise InvalidParameter(f"form field {name!r} is given twice; give it once")

    def _data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._out is None:
            if len(self._buffer) + size > FIELD_MAX_BYTES:
                raise UploadTooLarge(
                    f"form field {self._name!r} is longer than {FIELD_MAX_BYTES // 1024} KiB"
                )
            self._field_bytes += size
            if self._field_bytes > FIELDS_MAX_BYTES:
                raise UploadTooLarge(
                    f"the form's text fields hold more than {FIELDS_MAX_BYTES // 1024} KiB"
                )
            self._buffer += data[start:end]
            return
        self._size += size
        if self._size > self.max_bytes:
            raise UploadTooLarge(
                f"{self.form.filename}: more than the upload limit of {self.max_bytes:,} bytes"
            )
        self._out.write(data[start:end])

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._name:
            value = self._buffer.decode("utf-8", "replace")
            before = self.form.fields.get(self._name)
            # A repeatable field given twice (source_layer=a, source_layer=b) reads a,b
            self.form.fields[self._name] = value if before is None else f"{before},{value}"

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _safe_name(filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1].strip() or "upload"
    return re.sub(r"[^\w.\-]", "_", base)[:120].lstrip(".") or "upload"


async def receive_upload(
    request: Request, dest: Path, max_bytes: int, fields: Collection[str] | None = None
) -> UploadForm:
    """Parse a ``multipart/form-data`` request into ``dest``; refuse it past the limits.

    ``fields`` names the text fields the route takes (None: any, within the limits).
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidParameter(
            "send multipart/form-data with the file in the field 'file' "
            "(curl -F file=@boundary.zip ...)"
        )
    limit = max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(
            f"the request is {int(declared):,} bytes, more than the upload limit of "
            f"{max_bytes:,} bytes"
        )
    receiver = _Receiver(dest, max_bytes, fields)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise UploadTooLarge(
                    f"the request is more than {limit:,} bytes (the upload limit of "
                    f"{max_bytes:,} bytes and the form around it)"
                )
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise InvalidParameter(f"the multipart body is malformed: {exc}") from None
    except OSError as exc:
        if disk_full(exc):
            raise InsufficientStorage(
                f"{receiver.form.filename or 'the upload'}: the server ran out of disk space "
                "while receiving this upload; nothing was stored. Try again later, or ask "
                "the administrator to free space in the upload work folder"
            ) from None
        raise
    finally:
        receiver.close()
    if receiver.form.file is None:
        raise InvalidParameter("no file: send it in the multipart field 'file'")
    return receiver.form
