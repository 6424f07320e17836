"""``geoservice ingest``: creates a missing layer, prints the report, refuses broken files."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from geoservice.catalog.loader import load_catalog
from geoservice.cli import app as cli
from geoservice.storage.geopackage import GeoPackageStore
from tests.ingest.files import gcj02_dongsheng_geojson, shapefile_zip, towns_frame


@pytest.fixture
def env(tmp_path, catalog_dirs, monkeypatch):
    layers, styles = catalog_dirs
    monkeypatch.setenv("GEOSERVICE_LAYERS_DIR", str(layers))
    monkeypatch.setenv("GEOSERVICE_STYLES_DIR", str(styles))
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    return layers, tmp_path / "data" / "geoservice.gpkg"


def test_cli_creates_the_layer_and_a_version(env, tmp_path):
    layers, store_path = env
    path = shapefile_zip(tmp_path, towns_frame(), cpg=None)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--layer", "towns_cli", "--key", "code"])
    assert result.exit_code == 0, result.output
    assert "GB18030" in result.output and "features checked and written" in result.output
    catalog = load_catalog(layers, layers.parent / "styles", tmp_path / "data" / "layers")
    layer = catalog.get("towns_cli")
    assert layer.key == "code" and layer.area == "dongsheng"
    assert not list(layers.rglob("towns_cli.yaml"))  # the curated folder is never written
    store = GeoPackageStore(store_path)
    assert store.current_version("towns_cli").feature_count == 4
    store.close()
    result = CliRunner().invoke(
        cli, ["ingest", str(path), "--layer", "towns_cli", "--mode", "append", "--dry-run"]
    )
    assert result.exit_code == 1, result.output
    assert "key-duplicate" in result.output


def test_cli_converts_gcj02_and_refuses_nonsense(env, tmp_path):
    path = gcj02_dongsheng_geojson(tmp_path)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--layer", "ds", "--from-gcj02"])
    assert result.exit_code == 0, result.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"MZ" + b"\0" * 100)
    result = CliRunner().invoke(cli, ["ingest", str(broken), "--layer", "ds"])
    assert result.exit_code == 1
    assert "Windows program" in result.output


def test_cli_saves_a_field_map_and_the_next_upload_uses_it(env, tmp_path):
    frame = towns_frame().rename(columns={"name_zh": "名称", "code": "编码"})
    path = shapefile_zip(tmp_path, frame)
    args = ["ingest", str(path), "--layer", "towns_map", "--key", "code"]
    create = CliRunner().invoke(cli, [*args[:4], "--type", "编码=string"])
    assert create.exit_code == 0, create.output

    saved = CliRunner().invoke(
        cli, ["ingest", str(path), "--layer", "towns_map", "--map", "名称=name_zh", "--save-map"]
    )
    again = CliRunner().invoke(cli, ["ingest", str(path), "--layer", "towns_map", "--dry-run"])

    assert saved.exit_code == 0, saved.output
    assert "saved for the layer" in saved.output
    assert again.exit_code == 0, again.output
    assert "field map from saved" in again.output
