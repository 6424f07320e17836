"""A disk that fills up during an upload: a 507 a person understands, the previous
version intact, the work folder cleaned.

Two ways to fill a disk:

* for real, when the tests run as root: a size-limited tmpfs is mounted
  (``mount -t tmpfs -o size=...``) as the upload work folder, or under the
  GeoPackage store, and the kernel answers ENOSPC;
* by injection, always: the store's per-batch write raises the error the
  database driver raises on a full disk (PostgreSQL's ``disk_full``, SQLSTATE
  53100, or SQLite's "database or disk is full"), inside the real transaction,
  and the multipart writer raises ENOSPC. The shared PostgreSQL server's disk
  is never filled.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.sampledata.boundaries import build_district_layer
from geoservice.settings import UploadSettings
from tests.conftest import fill_store
from tests.ingest.conftest import post_file, snapshot
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection, towns_frame

UPLOAD = "/collections/towns/uploads"


def mount_tmpfs(folder: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` on ``folder``; False when this process may not mount."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """Return a function mounting a size-limited tmpfs; every mount is undone afterwards."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        folder = tmp_path / name
        if not mount_tmpfs(folder, size):
            pytest.skip("mounting a size-limited tmpfs needs root; the injected tests cover it")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def upload_limits(tmp_path) -> UploadSettings:
    """Small batches, so a write fails after part of the new version was written."""
    return UploadSettings(max_bytes=8 * 1024 * 1024, batch_features=100, work_dir=tmp_path / "work")


def big_towns(tmp_path: Path, n: int = 800, name_chars: int = 1200) -> Path:
    """Towns with long random names: a few MB that barely compress."""
    rng = random.Random(7)
    alphabet = "东胜区交通街道林荫罕台镇铜川"
    features = [
        town_feature(i, name_zh="".join(rng.choice(alphabet) for _ in range(name_chars)))
        for i in range(n)
    ]
    return feature_collection(tmp_path, "big.geojson", features)


def assert_full_disk_refusal(response, client, before) -> None:
    assert response.status_code == 507, response.text
    body = response.json()
    assert body["code"] == "InsufficientStorage"
    assert "ran out of disk space" in body["description"]
    assert "nothing was stored" in body["description"]
    assert "/tmp" not in body["description"]
    assert snapshot(client, "towns") == before


def test_work_folder_full_while_receiving(client, keys, tmp_path, small_disk, ingest_settings):
    work = small_disk("work_small", "1m")
    settings = ingest_settings.model_copy(
        update={"uploads": ingest_settings.uploads.model_copy(update={"work_dir": work})}
    )
    with TestClient(create_app(settings)) as small:
        before = snapshot(small, "towns")
        r = post_file(small, UPLOAD, big_towns(tmp_path), keys["editor"])
        assert_full_disk_refusal(r, small, before)
        assert list(work.iterdir()) == []


def test_work_folder_full_while_unzipping(client, keys, tmp_path, small_disk, ingest_settings):
    work = small_disk("work_unzip", "3m")
    source = big_towns(tmp_path, n=1000, name_chars=1500)
    zipped = tmp_path / "big.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(source, source.name)
    assert zipped.stat().st_size < 3 * 1024 * 1024 < source.stat().st_size
    settings = ingest_settings.model_copy(
        update={
            "uploads": ingest_settings.uploads.model_copy(
                update={"work_dir": work, "max_features": 2000}
            )
        }
    )
    with TestClient(create_app(settings)) as small:
        before = snapshot(small, "towns")
        r = post_file(small, UPLOAD, zipped, keys["editor"])
        assert_full_disk_refusal(r, small, before)
        assert "unpack" not in r.json()["description"]  # not mistaken for a damaged archive
        assert list(work.iterdir()) == []


def test_geopackage_store_disk_full_keeps_the_previous_version(
    keys, tmp_path, small_disk, ingest_settings, store_kind
):
    if store_kind != "geopackage":
        pytest.skip("the PostgreSQL server's disk is shared: see the injected test")
    disk = small_disk("store_disk", "4m")
    settings = ingest_settings.model_copy(update={"gpkg_path": disk / "store.gpkg"})
    fill_store(settings, {"district": build_district_layer(), "towns": towns_frame()})
    with TestClient(create_app(settings)) as client:
        before = snapshot(client, "towns")
        r = post_file(client, UPLOAD, big_towns(tmp_path), keys["editor"])
        assert_full_disk_refusal(r, client, before)
        assert client.get("/collections/towns/items").status_code == 200
    assert list(settings.uploads.work_dir.iterdir()) == []


def _failing_second_batch(real, error: Exception):
    calls = []

    def write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first batch is in the open transaction already
            raise error
        return real(*args, **kwargs)

    return write


def test_store_disk_full_injected_at_the_write_keeps_the_previous_version(
    client, keys, tmp_path, monkeypatch, store_kind, ingest_settings
):
    if store_kind == "postgis":
        target = "geoservice.storage.postgis.copy_rows"
        error = psycopg.errors.DiskFull(
            'could not extend file "base/16384/24591": No space left on device'
        )
    else:
        target = "geoservice.storage.geopackage.insert_rows"
        error = sqlite3.OperationalError("database or disk is full")
    module, name = target.rsplit(".", 1)
    real = getattr(__import__(module, fromlist=[name]), name)
    monkeypatch.setattr(target, _failing_second_batch(real, error))
    before = snapshot(client, "towns")
    path = feature_collection(tmp_path, "towns.geojson", [town_feature(i) for i in range(300)])

    r = post_file(client, UPLOAD, path, keys["editor"])

    assert_full_disk_refusal(r, client, before)
    assert list(ingest_settings.uploads.work_dir.iterdir()) == []
    monkeypatch.undo()
    r = post_file(client, UPLOAD, path, keys["editor"])  # space freed: it goes through
    assert r.status_code == 201, r.text


def test_full_disk_injected_while_receiving(client, keys, tmp_path, monkeypatch, ingest_settings):
    from geoservice.api import multipart

    real = multipart._Receiver._data

    def full(self, data, start, end):
        if self._out is not None:  # the file part: its first write fails
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data, start, end)

    monkeypatch.setattr(multipart._Receiver, "_data", full)
    before = snapshot(client, "towns")
    path = tmp_path / "towns.geojson"
    features = [town_feature(i) for i in range(50)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    r = post_file(client, UPLOAD, path, keys["editor"])
    assert_full_disk_refusal(r, client, before)
    assert list(ingest_settings.uploads.work_dir.iterdir()) == []
