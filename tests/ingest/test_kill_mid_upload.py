"""A process killed (SIGKILL) in the middle of writing an upload loses nothing.

The child process ingests a large file into the 'towns' layer; its progress
callback stops it after the first batch was written into the new version's
table, inside the still-open transaction, and the test kills it there. The
previous version must be exactly as it was, the work folder the child could
not remove must be gone once the service starts again, and the next upload
must work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import geopandas as gpd
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import box

from geoservice.app import create_app
from geoservice.catalog.loader import load_catalog
from geoservice.ingest import IngestOptions, Upload, ingest
from geoservice.storage import open_store
from tests.conftest import ROOT

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from geoservice.catalog.loader import load_catalog
    from geoservice.ingest import IngestOptions, Upload, ingest
    from geoservice.settings import Settings
    from geoservice.storage import open_store

    settings = Settings()
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)

    def progress(done, total):
        if done > settings.uploads.batch_features:  # batch 1 is in the open transaction
            print("MIDWRITE", done, flush=True)
            time.sleep(120)

    ingest(Upload(Path(sys.argv[1]), "big.zip"), store=store, catalog=catalog,
           limits=settings.uploads, options=IngestOptions(author="doomed"),
           layer=catalog.get("towns"), progress=progress)
    print("FINISHED", flush=True)
    """
)


def big_file(tmp_path, n: int = 1200):
    cells = [
        box(
            109.5 + (i % 60) * 0.01,
            39.5 + (i // 60) * 0.01,
            109.505 + (i % 60) * 0.01,
            39.505 + (i // 60) * 0.01,
        )
        for i in range(n)
    ]
    frame = gpd.GeoDataFrame(
        {"code": [f"k{i}" for i in range(n)], "name_zh": ["格"] * n, "pop": list(range(n))},
        geometry=cells,
        crs=4326,
    )
    path = tmp_path / "big.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def child_env(settings) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GEOSERVICE_LAYERS_DIR": str(settings.layers_dir),
        "GEOSERVICE_STYLES_DIR": str(settings.styles_dir),
        "GEOSERVICE_DATA_DIR": str(settings.data_dir),
        "GEOSERVICE_GPKG_PATH": str(settings.store_path),
        "GEOSERVICE_UPLOADS__BATCH_FEATURES": "400",
        "GEOSERVICE_UPLOADS__WORK_DIR": str(settings.uploads.work_dir),
    }
    if settings.database_url is not None:
        env["GEOSERVICE_DATABASE_URL"] = settings.database_url.get_secret_value()
    return env


def state(settings):
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)
    try:
        layer = catalog.get("towns")
        versions = [(v.version, v.author, v.feature_count) for v in store.versions("towns")]
        frame = store.read_frame(layer)
        rows = sorted(
            zip(
                frame.index,
                frame["code"],
                frame["name_zh"],
                shapely.to_wkb(frame.geometry.values),
                strict=True,
            )
        )
        return versions, rows
    finally:
        store.close()


def test_killed_upload_leaves_the_previous_version_intact(ingest_settings, tmp_path):
    before = state(ingest_settings)
    path = big_file(tmp_path)
    zipped = tmp_path / "big.zip"  # unpacked into the child's work folder
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, path.name)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(zipped)],
        env=child_env(ingest_settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("MIDWRITE"), line + child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert state(ingest_settings) == before
    (left,) = ingest_settings.uploads.work_dir.iterdir()  # the child's, unremovable by it
    assert left.name.startswith("gs-ingest-")
    assert (left / "unzipped" / "big.geojson").stat().st_size == path.stat().st_size

    with TestClient(create_app(ingest_settings)) as client:  # the service starts again
        assert list(ingest_settings.uploads.work_dir.iterdir()) == []
        assert client.get("/collections/towns/versions").json()["versions"][0]["version"] == 1
    assert state(ingest_settings) == before

    catalog = load_catalog(ingest_settings.layers_dir, ingest_settings.styles_dir)
    store = open_store(ingest_settings)
    try:
        outcome = ingest(
            Upload(path, "big.geojson"),
            store=store,
            catalog=catalog,
            limits=ingest_settings.uploads.model_copy(update={"max_features": 10_000}),
            options=IngestOptions(author="survivor"),
            layer=catalog.get("towns"),
        )
        assert outcome.version.version == 2
        assert outcome.version.feature_count == 1200
        assert [v.author for v in store.versions("towns")] == ["fixture", "survivor"]
    finally:
        store.close()
