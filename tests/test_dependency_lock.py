"""The dependency locks match pyproject.toml, and this venv runs what they lock."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires, version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("lock", ROOT / "requirements" / "lock.py")
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def locked(name: str) -> dict[str, list[Requirement]]:
    """Return a lock's pins by canonical name (a name may be pinned per marker)."""
    found: dict[str, list[Requirement]] = {}
    for line in lock.pins(lock.lock_path(name)):
        requirement = Requirement(line)
        found.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return found


def pinned_version(requirement: Requirement) -> str:
    (specifier,) = requirement.specifier
    assert specifier.operator == "==", f"{requirement} is not pinned with =="
    return specifier.version


def applies(requirement: Requirement) -> bool:
    """Return whether a pin's marker holds on this machine."""
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


@pytest.mark.parametrize("name", list(lock.LOCKS))
def test_lock_records_the_pyproject_requirements_it_was_made_from(name):
    header = lock.read_header(lock.lock_path(name))
    extras = lock.LOCKS[name]
    assert header.get("extras") == ",".join(extras), f"requirements/{name}.txt: run make lock"
    assert header.get("digest") == lock.digest(PYPROJECT, extras), (
        f"pyproject.toml's dependencies for {'+'.join(extras)} changed since "
        f"requirements/{name}.txt was made: run `make lock` and commit it"
    )


@pytest.mark.parametrize("name", list(lock.LOCKS))
def test_every_pyproject_requirement_is_locked_within_its_range(name):
    pins = locked(name)
    missing, outside = [], []
    for text in lock.requirements(PYPROJECT, lock.LOCKS[name]):
        wanted = Requirement(text)
        candidates = pins.get(canonicalize_name(wanted.name), [])
        if not candidates:
            missing.append(text)
        for pin in candidates:
            if not wanted.specifier.contains(pinned_version(pin), prereleases=True):
                outside.append(f"{pin} does not satisfy {text}")
        missing += [
            f"{needed} (for {text})"
            for needed in extra_requirements(wanted)
            if canonicalize_name(needed) not in pins
        ]
    assert not missing, f"not in requirements/{name}.txt (run make lock): {missing}"
    assert not outside, outside


def extra_requirements(wanted: Requirement) -> list[str]:
    """Return what the extras of ``wanted`` (uvicorn[standard]) add here, by name."""
    if not wanted.extras:
        return []
    try:
        declared = requires(wanted.name) or []
    except PackageNotFoundError:  # test_installed_versions_equal_the_test_lock says so
        return []
    added = []
    for text in declared:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or marker.evaluate({"extra": ""}):
            continue  # not an extra's
        if any(marker.evaluate({"extra": extra}) for extra in wanted.extras):
            added.append(requirement.name)
    return added


@pytest.mark.parametrize("name", list(lock.LOCKS))
def test_every_locked_package_has_hashes(name):
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.lock_path(name).read_text(encoding="utf-8"))
    unhashed = [
        block.split()[0]
        for block in blocks
        if not block.startswith("#") and "==" in block and not HASH.search(block)
    ]
    assert not unhashed


def test_serve_lock_is_the_test_lock_without_the_test_tools():
    serve, test = locked("serve"), locked("test")
    assert set(serve) < set(test)
    for package, pins in serve.items():
        versions = {pinned_version(p) for p in pins}
        assert versions <= {pinned_version(p) for p in test[package]}, package


def test_installed_versions_equal_the_test_lock():
    """`make test` installs requirements/test.txt; the tests then run those versions."""
    wrong = []
    for package, pins in locked("test").items():
        for pin in pins:
            if not applies(pin):
                continue
            try:
                installed = version(package)
            except PackageNotFoundError:
                installed = "not installed"
            if installed != pinned_version(pin):
                wrong.append(f"{package}: locked {pinned_version(pin)}, installed {installed}")
    assert not wrong, "this venv is not the lock's (run make test, which installs it): " + (
        "; ".join(wrong)
    )


def test_requirements_follow_self_referencing_extras():
    pyproject = {
        "project": {
            "name": "demo",
            "dependencies": ["a>=1"],
            "optional-dependencies": {
                "x": ["b"],
                "y": ["c<2", "Demo[x]"],
                "all": ["demo[y]"],
            },
        }
    }
    assert lock.requirements(pyproject, ("all",)) == ["a>=1", "b", "c<2"]
    assert lock.digest(pyproject, ("all",)) != lock.digest(pyproject, ("x",))


def test_a_dependency_added_without_locking_is_caught():
    changed = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    changed["project"]["optional-dependencies"]["analysis"].append("somethingnew>=1")
    header = lock.read_header(lock.lock_path("serve"))
    assert header["digest"] != lock.digest(changed, lock.LOCKS["serve"])
    assert "somethingnew>=1" in lock.requirements(changed, lock.LOCKS["serve"])
