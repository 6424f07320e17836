"""The study areas declared after Dongsheng (Wuhai, Chongqing, Inner Mongolia), built once.

Building the three areas takes a few seconds and filling a store with them a few
more, so both happen once per session: ``area_frames`` holds every layer by id and
``areas_settings`` a GeoPackage store (in a temporary folder, over copies of the
project's layers and styles) holding them all. Tests read from them; a test that
writes (a process result) writes only under the temporary data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest

from tests.conftest import ROOT, fill_store

NEW_AREAS = ("wuhai", "chongqing", "inner_mongolia")
SEEDS = ROOT / "docs" / "seeds"


@pytest.fixture(scope="session")
def area_layers() -> dict[str, tuple[str, ...]]:
    """The layer ids each new area's sample builder makes, by area."""
    from geoservice.sampledata.declared import declared_layer_ids

    return {area: declared_layer_ids(area) for area in NEW_AREAS}


@pytest.fixture(scope="session")
def area_frames() -> dict[str, gpd.GeoDataFrame]:
    """Every sample layer of the three areas, by layer id (built once)."""
    from geoservice.sampledata import BUILDERS

    frames: dict[str, gpd.GeoDataFrame] = {}
    for area in NEW_AREAS:
        frames.update(BUILDERS[area]())
    return frames


@pytest.fixture(scope="session")
def project_catalog():
    from geoservice.catalog import load_catalog

    return load_catalog(ROOT / "layers", ROOT / "styles")


def make_settings(folder: Path, store_kind: str = "geopackage", database_url: str | None = None):
    """Settings over copies of the project's layers and styles, data under ``folder``."""
    from geoservice.settings import Settings

    layers, styles = folder / "layers", folder / "styles"
    if not layers.exists():
        shutil.copytree(ROOT / "layers", layers)
        shutil.copytree(ROOT / "styles", styles)
    extra = {"database_url": database_url} if database_url else {}
    return Settings(
        layers_dir=layers,
        styles_dir=styles,
        data_dir=folder / "data",
        gpkg_path=folder / "data" / "store.gpkg",
        **extra,
    )


@pytest.fixture(scope="session")
def areas_settings(tmp_path_factory, area_frames):
    """Settings whose GeoPackage store holds every layer of the three areas (filled once)."""
    settings = make_settings(tmp_path_factory.mktemp("areas"))
    fill_store(settings, area_frames)
    return settings


@pytest.fixture(scope="module")
def areas_client(areas_settings):
    """A client of the app over ``areas_settings`` (one app per module, so no app of
    these tests is left running while other modules count threads or open files)."""
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(areas_settings)) as client:
        yield client


def seed_line(doc: str, line: int) -> str:
    """Return line ``line`` (1-based) of seed ``doc`` as copied in docs/seeds/."""
    (path,) = SEEDS.glob(f"{doc}_*.txt")
    return path.read_text(encoding="utf-8").splitlines()[line - 1]
