"""Uploads are read in batches, in one pass, whatever the format."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pyogrio.raw
import pytest
from shapely.geometry import Point

from geoservice.ingest.readers import iter_frames, open_dataset
from geoservice.ingest.sniff import detect_source
from geoservice.settings import UploadSettings
from tests.ingest.files import zip_folder

COUNT = 53


def _villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"v{i:03d}" for i in range(COUNT)], "name_zh": [f"村{i}" for i in range(COUNT)]},
        geometry=[Point(109.9 + i * 0.001, 39.8) for i in range(COUNT)],
        crs="EPSG:4326",
    )


def _write(tmp_path, fmt: str):
    frame = _villages()
    if fmt == "csv":
        path = tmp_path / "villages.csv"
        lines = ["code,name_zh,lon,lat"] + [
            f"{r.code},{r.name_zh},{r.geometry.x},{r.geometry.y}" for r in frame.itertuples()
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    suffix, driver = {
        "geojson": (".geojson", "GeoJSON"),
        "geojsonl": (".geojsonl", "GeoJSONSeq"),
        "kml": (".kml", "KML"),
        "gpkg": (".gpkg", "GPKG"),
        "fgb": (".fgb", "FlatGeobuf"),
        "shp": (".shp", "ESRI Shapefile"),
    }[fmt]
    folder = tmp_path / fmt
    folder.mkdir()
    path = folder / f"villages{suffix}"
    options = {"SPATIAL_INDEX": "NO"} if fmt == "fgb" else {}  # an index reorders features
    pyogrio.write_dataframe(frame, path, driver=driver, layer_options=options)
    if fmt == "shp":  # uploaded as a zip of its parts
        return zip_folder(folder, tmp_path / "villages.zip")
    return path


@pytest.mark.parametrize("fmt", ["geojson", "geojsonl", "csv", "kml", "fgb", "gpkg", "shp"])
def test_every_feature_arrives_once_in_file_order(tmp_path, monkeypatch, fmt):
    """Text formats are parsed once (not again from the start for every batch);
    shapefiles and GeoPackages are read batch by batch, GDAL seeking to each."""
    path = _write(tmp_path, fmt)
    work = tmp_path / "work"
    work.mkdir()
    source = detect_source(path, path.name, work, UploadSettings())
    dataset = open_dataset(source, source_layer=None, encoding=None, work=work)
    opened = []
    real_open = pyogrio.raw.open_arrow
    monkeypatch.setattr(
        pyogrio.raw, "open_arrow", lambda *a, **kw: opened.append(a) or real_open(*a, **kw)
    )

    frames = list(iter_frames(dataset, batch=10))

    assert len(opened) == (0 if fmt in ("gpkg", "shp") else 1)
    assert [len(f) for f in frames] == [10, 10, 10, 10, 10, 3]
    whole = gpd.pd.concat(frames)
    assert list(whole.index) == list(range(COUNT))
    assert list(whole["name_zh"]) == [f"村{i}" for i in range(COUNT)]
    assert whole.geometry.x.round(6).tolist() == [round(109.9 + i * 0.001, 6) for i in range(COUNT)]
