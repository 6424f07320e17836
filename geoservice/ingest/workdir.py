"""Private work folders of uploads, the removal of those a killed process left, and
telling a full disk from a damaged file.

Every upload is received, unpacked and converted in its own folder under
``uploads.work_dir`` (the system temp folder if unset), removed when the upload
ends, however it ends. A process killed mid-upload (kill -9, the OOM killer, a
power cut) cannot remove its folder, and each such folder can hold as much as
the upload unpacked. So each folder holds an exclusive ``flock`` on a file
inside it while its upload runs; the kernel drops the lock when the process
dies, and :func:`remove_stale` (run when the app starts and by ``geoservice
ingest``) removes exactly the folders whose owner is gone, never one that
another worker or process is still using.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: folders are judged by age alone
    fcntl = None  # type: ignore[assignment]

PREFIXES = ("gs-upload-", "gs-ingest-")
LOCK_NAME = ".owner.lock"
UNLOCKED_GRACE_S = 3600.0  # a folder without a lock file: being created, or very old


@contextmanager
def work_folder(root: Path | None, prefix: str) -> Iterator[Path]:
    """Yield a fresh folder in ``root`` (the system temp folder if None), then remove it.

    ``root`` (``uploads.work_dir``) is created if missing; whatever the folder holds
    is removed with it, whether the block succeeds or raises. While the block
    runs, the folder is locked as in use (see :func:`remove_stale`).
    """
    folder = held_folder(root, prefix)
    try:
        yield folder.path
    finally:
        folder.release()


class HeldFolder:
    """A work folder locked as in use until :meth:`release` removes it.

    For work that outlives the block that started it (an upload run as a job):
    whoever ends the work releases the folder, and a process killed meanwhile
    leaves it to :func:`remove_stale`.
    """

    def __init__(self, path: Path, lock: IO[str] | None) -> None:
        self.path, self._lock = path, lock

    def release(self) -> None:
        """Remove the folder and whatever it holds, then drop the lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def held_folder(root: Path | None, prefix: str) -> HeldFolder:
    """Return a fresh folder in ``root`` (created if missing), locked as in use."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    return HeldFolder(path, _hold(path))


def _hold(folder: Path) -> IO[str] | None:
    if fcntl is None:
        return None
    handle = (folder / LOCK_NAME).open("w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def remove_stale(root: Path | None) -> int:
    """Remove the work folders in ``root`` whose process is gone; return how many.

    ``root`` is ``uploads.work_dir`` (the system temp folder if None). Only
    folders named like ours (``gs-upload-*``, ``gs-ingest-*``) are considered.
    """
    root = root if root is not None else Path(tempfile.gettempdir())
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if not folder.name.startswith(PREFIXES) or folder.is_symlink() or not folder.is_dir():
            continue
        if _in_use(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed


def _in_use(folder: Path) -> bool:
    """Tell whether a live process holds the folder's lock."""
    try:
        handle = (folder / LOCK_NAME).open("rb")  # never create it
    except FileNotFoundError:
        with suppress(FileNotFoundError):
            return time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_S
        return False
    with handle:
        if fcntl is None:  # pragma: no cover
            return time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_S
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def disk_full(exc: BaseException) -> bool:
    """Tell whether an error (or the error it wraps) says a disk or quota is full.

    Covers the file system (ENOSPC, EDQUOT), SQLite ("database or disk is full")
    and PostgreSQL (SQLSTATE 53100 disk_full), without importing their drivers.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(current, "sqlstate", None) == "53100":
            return True
        text = str(current).lower()
        if "database or disk is full" in text or "no space left on device" in text:
            return True
        current = current.__cause__ or current.__context__
    return False
