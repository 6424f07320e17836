from __future__ import annotations

from pathlib import Path

import pytest

from geoservice.catalog import load_catalog
from geoservice.sampledata import build_sample_layers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def layers():
    return build_sample_layers()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(ROOT / "layers", ROOT / "styles")
