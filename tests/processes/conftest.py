"""An app over the Dongsheng sample layers (2 km farmland cells), with an editor key."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.settings import ProcessSettings
from tests.conftest import create_key, fill_store

SAMPLE_CELL_M = 2000.0


@pytest.fixture(scope="session")
def sample_layers():
    from geoservice.sampledata import build_sample_layers

    return build_sample_layers(farmland_cell_m=SAMPLE_CELL_M)


@pytest.fixture
def sample_settings(store_kind, settings_for, catalog_dirs, sample_layers):
    """Settings whose store holds every sample layer (version 1)."""
    layers_dir, styles_dir = catalog_dirs
    settings = settings_for(
        store_kind,
        layers_dir=layers_dir,
        styles_dir=styles_dir,
        processes=ProcessSettings(sync_wait_s=120),
    )
    fill_store(settings, sample_layers)
    return settings


@pytest.fixture
def editor(sample_settings) -> dict[str, str]:
    """Headers carrying an editor key."""
    return {"Authorization": f"Bearer {create_key(sample_settings, 'editor', 'analyst')}"}


@pytest.fixture
def client(sample_settings):
    """A TestClient with the lifespan (and its job workers) running."""
    with TestClient(create_app(sample_settings)) as c:
        yield c


def wait_for(client, job_id: str, *, polls: int = 600) -> tuple[dict, list[str]]:
    """Poll a job until it ends; return its last status and every status seen."""
    seen = []
    for _ in range(polls):
        status = client.get(f"/jobs/{job_id}").json()
        seen.append(status["status"])
        if status["status"] in ("successful", "failed"):
            return status, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]} after {polls} polls")
