"""Work folders: removed after every upload, and those of killed uploads at the next start,
never one a live upload is still using."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geoservice.app import create_app
from geoservice.cli import app as cli
from geoservice.ingest.workdir import remove_stale, work_folder
from tests.conftest import ROOT
from tests.ingest.conftest import post_file
from tests.ingest.files import geojson_seq, shapefile_zip, towns_frame

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from geoservice.ingest.workdir import work_folder
    with work_folder(Path(sys.argv[1]), "gs-upload-") as folder:
        (folder / "part.bin").write_bytes(b"x" * 1000)
        print(folder, flush=True)
        time.sleep(120)
    """
)


def stale_folder(root, name: str, *, locked_file: bool = True, age_s: float = 0):
    """A folder as a killed upload leaves it: content, maybe its (released) lock file."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "upload.zip").write_bytes(b"\0" * 4096)
    if locked_file:
        (folder / ".owner.lock").touch()
    if age_s:
        past = time.time() - age_s
        os.utime(folder, (past, past))
    return folder


def test_folders_of_killed_uploads_are_removed_when_the_app_starts(ingest_settings):
    root = ingest_settings.uploads.work_dir
    killed = stale_folder(root, "gs-upload-killed")
    old = stale_folder(root, "gs-ingest-old", locked_file=False, age_s=7200)
    young = stale_folder(root, "gs-ingest-young", locked_file=False)  # being created now?
    other = stale_folder(root, "someone-elses")

    with TestClient(create_app(ingest_settings)):
        assert not killed.exists() and not old.exists()
        assert young.exists() and other.exists()


def test_the_folder_of_a_running_upload_is_kept(tmp_path):
    root = tmp_path / "work"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        folder = root / os.path.basename(child.stdout.readline().strip())
        assert folder.is_dir()
        assert remove_stale(root) == 0 and folder.exists()  # another process owns it
        with work_folder(root, "gs-ingest-") as mine:  # another thread of this process
            assert remove_stale(root) == 0 and mine.exists()
        child.kill()
        child.wait(timeout=30)
        assert remove_stale(root) == 1 and not folder.exists()
    finally:
        if child.poll() is None:
            child.kill()


def test_geoservice_ingest_removes_stale_folders(tmp_path, catalog_dirs, monkeypatch):
    layers, styles = catalog_dirs
    work = tmp_path / "work"
    stale = stale_folder(work, "gs-ingest-killed")
    monkeypatch.setenv("GEOSERVICE_LAYERS_DIR", str(layers))
    monkeypatch.setenv("GEOSERVICE_STYLES_DIR", str(styles))
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEOSERVICE_UPLOADS__WORK_DIR", str(work))
    path = shapefile_zip(tmp_path, towns_frame())
    result = CliRunner().invoke(cli, ["ingest", str(path), "--layer", "towns_cli", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert list(work.iterdir()) == []


def test_uploads_leave_no_work_folder_behind(client, keys, tmp_path, ingest_settings):
    ok = post_file(client, "/collections/towns/uploads", geojson_seq(tmp_path), keys["editor"])
    assert ok.status_code == 201, ok.text
    broken = tmp_path / "broken.geojsonl"
    broken.write_text('{"type": "Feature", "geom')
    refused = post_file(client, "/collections/towns/uploads", broken, keys["editor"])
    assert refused.status_code == 422
    assert list(ingest_settings.uploads.work_dir.iterdir()) == []
