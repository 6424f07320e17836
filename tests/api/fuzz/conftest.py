"""Fixtures of the schemathesis run: a fresh app per store and identity, and counts.

Each (store, identity) pair gets its own temporary data folder, catalogue copy and
store filled with the Dongsheng sample layers, so the writes the fuzzer sends (with
an editor or admin key) never touch data another test reads. The cases each pair
sent are counted on the pytest config and printed at the end of the session.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter

import pytest

from tests.conftest import ROOT, create_key, fill_store

FARMLAND_CELL_M = 5000.0  # a few hundred cells: the layer is there, the store fills fast
ALL_IDENTITIES = ("anonymous", "reader", "editor", "admin")
BOUNDED_EXAMPLES = 3
BOUNDED_IDENTITIES = "anonymous,admin"
COUNTS = pytest.StashKey[Counter]()


def fuzz_examples() -> int:
    """Generated cases per operation: GEOSERVICE_FUZZ_EXAMPLES, else the bounded run's."""
    return int(os.environ.get("GEOSERVICE_FUZZ_EXAMPLES", BOUNDED_EXAMPLES))


def fuzz_identities() -> list[str]:
    """Who sends cases: GEOSERVICE_FUZZ_IDENTITIES (comma-separated, ``all``), else the
    bounded run's two extremes, no key and an admin key."""
    names = os.environ.get("GEOSERVICE_FUZZ_IDENTITIES", BOUNDED_IDENTITIES)
    chosen = ALL_IDENTITIES if names == "all" else tuple(n.strip() for n in names.split(","))
    unknown = set(chosen) - set(ALL_IDENTITIES)
    if unknown:
        raise ValueError(f"GEOSERVICE_FUZZ_IDENTITIES: unknown {sorted(unknown)}")
    return list(chosen)


@pytest.fixture(
    scope="module", params=["geopackage", pytest.param("postgis", marks=pytest.mark.postgis)]
)
def fuzz_store_kind(request) -> str:
    """Each backend in turn (module-scoped: one store serves every operation's cases)."""
    return request.param


@pytest.fixture(scope="module", params=fuzz_identities())
def identity(request) -> str:
    """Who sends the cases: nobody, or a key of each role."""
    return request.param


@pytest.fixture(scope="session")
def fuzz_frames():
    """The Dongsheng sample layers (coarse farmland grid), built once."""
    from geoservice.sampledata import build_sample_layers

    return build_sample_layers(farmland_cell_m=FARMLAND_CELL_M)


@pytest.fixture(scope="module")
def fuzz_settings(request, fuzz_store_kind, identity, tmp_path_factory, fuzz_frames):
    """Settings over a fresh folder (and store) holding the sample layers."""
    from geoservice.settings import ProcessSettings, Settings

    folder = tmp_path_factory.mktemp(f"fuzz-{fuzz_store_kind}-{identity}")
    layers, styles = folder / "layers", folder / "styles"
    shutil.copytree(ROOT / "layers", layers)
    shutil.copytree(ROOT / "styles", styles)
    extra = {}
    if fuzz_store_kind == "postgis":
        extra["database_url"] = request.getfixturevalue("postgis_url")
    settings = Settings(
        layers_dir=layers,
        styles_dir=styles,
        data_dir=folder / "data",
        gpkg_path=folder / "data" / "store.gpkg",
        processes=ProcessSettings(sync_wait_s=5),
        **extra,
    )
    fill_store(settings, fuzz_frames)
    return settings


@pytest.fixture(scope="module")
def fuzz_headers(fuzz_settings, identity) -> dict[str, str]:
    """The headers every case carries: none, or a fresh key of ``identity``'s role."""
    if identity == "anonymous":
        return {}
    return {"Authorization": f"Bearer {create_key(fuzz_settings, identity, f'fuzz-{identity}')}"}


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings):
    """The app the cases go to. Schemathesis starts its lifespan on the first case;
    it is shut down afterwards, so the store is closed before the next one opens."""
    from schemathesis.python.asgi import shutdown_lifespans

    from geoservice.app import create_app

    try:
        yield create_app(fuzz_settings)
    finally:
        shutdown_lifespans()


@pytest.fixture
def count_case(request, fuzz_store_kind, identity):
    """Return a function counting one case of this store and identity."""
    counts = request.config.stash.setdefault(COUNTS, Counter())

    def count() -> None:
        counts[fuzz_store_kind, identity] += 1

    return count


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print how many cases each store and identity sent."""
    counts = config.stash.get(COUNTS, None)
    if not counts:
        return
    terminalreporter.section("schemathesis cases sent")
    for (store_kind, identity), n in sorted(counts.items()):
        terminalreporter.write_line(f"{store_kind:10} {identity:9} {n:8d}")
    terminalreporter.write_line(f"{'total':20} {sum(counts.values()):8d}")
