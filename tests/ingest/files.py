"""Real upload files built at test time: each format, and a corpus of broken ones."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import Point, box

from geoservice.coords import convert_geometry
from geoservice.sampledata.boundaries import build_district_layer

NAMES = ["东胜区交通街道", "林荫街道", "罕台镇", "铜川镇"]


def towns_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Four square 'towns' near Dongsheng with Chinese names and codes."""
    cells = [box(109.9 + 0.05 * i, 39.8, 109.95 + 0.05 * i, 39.85) for i in range(4)]
    frame = gpd.GeoDataFrame(
        {
            "code": [f"15060200{i}" for i in range(4)],
            "name_zh": NAMES,
            "pop": [1000 * (i + 1) for i in range(4)],
        },
        geometry=cells,
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def zip_folder(folder: Path, target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """Zip every file of ``folder`` (except suffixes in ``skip``) into ``target``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() not in skip:
                z.write(f, f.name)
    return target


def shapefile_zip(
    tmp: Path,
    frame: gpd.GeoDataFrame,
    *,
    name: str = "towns",
    encoding: str = "GBK",
    cpg: str | None = "GBK",
    skip: tuple[str, ...] = (),
) -> Path:
    """Write ``frame`` as a shapefile in ``encoding`` and zip it; ``cpg=None`` drops the .cpg."""
    folder = tmp / f"{name}_shp"
    folder.mkdir(exist_ok=True)
    shp = folder / f"{name}.shp"
    pyogrio.write_dataframe(frame, shp, encoding=encoding)
    cpg_path = folder / f"{name}.cpg"
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    else:
        cpg_path.write_text(cpg)
    return zip_folder(folder, tmp / f"{name}.zip", skip=skip)


def gcj02_dongsheng_geojson(tmp: Path) -> Path:
    """The Dongsheng district boundary shifted into GCJ-02, as AMap would give it."""
    district = build_district_layer()
    dongsheng = district[district["name_zh"] == "东胜区"]
    geoms = convert_geometry(dongsheng.geometry.to_numpy(), src="wgs84", dst="gcj02")
    frame = gpd.GeoDataFrame(
        dongsheng.drop(columns="geometry").reset_index(drop=True), geometry=list(geoms), crs=4326
    )
    path = tmp / "dongsheng_gcj02.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def points_csv(tmp: Path, *, gbk: bool = False) -> Path:
    """Village points as a CSV with lon/lat columns (optionally GBK, as Excel saves it)."""
    lines = ["name_zh,code,lon,lat"] + [
        f"{n},v{i},{109.9 + i * 0.01:.5f},{39.8 + i * 0.01:.5f}" for i, n in enumerate(NAMES)
    ]
    path = tmp / "villages.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030" if gbk else "utf-8"))
    return path


def multi_layer_gpkg(tmp: Path) -> Path:
    """A GeoPackage with a towns layer and a points layer."""
    path = tmp / "survey.gpkg"
    pyogrio.write_dataframe(towns_frame(), path, layer="towns")
    points = gpd.GeoDataFrame(
        {"name_zh": NAMES}, geometry=[Point(109.9 + i * 0.01, 39.8) for i in range(4)], crs=4326
    )
    pyogrio.write_dataframe(points, path, layer="points")
    return path


def kml_file(tmp: Path) -> Path:
    """Towns as KML (WGS84 by definition)."""
    path = tmp / "towns.kml"
    pyogrio.write_dataframe(towns_frame()[["name_zh", "geometry"]], path, driver="KML")
    return path


def flatgeobuf_file(tmp: Path, crs: str = "EPSG:4546") -> Path:
    """Towns as FlatGeobuf in CGCS2000 Gauss-Krüger CM 111E."""
    path = tmp / "towns.fgb"
    pyogrio.write_dataframe(towns_frame(crs), path, driver="FlatGeobuf")
    return path


def geojson_seq(tmp: Path) -> Path:
    """Towns as newline-delimited GeoJSON."""
    frame = towns_frame()
    lines = [
        json.dumps(
            {
                "type": "Feature",
                "properties": {"code": r.code, "name_zh": r.name_zh, "pop": r.pop},
                "geometry": shapely.geometry.mapping(r.geometry),
            },
            ensure_ascii=False,
        )
        for r in frame.itertuples()
    ]
    path = tmp / "towns.geojsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def feature_collection(tmp: Path, name: str, features: list[dict]) -> Path:
    """Write a GeoJSON FeatureCollection from raw feature dicts."""
    path = tmp / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(geometry: dict | None, **properties) -> dict:
    """Return a GeoJSON feature dict."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}
