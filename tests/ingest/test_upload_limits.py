"""Limits are checked before the thing they limit is built: a huge polygon before any
geometry exists, form fields before they are kept, a zip bomb on the bytes written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pyogrio
import pytest
import shapely

from geoservice.catalog.loader import load_catalog
from geoservice.errors import UploadTooLarge
from geoservice.ingest import IngestOptions, Upload, ingest
from geoservice.ingest.archive import unpack_zip
from geoservice.settings import UploadSettings
from geoservice.storage import open_store
from tests.conftest import ROOT
from tests.ingest.conftest import auth
from tests.ingest.damaged import town_feature
from tests.ingest.files import feature_collection, towns_frame

UPLOAD = "/collections/towns/uploads"


def circle(n: int) -> list[list[float]]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.round(np.c_[110 + 0.05 * np.cos(angles), 39.8 + 0.05 * np.sin(angles)], 6)
    return [*ring.tolist(), ring[0].tolist()]


def _ingest(settings, path, name=None):
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    store = open_store(settings)
    try:
        return ingest(
            Upload(path, name or path.name),
            store=store,
            catalog=catalog,
            limits=settings.uploads,
            options=IngestOptions(dry_run=True),
            layer=catalog.get("towns"),
        )
    finally:
        store.close()


def test_huge_geojson_polygon_is_refused_before_gdal_reads_it(
    ingest_settings, tmp_path, monkeypatch
):
    geometry = {"type": "Polygon", "coordinates": [circle(200_000)]}
    path = feature_collection(
        tmp_path, "huge.geojson", [town_feature(0), town_feature(1, geometry)]
    )
    opened = []
    monkeypatch.setattr(pyogrio, "list_layers", lambda *a, **k: opened.append(a))
    with pytest.raises(UploadTooLarge) as caught:
        _ingest(ingest_settings, path)
    assert "huge.geojson, feature 1: more than" in caught.value.message
    assert "20,000 per feature" in caught.value.message
    assert opened == []  # GDAL never parsed (and built) it


def test_huge_geopackage_polygon_is_refused_before_shapely_builds_it(
    ingest_settings, tmp_path, monkeypatch
):
    frame = towns_frame()
    frame.geometry = [shapely.Polygon(circle(60_000)), *frame.geometry[1:]]
    path = tmp_path / "huge.gpkg"
    pyogrio.write_dataframe(frame, path)
    built = []
    real = shapely.from_wkb
    monkeypatch.setattr(
        "geoservice.ingest.wkb.shapely.from_wkb",
        lambda wkb, **kw: (
            built.append(max(len(b or b"") for b in np.atleast_1d(wkb))) or real(wkb, **kw)
        ),
    )
    with pytest.raises(UploadTooLarge) as caught:
        _ingest(ingest_settings, path)
    assert "huge.gpkg, feature 0: 60,001 vertices" in caught.value.message
    assert all(size < 20_000 * 16 for size in built)


@pytest.mark.slow
def test_refusing_a_million_vertex_polygon_costs_little_memory(tmp_path):
    """The figure behind ``max_feature_coordinates``: refused before anything is built,
    a 1 000 000-vertex GeoJSON polygon raises the peak RSS by ~110 MB (the 28 MB file's
    text, read in growing windows), where reading it used to take ~520 MB."""
    path = tmp_path / "huge.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [town_feature(0, {"type": "Polygon", "coordinates": [circle(10**6)]})],
            }
        )
    )
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        from geoservice.errors import UploadTooLarge
        from geoservice.ingest.readers import open_dataset
        from geoservice.ingest.sniff import detect_source
        from geoservice.settings import UploadSettings
        limits = UploadSettings()
        path = Path({str(path)!r})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            open_dataset(detect_source(path, path.name, path.parent, limits), source_layer=None,
                         encoding=None, work=path.parent,
                         max_vertices=limits.max_feature_coordinates)
        except UploadTooLarge as exc:
            print("refused", exc.message)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()
    assert out[0].startswith("refused") and "feature 0" in out[0]
    assert int(out[1]) < 200  # MB above the process before it


def _form(client, key, fields: dict[str, str], url=UPLOAD, files=True):
    body = {"file": ("towns.geojson", b'{"type": "FeatureCollection"}', "application/json")}
    return client.post(url, files=body if files else None, data=fields, headers=auth(key))


def test_too_many_form_fields_are_refused_before_being_kept(client, keys):
    fields = {"message": "x"} | {f"f{i}": "y" for i in range(40)}
    r = _form(client, keys["editor"], fields)
    assert r.status_code in (400, 413)
    assert "form" in r.json()["description"]


def test_form_fields_are_bounded_one_by_one_and_together(client, keys):
    r = _form(client, keys["editor"], {"message": "x" * (65 * 1024)})
    assert r.status_code == 413 and "'message' is longer than 64 KiB" in r.text
    fields = dict.fromkeys(("message", "crs", "encoding", "mode", "repair"), "x" * (60 * 1024))
    r = _form(client, keys["editor"], fields)
    assert r.status_code == 413 and "text fields hold more than 256 KiB" in r.text


def test_unknown_and_repeated_form_fields_are_refused(client, keys):
    r = _form(client, keys["editor"], {"dry-run": "true"})
    assert r.status_code == 400 and "unknown form field 'dry-run'" in r.text
    assert "dry_run" in r.text
    r = client.post(
        UPLOAD,
        files=[
            ("file", ("a.geojson", b"{}", "application/json")),
            ("mode", (None, "append")),
            ("mode", (None, "replace")),
        ],
        headers=auth(keys["editor"]),
    )
    assert r.status_code == 400 and "'mode' is given twice" in r.text


def test_a_huge_part_header_is_refused(client, keys):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n'
        f"X-Padding: {'a' * 20_000}\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    r = client.post(
        UPLOAD,
        content=body,
        headers={
            **auth(keys["editor"]),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert r.status_code == 400, r.text
    assert "Maximum header size exceeded" in r.text


def test_exact_mebibyte_entries_add_up_to_a_zip_bomb(tmp_path):
    """300 entries of exactly 1 MiB of zeros (339 KB zipped) used to unpack to 300 MiB:
    the per-entry ratio rule only looked at entries over 1 MiB."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(300):
            z.writestr(f"part{i:03d}.geojson", b"\0" * (1024 * 1024))
    dest = tmp_path / "out"
    with pytest.raises(UploadTooLarge) as caught:
        unpack_zip(path, dest, UploadSettings(), name="bomb.zip")
    assert "zip-bomb" in caught.value.message
    written = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file()) if dest.exists() else 0
    assert written == 0  # refused on the declared total before writing anything


def test_bytes_written_are_counted_whatever_the_headers_say(tmp_path, monkeypatch):
    """With the header checks out of the way (a file whose headers lie), extraction
    stops on the bytes it actually wrote: max_zip_ratio times the archive's size."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(300):
            z.writestr(f"part{i:03d}.geojson", b"\0" * (1024 * 1024))
    monkeypatch.setattr("geoservice.ingest.archive._check_entries", lambda entries, budget: None)
    dest = tmp_path / "out"
    with pytest.raises(UploadTooLarge) as caught:
        unpack_zip(path, dest, UploadSettings(), name="bomb.zip")
    assert "times its own size" in caught.value.message
    written = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    assert written <= 200 * path.stat().st_size + 1024 * 1024
