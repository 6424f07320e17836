"""A store holding the Dongsheng sample layers and one analysis result, for map tests."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, fill_store

ARTIFACTS = ROOT / "tests" / "artifacts"
FARMLAND_CELL_M = 1000.0  # about 2,500 cells: quick, yet over the tests' large-layer threshold
COVERAGE_LAYER = "coverage_by_unit"


@pytest.fixture(scope="session")
def sample_frames():
    """The sample layers (1 km farmland cells) plus a coverage-share-per-unit result."""
    from geoservice.sampledata import build_sample_layers

    frames = build_sample_layers(farmland_cell_m=FARMLAND_CELL_M)
    units = frames["streets_towns"][["code", "name_zh", "name_en", "geometry"]].copy()
    units["area_share"] = [round(i / (len(units) - 1), 3) for i in range(len(units))]
    frames[COVERAGE_LAYER] = units
    return frames


@pytest.fixture
def maps_settings(tmp_path, settings_for, catalog_dirs, sample_frames):
    """Settings over a GeoPackage store holding the sample frames; small layers embedded."""
    from geoservice.catalog.infer import infer_layer
    from geoservice.catalog.loader import write_layer_file
    from geoservice.catalog.models import Text
    from geoservice.settings import MapSettings

    layers_dir, styles_dir = catalog_dirs

    title = Text(zh="分单元覆盖率（测试）", en="Coverage share by unit (test)")
    coverage = infer_layer(
        COVERAGE_LAYER, sample_frames[COVERAGE_LAYER], title=title, style="analysis_result"
    )
    write_layer_file(coverage, layers_dir)
    settings = settings_for(
        "geopackage",
        layers_dir=layers_dir,
        styles_dir=styles_dir,
        maps=MapSettings(large_layer_features=1_000),
    )
    fill_store(settings, sample_frames)
    return settings
