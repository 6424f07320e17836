"""Lock the Python dependencies: requirements/<name>.txt, exact versions with hashes.

``pyproject.toml`` keeps the ranges the code works with; the locks say which versions
``make serve``, ``make test``, CI and the Docker image install, so a fresh machine
installs today what it installed last month. Run through the Makefile:

    make lock           # re-lock after pyproject.toml changed, keeping current pins
    make lock-upgrade   # move every pin to the newest version the ranges allow

Each lock is ``uv pip compile`` of the extras it names, universal (any OS, Python
3.11+, the Python of the tests and the image; an upgrade may pin newer versions for
newer Pythons where a package dropped 3.11), with the hashes of every file of every
pinned version, so ``pip install --require-hashes`` refuses anything else. ``serve``
is resolved under the pins of ``test``, so the image serves the versions the tests
ran. The first lines of a lock record which extras it holds and a digest of their
requirements in pyproject.toml: tests/test_dependency_lock.py fails when the two
part.

The lock names no index: uv asks PyPI, or ``UV_DEFAULT_INDEX`` / pip's
``global.index-url`` when set (a full mirror). Partial local wheel folders that pip
may also be configured with serve the same files, so their hashes match.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYPROJECT = ROOT / "pyproject.toml"
PYTHON_VERSION = "3.11"
LOCKS: dict[str, tuple[str, ...]] = {
    # Locked first: serve is resolved under its pins.
    "test": ("serve", "test"),
    "serve": ("serve",),
}
DIGEST_LINE = "# pyproject-digest: "
EXTRAS_LINE = "# extras: "
SELF_EXTRA = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*\[([^\]]*)\]\s*$")


def lock_path(name: str) -> Path:
    """Return the lock file of ``name`` (``serve`` or ``test``)."""
    return HERE / f"{name}.txt"


def requirements(pyproject: dict, extras: tuple[str, ...]) -> list[str]:
    """Return the requirements of the project plus ``extras``, self-references expanded.

    ``serve = ["geoservice[analysis,maps]"]`` contributes the requirements of
    ``analysis`` and ``maps``, not the project itself.
    """
    project = pyproject["project"]
    own_name = project["name"].lower()
    optional = project.get("optional-dependencies", {})
    found: list[str] = list(project.get("dependencies", []))
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r}")
        for requirement in optional[extra]:
            match = SELF_EXTRA.match(requirement)
            if match and match.group(1).lower() == own_name:
                pending.extend(e.strip() for e in match.group(2).split(",") if e.strip())
            else:
                found.append(requirement)
    return sorted(set(found))


def digest(pyproject: dict, extras: tuple[str, ...]) -> str:
    """Return a digest of what pyproject.toml asks for with ``extras``."""
    text = json.dumps(
        {
            "requires-python": pyproject["project"].get("requires-python"),
            "requirements": requirements(pyproject, extras),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def read_header(path: Path) -> dict[str, str]:
    """Return the extras and digest a lock file records (empty if it records none)."""
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_LINE):
            header["digest"] = line.removeprefix(DIGEST_LINE).strip()
        elif line.startswith(EXTRAS_LINE):
            header["extras"] = line.removeprefix(EXTRAS_LINE).strip()
    return header


def pins(path: Path) -> list[str]:
    """Return the ``name==version ; marker`` lines of a lock, without hashes."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            found.append(line.rstrip(" \\"))
    return found


def pip_index_url() -> str | None:
    """Return pip's ``global.index-url`` when one is configured (a full mirror)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def compile_lock(
    uv: str,
    name: str,
    *,
    upgrade: bool,
    upgrade_packages: list[str],
    constraints: Path | None,
) -> None:
    """Write requirements/<name>.txt with uv, then put the digest header on top."""
    pyproject = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    extras = LOCKS[name]
    out = lock_path(name)
    command = [
        uv, "pip", "compile", str(PYPROJECT.relative_to(ROOT)),
        *(arg for extra in extras for arg in ("--extra", extra)),
        "--universal", "--python-version", PYTHON_VERSION,
        "--generate-hashes", "--no-emit-index-url", "--no-emit-find-links",
        "--custom-compile-command", "make lock",
        "--quiet", "-o", str(out.relative_to(ROOT)),
    ]  # fmt: skip
    if upgrade:
        command.append("--upgrade")
    for package in upgrade_packages:
        command += ["--upgrade-package", package]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if index := pip_index_url():
        command += ["--default-index", index]
    subprocess.run(command, cwd=ROOT, check=True)
    body = out.read_text(encoding="utf-8")
    header = (
        f"{EXTRAS_LINE}{','.join(extras)}\n"
        f"{DIGEST_LINE}{digest(pyproject, extras)}\n"
        "# Exact versions and hashes for `pip install --require-hashes`; pyproject.toml\n"
        "# keeps the ranges. Regenerate with `make lock` (or `make lock-upgrade`).\n"
    )
    out.write_text(header + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Lock every extra set in :data:`LOCKS`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uv", default="uv", help="uv executable")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="newest allowed version of this package only (repeatable)",
    )
    args = parser.parse_args(argv)
    # Pins of the first lock constrain the next ones; a fixed path keeps the locks'
    # "# via -c ..." notes the same from one run to the next.
    pins_file = HERE / f".{next(iter(LOCKS))}-pins.txt"
    constraints = None
    try:
        for name in LOCKS:
            compile_lock(
                args.uv,
                name,
                upgrade=args.upgrade,
                upgrade_packages=args.upgrade_package,
                constraints=constraints,
            )
            if constraints is None:
                pins_file.write_text("\n".join(pins(lock_path(name))) + "\n", encoding="utf-8")
                constraints = pins_file.relative_to(ROOT)
    finally:
        pins_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
