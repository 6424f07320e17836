"""Loading and checking the folders of layer and style files."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from geoservice.catalog.loader import dump_layer, load_catalog, parse_layer
from geoservice.errors import CatalogError, LayerNotFound
from tests.conftest import ROOT


def test_project_catalogue_loads_every_layer_and_style():
    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    assert {"district", "streets_towns", "farmland_grid", "logistics"} <= set(catalog.layers)
    assert catalog.style_of(catalog.get("district")).id == "admin_boundary"


def test_unknown_key_is_rejected_naming_the_file(catalog_dirs):
    layers, styles = catalog_dirs
    path = layers / "dongsheng" / "district.yaml"
    path.write_text(path.read_text() + "colour: red\n")
    with pytest.raises(CatalogError, match=r"district\.yaml: colour: Extra inputs"):
        load_catalog(layers, styles)


def test_missing_style_is_reported(catalog_dirs):
    layers, styles = catalog_dirs
    (styles / "admin_boundary.json").unlink()
    with pytest.raises(CatalogError, match="style 'admin_boundary' not found"):
        load_catalog(layers, styles)


def test_every_problem_is_reported_at_once(catalog_dirs):
    layers, styles = catalog_dirs
    (layers / "a.yaml").write_text("title: {zh: a, en: a}\n")
    (layers / "b.yaml").write_text("id: other\n")
    with pytest.raises(CatalogError) as exc:
        load_catalog(layers, styles)
    text = exc.value.message
    assert "a.yaml" in text and "b.yaml" in text and "differs from the file name" in text


def test_planning_layers_must_carry_the_standard_attributes(catalog_dirs):
    layers, styles = catalog_dirs
    villages = layers / "dongsheng" / "villages.yaml"
    villages.write_text(villages.read_text().replace("geometry_quality", "quality"))
    with pytest.raises(CatalogError, match="geometry_quality"):
        load_catalog(layers, styles)


def test_layer_round_trips_through_yaml():
    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    layer = catalog.get("streets_towns")
    assert parse_layer(dump_layer(layer), "streets_towns", area="dongsheng") == layer


def test_catalog_is_immutable_and_raises_layer_not_found():
    catalog = load_catalog(ROOT / "layers", ROOT / "styles")
    with pytest.raises(LayerNotFound):
        catalog.get("nope")
    with pytest.raises(TypeError):
        catalog.layers["x"] = catalog.get("district")  # type: ignore[index]
    smaller = catalog.without("district")
    assert "district" in catalog and "district" not in smaller


def test_check_layers_command_exits_1_on_a_broken_folder(catalog_dirs, monkeypatch):
    from geoservice.cli import app

    layers, styles = catalog_dirs
    runner = CliRunner()
    ok = runner.invoke(
        app, ["check-layers", "--layers-dir", str(layers), "--styles-dir", str(styles)]
    )
    assert ok.exit_code == 0
    shutil.copy(layers / "dongsheng" / "district.yaml", layers / "dongsheng" / "Bad-Name.yaml")
    bad = runner.invoke(
        app, ["check-layers", "--layers-dir", str(layers), "--styles-dir", str(styles)]
    )
    assert bad.exit_code == 1


@pytest.mark.parametrize("name", ["sqlite_master", "gpkg_contents", "spatial_ref_sys", "x__v1"])
def test_layer_ids_that_name_store_tables_are_refused(catalog_dirs, name):
    layers, styles = catalog_dirs
    source = layers / "dongsheng" / "district.yaml"
    (layers / "dongsheng" / f"{name}.yaml").write_text(source.read_text())
    with pytest.raises(CatalogError, match=rf"{name}.*layer-id-reserved"):
        load_catalog(layers, styles)
