"""Files an upload leaves for later (rejected features, preview maps): named by an
unguessable token under the data directory, removed once old enough."""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

TOKEN_CHARS = 22  # secrets.token_urlsafe(16)


def new_token() -> str:
    """Return a fresh token, the only name a kept file can be fetched by."""
    return secrets.token_urlsafe(16)


def is_token(text: str) -> bool:
    """Tell whether ``text`` could be a token (so it is safe as a folder name)."""
    return len(text) == TOKEN_CHARS and text.replace("-", "").replace("_", "").isalnum()


def forget_older(folder: Path, seconds: float) -> None:
    """Delete the token folders in ``folder`` older than ``seconds`` (state stays bounded)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - seconds
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue
