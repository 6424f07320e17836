"""Which geoservice this is: its version and the git commit it was built from.

The version is the installed package's (``pyproject.toml``). The commit comes from
``GEOSERVICE_GIT_COMMIT`` when the build set it (the Docker image's ``GIT_COMMIT``
build argument), else from ``git rev-parse HEAD`` when the code runs from a checkout,
else it is ``"unknown"``: never guessed. It is a fact of the build, not a deployment
setting, so it is read here rather than through :class:`~geoservice.settings.Settings`.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from geoservice import __version__

COMMIT_ENV = "GEOSERVICE_GIT_COMMIT"
UNKNOWN = "unknown"
SOURCE_ROOT = Path(__file__).resolve().parent.parent
COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class BuildInfo:
    """The version of the package and the commit of its code."""

    version: str
    commit: str

    @property
    def short_commit(self) -> str:
        """Return the commit's first 12 characters (``unknown`` as it is)."""
        return self.commit[:12] if COMMIT.match(self.commit) else self.commit

    def describe(self) -> str:
        """Return ``geoservice <version> (commit <commit>)``."""
        return f"geoservice {self.version} (commit {self.commit})"


def package_version() -> str:
    """Return the installed distribution's version, or the source's when not installed."""
    try:
        return version("geoservice")
    except PackageNotFoundError:
        return __version__


def git_commit(environ: Mapping[str, str] | None = None, source_root: Path = SOURCE_ROOT) -> str:
    """Return the commit the code was built from, or ``"unknown"``.

    Parameters
    ----------
    environ
        Where ``GEOSERVICE_GIT_COMMIT`` is looked up (default: the process environment).
    source_root
        The folder holding the ``geoservice`` package; asked with git when it is a
        checkout and the environment names no commit.
    """
    environ = os.environ if environ is None else environ
    declared = environ.get(COMMIT_ENV, "").strip()
    if declared and declared != UNKNOWN:
        return declared
    if not (source_root / ".git").exists():
        return UNKNOWN
    try:
        result = subprocess.run(
            ["git", "-C", str(source_root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and COMMIT.match(commit) else UNKNOWN


@cache
def build_info() -> BuildInfo:
    """Return this process's version and commit (asked once: the code does not change)."""
    return BuildInfo(version=package_version(), commit=git_commit())
