"""Damaged and truncated files of every accepted format, for the broken-upload corpus.

Each builder writes one file from the four towns (or a few more features) and
damages it the way real files get damaged: an interrupted copy, a line edited
by hand, parts of a shapefile from two exports, text saved in the wrong
encoding. GDAL reads most of them without a word; the corpus says what the
refusal must name (the line or record, and the rule).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from shapely.geometry import Point, Polygon, box, mapping

from tests.ingest.files import feature, feature_collection, towns_frame, zip_folder


def town_feature(i: int, geometry=None, **props) -> dict:
    """A valid town with a fixed-width code, so every line of a sequence is as long."""
    geom = geometry or mapping(box(110 + i * 1e-4, 39.8, 110 + i * 1e-4 + 5e-5, 39.81))
    return feature(geom, **{"code": f"t{i:05d}", "name_zh": "镇", "pop": i, **props})


def sequence_lines(n: int) -> list[str]:
    """``n`` GeoJSON sequence lines of towns."""
    return [json.dumps(town_feature(i), ensure_ascii=False) for i in range(n)]


def geojsonl_cut_mid_line(tmp: Path) -> Path:
    """1 000 towns, cut in the middle of line 501 (an interrupted copy)."""
    lines = sequence_lines(1000)
    text = "\n".join(lines[:500]) + "\n" + lines[500][: len(lines[500]) // 2]
    path = tmp / "cut.geojsonl"
    path.write_text(text, encoding="utf-8")
    return path


def geojsonl_with(name: str, line: int, replacement: bytes, n: int = 12):
    """Builder of a sequence of ``n`` towns whose line ``line`` (1-based) is replaced."""

    def build(tmp: Path) -> Path:
        lines = [s.encode() for s in sequence_lines(n)]
        lines[line - 1] = replacement
        path = tmp / name
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path

    return build


def gbk_geojsonl(tmp: Path) -> Path:
    """A sequence whose second line's name is GBK bytes (a Chinese editor's default)."""
    text = json.dumps(town_feature(1, name_zh="@@"), ensure_ascii=False)
    line = text.encode().replace(b"@@", "东胜".encode("gbk"))
    return geojsonl_with("gbk.geojsonl", 2, line, n=3)(tmp)


def geojson_cut(tmp: Path) -> Path:
    """A FeatureCollection of 40 towns cut at two thirds."""
    path = feature_collection(tmp, "cut.geojson", [town_feature(i) for i in range(40)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def geojson_member_not_feature(tmp: Path) -> Path:
    """A FeatureCollection whose member 2 is a bare geometry (GDAL skips it)."""
    members = [town_feature(0), town_feature(1), mapping(Point(110, 39.8)), town_feature(3)]
    return feature_collection(tmp, "member.geojson", members)


def geojson_not_utf8(tmp: Path) -> Path:
    """A FeatureCollection with invalid UTF-8 in a property (Arrow refused it: a 500)."""
    path = feature_collection(tmp, "latin.geojson", [town_feature(0, name_zh="@@")])
    path.write_bytes(path.read_bytes().replace(b"@@", b"\xff\xfe"))
    return path


def unclosed_ring(tmp: Path) -> Path:
    """A polygon whose ring does not end where it starts (GEOS refused it: a 500)."""
    ring = [[110, 39.8], [110.01, 39.8], [110.01, 39.81], [110, 39.81]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return feature_collection(tmp, "unclosed.geojson", [town_feature(0, geometry)])


def nan_point(tmp: Path) -> Path:
    """Point features, the second with a NaN longitude (GDAL makes it POINT EMPTY)."""
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                feature(mapping(Point(110, 39.8)), code="p0", name_zh="甲"),
                feature({"type": "Point", "coordinates": [float("nan"), 39.8]}, code="p1"),
            ],
        }
    )
    path = tmp / "nan_point.geojson"
    path.write_text(text)  # json writes NaN, as some exporters do
    return path


def csv_text(name: str, text: str):
    """Builder of a CSV with exactly this text."""

    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(text.encode("utf-8"))
        return path

    return build


CSV_HEAD = "name_zh,code,lon,lat\n"
CSV_ROWS = "甲,v1,110.1,39.8\n乙,v2,110.2,39.81\n丙,v3,110.3,39.82\n"


def kml_cut(tmp: Path) -> Path:
    """The towns as KML, cut at two thirds."""
    path = tmp / "towns.kml"
    pyogrio.write_dataframe(towns_frame()[["name_zh", "geometry"]], path, driver="KML")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def flatgeobuf_cut(fraction: float, name: str):
    """Builder of 200 towns as FlatGeobuf, cut at ``fraction`` of its size."""

    def build(tmp: Path) -> Path:
        frame = gpd.GeoDataFrame(
            {"code": [f"f{i}" for i in range(200)], "name_zh": ["镇"] * 200},
            geometry=[box(110 + i * 1e-3, 39.8, 110.0005 + i * 1e-3, 39.81) for i in range(200)],
            crs="EPSG:4326",
        )
        path = tmp / name
        pyogrio.write_dataframe(frame, path, driver="FlatGeobuf")
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])
        return path

    return build


def flatgeobuf_not_utf8(tmp: Path) -> Path:
    """The towns as FlatGeobuf with bytes that are not UTF-8 in one name (Arrow: a 500)."""
    frame = towns_frame()
    frame.loc[1, "name_zh"] = "AAAAZZ"
    path = tmp / "latin.fgb"
    pyogrio.write_dataframe(frame, path, driver="FlatGeobuf")
    data = path.read_bytes()
    assert data.count(b"AAAAZZ") == 1
    path.write_bytes(data.replace(b"AAAAZZ", b"\xff\xfeAAZZ"))  # same length: still framed
    return path


def _shapefile_folder(tmp: Path, frame: gpd.GeoDataFrame, name: str) -> Path:
    folder = tmp / name
    folder.mkdir(exist_ok=True)
    pyogrio.write_dataframe(frame, folder / "towns.shp", encoding="UTF-8")
    (folder / "towns.cpg").write_text("UTF-8")
    return folder


def shapefile_cut(suffix: str, keep: float):
    """Builder of the towns shapefile whose ``suffix`` part is cut to ``keep`` of its size."""

    def build(tmp: Path) -> Path:
        folder = _shapefile_folder(tmp, towns_frame(), f"cut{suffix[1:]}")
        part = folder / f"towns{suffix}"
        data = part.read_bytes()
        part.write_bytes(data[: int(len(data) * keep)])
        return zip_folder(folder, tmp / f"towns_cut{suffix[1:]}.zip")

    return build


def shx_from_other_export(tmp: Path) -> Path:
    """The towns shapefile zipped with the .shx of a five-feature export."""
    folder = _shapefile_folder(tmp, towns_frame(), "four")
    other = _shapefile_folder(tmp, five_towns(), "five")
    shutil.copy(other / "towns.shx", folder / "towns.shx")
    return zip_folder(folder, tmp / "towns_mixed.zip")


def five_towns() -> gpd.GeoDataFrame:
    """The four towns and a fifth."""
    frame = towns_frame()
    extra = frame.iloc[[0]].copy()
    extra["code"] = "150602009"
    return gpd.GeoDataFrame(gpd.pd.concat([frame, extra], ignore_index=True), crs=frame.crs)


def shapefile_huge_polygon(tmp: Path) -> Path:
    """A shapefile whose first record has 25 000 vertices (over the test limit of 20 000)."""
    angles = np.linspace(0, 2 * np.pi, 25_000, endpoint=False)
    ring = np.c_[110 + 0.05 * np.cos(angles), 39.8 + 0.05 * np.sin(angles)]
    frame = towns_frame()
    frame.geometry = [Polygon(ring), *frame.geometry[1:]]
    folder = _shapefile_folder(tmp, frame, "huge")
    return zip_folder(folder, tmp / "huge.zip")


def geopackage_cut(tmp: Path) -> Path:
    """200 towns as a GeoPackage cut at 60% (SQLite pages missing)."""
    frame = gpd.GeoDataFrame(
        {"code": [f"g{i}" for i in range(200)], "name_zh": ["镇" * 20] * 200},
        geometry=[box(110 + i * 1e-3, 39.8, 110.0005 + i * 1e-3, 39.81) for i in range(200)],
        crs="EPSG:4326",
    )
    path = tmp / "cut.gpkg"
    pyogrio.write_dataframe(frame, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


def lonlat_with_gk_crs(tmp: Path) -> Path:
    """Lon/lat towns with a .prj saying CGCS2000 GK CM 111E (EPSG:4546)."""
    frame = towns_frame()
    frame = frame.set_crs("EPSG:4546", allow_override=True)
    folder = _shapefile_folder(tmp, frame, "lonlat_gk")
    return zip_folder(folder, tmp / "lonlat_gk.zip")


def antimeridian_polygon(tmp: Path) -> Path:
    """A box from 179.5°E to 179.5°W written with plain longitudes."""
    ring = [[179.5, -17], [-179.5, -17], [-179.5, -16], [179.5, -16], [179.5, -17]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return feature_collection(tmp, "fiji.geojson", [town_feature(0, geometry)])


def exact_mebibyte_entries(tmp: Path) -> Path:
    """The towns plus 15 entries of exactly 1 MiB of zeros (a per-entry rule skipped them)."""
    path = tmp / "padded.zip"
    towns = json.dumps({"type": "FeatureCollection", "features": [town_feature(0)]})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("towns.geojson", towns)
        for i in range(15):
            z.writestr(f"pad/{i:03d}.bin", b"\0" * (1024 * 1024))
    return path
