"""Receive a multipart upload straight to disk, counting bytes as they arrive.

Starlette's form parser spools files to the system temp folder with no size
cap; here the body is parsed as it streams in, the file part is written into
the upload work folder, and the request is refused (413) the moment it passes
``max_bytes``, so neither memory nor disk holds more than the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from geoservice.errors import InvalidParameter, UploadTooLarge

FIELD_MAX_BYTES = 64 * 1024
FORM_OVERHEAD = 64 * 1024


@dataclass
class UploadForm:
    """The text fields of a form and the one uploaded file (if any)."""

    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    filename: str | None = None


class _Receiver:
    def __init__(self, dest: Path, max_bytes: int) -> None:
        self.dest, self.max_bytes = dest, max_bytes
        self.form = UploadForm()
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._name: str | None = None
        self._out = None
        self._buffer = bytearray()
        self._size = 0

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
            self.form.file = self.dest / ("upload-" + self.form.filename)
            self._out = self.form.file.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._out is None:
            self._buffer += chunk
            if len(self._buffer) > FIELD_MAX_BYTES:
                raise InvalidParameter(f"form field {self._name!r} is longer than 64 KiB")
            return
        self._size += len(chunk)
        if self._size > self.max_bytes:
            raise UploadTooLarge(
                f"{self.form.filename}: more than the upload limit of {self.max_bytes:,} bytes"
            )
        self._out.write(chunk)

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._name:
            self.form.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _safe_name(filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1].strip() or "upload"
    return re.sub(r"[^\w.\-]", "_", base)[:120]


async def receive_upload(request: Request, dest: Path, max_bytes: int) -> UploadForm:
    """Parse a ``multipart/form-data`` request into ``dest``; refuse it past ``max_bytes``."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidParameter(
            "send multipart/form-data with the file in the field 'file' "
            "(curl -F file=@boundary.zip ...)"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise UploadTooLarge(
            f"the request is {int(declared):,} bytes, more than the upload limit of "
            f"{max_bytes:,} bytes"
        )
    receiver = _Receiver(dest, max_bytes)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise InvalidParameter(f"the multipart body is malformed: {exc}") from None
    finally:
        receiver.close()
    if receiver.form.file is None:
        raise InvalidParameter("no file: send it in the multipart field 'file'")
    return receiver.form
