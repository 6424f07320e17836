"""What changes with every commit to a SQLite file in WAL mode, read without a syscall.

Every transaction bumps the change counter in the header of the write-ahead
log's shared index (``<file>-shm``, ``iChange``; see SQLite's WAL file format),
which every connection to the file, in any process, maps and shares. Mapping it
once and reading its first 48 bytes from memory costs no system call, so a busy
tile server can ask on every request: a syscall there releases the GIL, and a
thread that releases it under load waits a switch interval to get it back.

The sizes and times of the file, its log and the index (a checkpoint, a file
replaced on disk) are looked at no more often than every ``stat_every_s``.
"""

from __future__ import annotations

import mmap
import os
import threading
import time
from pathlib import Path

HEADER_BYTES = 48


class WalChangeToken:
    """A callable returning a value that differs after any commit to ``path``."""

    def __init__(self, path: Path, stat_every_s: float = 0.25) -> None:
        self.path = str(path)
        self.stat_every_s = stat_every_s
        self._lock = threading.Lock()
        self._files: tuple = ()
        self._checked = float("-inf")
        self._map: mmap.mmap | None = None
        self._mapped_inode: int | None = None

    def __call__(self) -> tuple:
        """Return the files' identities and the shared index's header."""
        if time.monotonic() - self._checked >= self.stat_every_s:
            self._refresh()
        shared = self._map
        header = shared[:HEADER_BYTES] if shared is not None else None
        return self._files, header

    def close(self) -> None:
        """Unmap the shared index."""
        with self._lock:
            if self._map is not None:
                self._map.close()
            self._map, self._mapped_inode = None, None

    def _refresh(self) -> None:
        with self._lock:
            files = tuple(_identity(self.path + suffix) for suffix in ("", "-wal", "-shm"))
            shm = files[2]
            if shm is None or shm[0] != self._mapped_inode or shm[1] < HEADER_BYTES:
                self._remap(shm)
            self._files, self._checked = files, time.monotonic()

    def _remap(self, shm: tuple | None) -> None:
        old, self._map, self._mapped_inode = self._map, None, None
        if shm is not None and shm[1] >= HEADER_BYTES:
            try:
                with open(self.path + "-shm", "rb") as handle:
                    self._map = mmap.mmap(handle.fileno(), HEADER_BYTES, access=mmap.ACCESS_READ)
                self._mapped_inode = shm[0]
            except (FileNotFoundError, ValueError, OSError):
                self._map = None  # the index went away meanwhile: stats alone until next time
        if old is not None:
            old.close()


def _identity(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
