"""The audit log: one JSON line per write request, refused ones included.

Each record says who (the key's id, name and role, never the key itself), what
(method, route, layer or job, status), when (UTC), from where (client address)
and which request (its id, also sent back as ``X-Request-Id``). Records are
appended to ``<data_dir>/audit/writes.jsonl``; past ``max_bytes`` the file is
rotated to ``writes.jsonl.1`` .. ``.<keep>`` and the oldest dropped, so the log
stays bounded. Nothing here knows HTTP: the API edge builds the records.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
KEEP = 5


@dataclass(frozen=True)
class AuditRecord:
    """One write request and its outcome."""

    time: str
    request_id: str
    client: str | None
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    route: str
    path: str
    layer: str | None
    job: str | None
    status: int

    @staticmethod
    def now() -> str:
        """Return the current UTC time as the records write it."""
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """Append-only JSON lines, rotated by size; safe across threads of one process."""

    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self._lock = threading.Lock()

    def append(self, record: AuditRecord) -> None:
        """Write one record (a line of JSON), rotating first if the file is full."""
        line = json.dumps(asdict(record), ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._size() + len(data) > self.max_bytes:
                self._rotate()
            # O_APPEND: whole lines from several worker processes do not interleave
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    def tail(self, n: int = 100) -> list[dict]:
        """Return the last ``n`` records, oldest first (across the rotated files)."""
        lines: deque[str] = deque(maxlen=n)
        for path in [*reversed(self._rotated()), self.path]:
            if path.exists():
                with path.open(encoding="utf-8") as f:
                    lines.extend(line for line in f if line.strip())
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write
        return out

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotated(self) -> list[Path]:
        return [self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.keep + 1)]

    def _rotate(self) -> None:
        rotated = self._rotated()
        rotated[-1].unlink(missing_ok=True)
        for older, newer in zip(reversed(rotated), reversed(rotated[:-1]), strict=False):
            if newer.exists():
                newer.replace(older)
        if self.path.exists():
            self.path.replace(rotated[0])
