"""An app over the project's catalogue plus a 'towns' layer, with keys for each role."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geoservice.app import create_app
from geoservice.sampledata.boundaries import build_district_layer
from geoservice.settings import UploadSettings
from tests.conftest import create_key, fill_store
from tests.ingest.files import towns_frame

TOWNS_YAML = """\
title: {zh: 乡镇街道, en: Towns and streets}
kind: admin_units
geometry_type: MultiPolygon
storage_crs: EPSG:4326
key: code
attributes:
  - {name: code, type: string, required: true, title: {zh: 代码, en: Code}}
  - {name: name_zh, type: string, required: true, title: {zh: 名称, en: Name}}
  - {name: name_en, type: string}
  - {name: pop, type: integer, title: {zh: 人口, en: Population}}
  - {name: source, type: string}
  - {name: geometry_quality, type: string, enum: [surveyed, approximate]}
source: {description: test layer}
style: admin_boundary
upload: {expected_bbox: [108.5, 39.0, 111.5, 40.5]}
"""


@pytest.fixture
def upload_limits(tmp_path) -> UploadSettings:
    """Upload limits small enough for tests to reach."""
    return UploadSettings(
        max_bytes=5 * 1024 * 1024,
        max_features=1_000,
        max_coordinates=100_000,
        max_feature_coordinates=20_000,
        max_unzipped_bytes=20 * 1024 * 1024,
        max_zip_ratio=50,
        work_dir=tmp_path / "work",
    )


@pytest.fixture
def ingest_settings(store_kind, settings_for, catalog_dirs, upload_limits):
    """Settings over a store holding the district layer and four towns (version 1)."""
    layers_dir, styles_dir = catalog_dirs
    (layers_dir / "towns.yaml").write_text(TOWNS_YAML, encoding="utf-8")
    settings = settings_for(
        store_kind, layers_dir=layers_dir, styles_dir=styles_dir, uploads=upload_limits
    )
    fill_store(settings, {"district": build_district_layer(), "towns": towns_frame()})
    return settings


@pytest.fixture
def keys(ingest_settings) -> dict[str, str]:
    """One key per role, by role name."""
    roles = ("reader", "editor", "admin")
    return {role: create_key(ingest_settings, role, f"{role}-tester") for role in roles}


@pytest.fixture
def client(ingest_settings):
    """A TestClient over the app, lifespan running."""
    with TestClient(create_app(ingest_settings)) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    """Return the header carrying ``key``."""
    return {"Authorization": f"Bearer {key}"}


def post_file(client, url: str, path: Path, api_key: str, name: str | None = None, **fields):
    """POST ``path`` as the multipart field 'file' with form ``fields``."""
    with path.open("rb") as f:
        return client.post(
            url,
            files={"file": (name or path.name, f, "application/octet-stream")},
            data={k: str(v) for k, v in fields.items()},
            headers=auth(api_key),
        )


def snapshot(client, layer_id: str) -> tuple:
    """Return (versions, current items) of a layer as the API shows them."""
    versions = client.get(f"/collections/{layer_id}/versions").json()["versions"]
    items = client.get(f"/collections/{layer_id}/items", params={"limit": 1000}).json()
    return [(v["version"], v["feature_count"]) for v in versions], items["features"]
