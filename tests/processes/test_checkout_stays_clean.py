"""Uploads and every process leave the git checkout as they found it.

The service runs over the repository's own layers/ and styles/ (as `make serve`
does); what it creates at run time is declared under the data directory.
"""

from __future__ import annotations

import subprocess

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.settings import ProcessSettings
from tests.conftest import ROOT, create_key, fill_store
from tests.ingest.conftest import post_file
from tests.ingest.files import shapefile_zip, towns_frame
from tests.processes.test_each_process import CASES


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("store_kind", ["geopackage"], indirect=True)
def test_uploads_and_every_process_leave_git_status_unchanged(
    store_kind, settings_for, sample_layers, tmp_path
):
    before = git_status()
    settings = settings_for(
        store_kind,
        layers_dir=ROOT / "layers",
        styles_dir=ROOT / "styles",
        processes=ProcessSettings(sync_wait_s=120),
    )
    fill_store(settings, sample_layers)
    admin = {"Authorization": f"Bearer {create_key(settings, 'admin', 'gis')}"}
    with TestClient(create_app(settings)) as client:
        upload = shapefile_zip(tmp_path, towns_frame())
        r = post_file(client, "/collections", upload, admin["Authorization"][7:], id="towns_up")
        assert r.status_code == 201, r.text
        for process_id, inputs in CASES.items():
            r = client.post(
                f"/processes/{process_id}/execution", json={"inputs": inputs}, headers=admin
            )
            assert r.status_code == 200, (process_id, r.text)
        assert client.delete("/collections/towns_up", headers=admin).status_code == 204
    assert git_status() == before
    assert (settings.runtime_layers_dir / "dongsheng").is_dir()
