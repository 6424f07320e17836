"""A corpus of broken uploads: each builder writes one file and names what must be said.

Every case is (builder, form fields, HTTP status, words the message must contain).
The words are the actionable part: the rule or the fix a GIS technician needs.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import Point, Polygon, box, mapping

from tests.ingest import damaged as d
from tests.ingest.files import feature, feature_collection, shapefile_zip, towns_frame


@dataclass(frozen=True)
class Case:
    """One broken input and the refusal it must get."""

    build: Callable[[Path], Path]
    status: int
    words: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    url: str = "/collections/towns/uploads"


DEFAULT = object()


def town(i: int = 0, geometry=DEFAULT, **props) -> dict:
    """One valid town feature dict (override geometry, None included, or properties)."""
    base = {"code": f"t{i}", "name_zh": f"镇{i}", "pop": 10 + i}
    geom = mapping(box(110, 39.8, 110.01, 39.81)) if geometry is DEFAULT else geometry
    return feature(geom, **{**base, **props})


def fc(name: str, *features: dict) -> Callable[[Path], Path]:
    """Builder of a FeatureCollection file."""
    return lambda tmp: feature_collection(tmp, name, list(features))


def raw(name: str, data: bytes) -> Callable[[Path], Path]:
    """Builder of a file with these exact bytes."""

    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return build


def zipped(name: str, entries: list[tuple[str, bytes]], symlink: str | None = None):
    """Builder of a ZIP with (name, bytes) entries, optionally one symlink entry."""

    def build(tmp: Path) -> Path:
        path = tmp / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for entry, data in entries:
                z.writestr(entry, data)
            if symlink:
                info = zipfile.ZipInfo(symlink)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(info, "/etc/passwd")
        return path

    return build


def shapefile_parts(tmp: Path, **kw) -> dict[str, bytes]:
    """Return the parts of the towns shapefile as {suffix: bytes}."""
    zip_path = shapefile_zip(tmp, towns_frame(), **kw)
    with zipfile.ZipFile(zip_path) as z:
        return {Path(n).suffix: z.read(n) for n in z.namelist()}


def shapefile_without(*suffixes: str, **kw):
    """Builder of the towns shapefile zip lacking some parts."""

    def build(tmp: Path) -> Path:
        parts = shapefile_parts(tmp, **kw)
        entries = [(f"towns{s}", b) for s, b in parts.items() if s not in suffixes]
        return zipped("towns_missing.zip", entries)(tmp)

    return build


def truncated_zip(tmp: Path) -> Path:
    path = shapefile_zip(tmp, towns_frame())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def wrong_cpg(tmp: Path) -> Path:
    return shapefile_zip(tmp, towns_frame(), encoding="GBK", cpg="UTF-8")


def utf8_said_gbk(tmp: Path) -> Path:
    return shapefile_zip(tmp, towns_frame(), encoding="UTF-8", cpg="GBK")


def gpkg_with(tmp: Path, geoms: list, name: str = "bad.gpkg") -> Path:
    frame = gpd.GeoDataFrame(
        {"code": [f"g{i}" for i in range(len(geoms))], "name_zh": ["甲"] * len(geoms)},
        geometry=geoms,
        crs="EPSG:4326",
    )
    path = tmp / name
    pyogrio.write_dataframe(frame, path)
    return path


def nan_coords(tmp: Path) -> Path:
    bad = Polygon([(110, 39.8), (np.nan, 39.9), (110.1, 39.9), (110, 39.8)])
    return gpkg_with(tmp, [box(110, 39.8, 110.1, 39.9), bad])


def inf_coords(tmp: Path) -> Path:
    bad = Polygon([(110, 39.8), (np.inf, 39.9), (110.1, 39.9), (110, 39.8)])
    return gpkg_with(tmp, [bad], "inf.gpkg")


def swapped(tmp: Path) -> Path:
    geom = mapping(box(39.8, 110.0, 39.81, 110.01))
    return feature_collection(tmp, "swapped.geojson", [town(0, geom)])


def swapped_csv(tmp: Path) -> Path:
    path = tmp / "swapped.csv"
    path.write_text("name_zh,lon,lat\n甲,39.81,109.98\n乙,39.82,109.99\n", encoding="utf-8")
    return path


def polygon_z(tmp: Path) -> Path:
    ring = [(110, 39.8, 1043.5), (110.1, 39.8, 1050.0), (110.1, 39.9, 1060.0), (110, 39.8, 1043.5)]
    return feature_collection(tmp, "z.geojson", [town(0, mapping(Polygon(ring)))])


def polygon_m(tmp: Path) -> Path:
    """A GeoPackage whose polygons carry M values (pyogrio cannot write them: patch SQLite)."""
    path = gpkg_with(tmp, [box(110, 39.8, 110.1, 39.9)], "measured.gpkg")
    g = shapely.from_wkt("POLYGON M ((110 39.8 1, 110.1 39.8 2, 110.1 39.9 3, 110 39.8 1))")
    blob = b"GP\x00\x01" + struct.pack("<i", 4326) + shapely.to_wkb(g, flavor="iso", byte_order=1)
    with sqlite3.connect(path) as db:
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE gpkg_geometry_columns SET m = 1")
        db.execute("UPDATE measured SET geom = ?", (blob,))
    return path


def huge_polygon(tmp: Path) -> Path:
    angles = np.linspace(0, 2 * np.pi, 25_000, endpoint=False)
    ring = np.round(np.c_[110 + 0.05 * np.cos(angles), 39.8 + 0.05 * np.sin(angles)], 5)
    return feature_collection(tmp, "huge.geojson", [town(0, mapping(Polygon(ring)))])


def many_vertices(tmp: Path) -> Path:
    angles = np.linspace(0, 2 * np.pi, 15_000, endpoint=False)
    feats = []
    for i in range(8):
        ring = np.round(
            np.c_[110 + 0.01 * i + 0.004 * np.cos(angles), 39.8 + 0.004 * np.sin(angles)], 5
        )
        feats.append(town(i, mapping(Polygon(ring))))
    return feature_collection(tmp, "many_vertices.geojson", feats)


def too_many_features(tmp: Path) -> Path:
    feats = [
        town(i, mapping(box(110 + i * 1e-4, 39.8, 110 + i * 1e-4 + 5e-5, 39.81)))
        for i in range(1001)
    ]
    return feature_collection(tmp, "many.geojson", feats)


def too_big(tmp: Path) -> Path:
    return feature_collection(tmp, "big.geojson", [town(0, None, name_zh="x" * (6 * 1024 * 1024))])


def zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("towns.geojson", b" " * (15 * 1024 * 1024))
    return path


def nested_zip(tmp: Path) -> Path:
    inner = shapefile_zip(tmp, towns_frame()).read_bytes()
    return zipped("nested.zip", [("inner.zip", inner)])(tmp)


def disguised_nested(tmp: Path) -> Path:
    inner = shapefile_zip(tmp, towns_frame()).read_bytes()
    return zipped("disguised.zip", [("towns.geojson", inner)])(tmp)


def gcj_geometry_collection(tmp: Path) -> Path:
    gc = {"type": "GeometryCollection", "geometries": [mapping(Point(110, 39.8))]}
    return feature_collection(tmp, "gc.geojson", [town(0, gc)])


def zone_prefixed(tmp: Path) -> Path:
    frame = towns_frame("EPSG:4546")
    frame.geometry = shapely.transform(
        frame.geometry.values, lambda xy: xy + np.array([37_000_000, 0])
    )
    frame = frame.set_crs("EPSG:4546", allow_override=True)
    return shapefile_zip(tmp, frame, name="zoned")


def office_zip(tmp: Path) -> Path:
    return zipped("docs.zip", [("readme.txt", b"hello"), ("table.xlsx", b"PK-not-really")])(tmp)


def two_datasets(tmp: Path) -> Path:
    empty = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    return zipped("two.zip", [("a.geojson", empty), ("b.geojson", empty)])(tmp)


BOWTIE = mapping(Polygon([(110, 39.8), (110.1, 39.9), (110.1, 39.8), (110, 39.9), (110, 39.8)]))
FAR = mapping(box(10, 10, 10.01, 10.01))

CASES: dict[str, Case] = {
    "truncated-zip": Case(truncated_zip, 422, ("truncated",)),
    "missing-shp": Case(shapefile_without(".shp"), 422, ("towns.shp",)),
    "missing-shx": Case(shapefile_without(".shx"), 422, (".shx",)),
    "missing-dbf": Case(shapefile_without(".dbf"), 422, (".dbf",)),
    "missing-prj": Case(shapefile_without(".prj"), 422, ("no CRS", "crs=EPSG")),
    "cpg-utf8-data-gbk": Case(wrong_cpg, 422, ("UTF-8", "GB18030", "encoding")),
    "cpg-gbk-data-utf8": Case(utf8_said_gbk, 422, ("UTF-8", ".cpg")),
    "csv-unknown-encoding": Case(
        raw("bad.csv", b"name,lon,lat\n\x80\x80,110,39\n"), 422, ("UTF-8",)
    ),
    "self-intersection": Case(
        fc("bowtie.geojson", town(0, BOWTIE)), 422, ("Self-intersection", "repair=true")
    ),
    "nan-coordinates": Case(nan_coords, 422, ("NaN", "feature 1")),
    "inf-coordinates": Case(inf_coords, 422, ("infinite",)),
    "lat-lon-swapped": Case(swapped, 422, ("latitude, longitude", "swap")),
    "csv-lat-lon-swapped": Case(swapped_csv, 422, ("swap",), {"id": "pts"}, "/collections"),
    "3d-with-heights": Case(polygon_z, 422, ("Z (height)", "force_2d=true")),
    "m-values": Case(polygon_m, 422, ("M (measure)", "force_2d=true")),
    "mixed-types": Case(
        fc("mixed.geojson", town(0), town(1, mapping(Point(110, 39.8)))),
        422,
        ("Point", "feature 1"),
    ),
    "mixed-types-new-layer": Case(
        fc("mixed2.geojson", town(0), town(1, mapping(Point(110, 39.8)))),
        422,
        ("geometry-type",),
        {"id": "mixed"},
        "/collections",
    ),
    "geometry-collection": Case(gcj_geometry_collection, 422, ("GeometryCollection",)),
    "null-geometry": Case(fc("null.geojson", town(0), town(1, None)), 422, ("no geometry",)),
    "empty-file": Case(raw("empty.geojson", b""), 422, ("empty",)),
    "no-features": Case(fc("none.geojson"), 422, ("no features",)),
    "huge-single-polygon": Case(huge_polygon, 413, ("vertices", "feature 0", "20,000")),
    "too-many-vertices": Case(many_vertices, 413, ("vertices",)),
    "too-many-features": Case(too_many_features, 413, ("1,001 features",)),
    "file-too-large": Case(too_big, 413, ("limit",)),
    "zip-bomb": Case(zip_bomb, 413, ("zip bomb",)),
    "zip-slip": Case(zipped("slip.zip", [("../../evil.geojson", b"{}")]), 422, ("zip slip",)),
    "absolute-path": Case(zipped("abs.zip", [("/tmp/evil.geojson", b"{}")]), 422, ("absolute",)),
    "symlink": Case(
        zipped("link.zip", [("a.txt", b"x")], symlink="towns.geojson"), 422, ("symbolic link",)
    ),
    "nested-zip": Case(nested_zip, 422, ("archive inside",)),
    "disguised-nested-zip": Case(disguised_nested, 422, ("itself an archive",)),
    "exe-renamed-zip": Case(
        raw("towns.zip", b"MZ\x90\x00" + b"\x00" * 200), 422, ("Windows program",)
    ),
    "pdf-renamed-geojson": Case(raw("towns.geojson", b"%PDF-1.7\n..."), 422, ("PDF",)),
    "no-geodata-in-zip": Case(office_zip, 422, ("no geospatial data", "readme.txt")),
    "loose-shp": Case(raw("towns.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96), 422, ("zip",)),
    "broken-json": Case(
        raw("broken.geojson", b'{"type": "FeatureCollection", "features": [{"ty'),
        422,
        ("broken.geojson",),
    ),
    "not-kml-xml": Case(
        raw("towns.gml", b"<?xml version='1.0'?><gml:FeatureCollection/>"), 422, ("not KML",)
    ),
    "two-datasets-in-zip": Case(two_datasets, 400, ("several datasets", "source_layer")),
    "unknown-crs-option": Case(fc("ok.geojson", town(0)), 400, ("crs=",), {"crs": "EPSG:99999"}),
    "bad-mode": Case(fc("ok.geojson", town(0)), 400, ("mode",), {"mode": "merge"}),
    "bad-coordinate-system": Case(
        fc("ok.geojson", town(0)), 400, ("gcj02",), {"coordinate_system": "mars"}
    ),
    "required-attribute-missing": Case(
        fc("nocode.geojson", feature(mapping(box(110, 39.8, 110.1, 39.9)), name_zh="甲")),
        422,
        ("required attribute 'code'",),
    ),
    "wrong-attribute-type": Case(
        fc("type.geojson", town(0, pop="many")), 422, ("'pop' must be integer", "many")
    ),
    "enum-violation": Case(
        fc("enum.geojson", town(0, geometry_quality="rough")), 422, ("not one of",)
    ),
    "duplicate-keys": Case(
        fc("dup.geojson", town(0), town(1, code="t0")), 422, ("already used by feature 0",)
    ),
    "outside-expected-extent": Case(fc("far.geojson", town(0, FAR)), 422, ("expected extent",)),
    "gk-zone-number": Case(zone_prefixed, 422, ("zone number", "EPSG:4525")),
}

# Damaged files GDAL reads without a word (or that stopped the server with a 500):
# the refusal names the line (text), record (shapefile) or feature index (GeoJSON).
NEW_LAYER = "/collections"
CASES |= {
    "geojsonl-cut-mid-line": Case(d.geojsonl_cut_mid_line, 422, ("line 501", "truncated")),
    "geojsonl-garbage-line": Case(
        d.geojsonl_with("garbage.geojsonl", 7, b"garbage {not json"),
        422,
        ("line 7", "not valid JSON", "json-syntax"),
    ),
    "geojsonl-not-a-feature": Case(
        d.geojsonl_with("array.geojsonl", 3, b"[110.0, 39.8]"), 422, ("line 3", "not a GeoJSON")
    ),
    "geojsonl-not-utf8": Case(d.gbk_geojsonl, 422, ("line 2", "not UTF-8", "GBK")),
    "geojson-cut": Case(d.geojson_cut, 422, ("feature 2", "truncated")),
    "geojson-member-not-feature": Case(
        d.geojson_member_not_feature, 422, ("feature 2", "not a GeoJSON Feature")
    ),
    "geojson-not-utf8": Case(d.geojson_not_utf8, 422, ("not UTF-8", "latin.geojson")),
    "unclosed-ring": Case(d.unclosed_ring, 422, ("feature 0", "not closed", "repair=true")),
    "nan-point": Case(
        d.nan_point, 422, ("feature 1", "NaN", "coordinates-finite"), {"id": "pts_nan"}, NEW_LAYER
    ),
    "csv-cut-mid-row": Case(
        d.csv_text("cut.csv", d.CSV_HEAD + d.CSV_ROWS + "丁,v4,110.4"),
        422,
        ("line 5", "truncated"),
        {"id": "pts_cut"},
        NEW_LAYER,
    ),
    "csv-short-row": Case(
        d.csv_text("short.csv", d.CSV_HEAD + "甲,v1,110.1\n" + d.CSV_ROWS),
        422,
        ("line 2", "3 field(s) where the header has 4"),
        {"id": "pts_short"},
        NEW_LAYER,
    ),
    "csv-unclosed-quote": Case(
        d.csv_text("quote.csv", d.CSV_HEAD + '"甲,v1,110.1,39.8\n' + d.CSV_ROWS),
        422,
        ("line 2", "never closed"),
        {"id": "pts_quote"},
        NEW_LAYER,
    ),
    "csv-lon-not-a-number": Case(
        d.csv_text("lon.csv", d.CSV_HEAD + "甲,v1,abc,39.8\n" + d.CSV_ROWS),
        422,
        ("line 2", "lon 'abc' is not a number"),
        {"id": "pts_lon"},
        NEW_LAYER,
    ),
    "csv-nan-coordinates": Case(
        d.csv_text("nan.csv", d.CSV_HEAD + d.CSV_ROWS + "丁,v4,NaN,39.8\n"),
        422,
        ("line 5", "NaN"),
        {"id": "pts_nan_csv"},
        NEW_LAYER,
    ),
    "kml-cut": Case(d.kml_cut, 422, ("towns.kml", "unclosed token")),
    "fgb-cut-in-header": Case(d.flatgeobuf_cut(0.005, "head.fgb"), 422, ("cut inside",)),
    "fgb-cut-in-index": Case(d.flatgeobuf_cut(0.1, "index.fgb"), 422, ("truncated",)),
    "fgb-cut-in-features": Case(d.flatgeobuf_cut(0.7, "features.fgb"), 422, ("truncated",)),
    "fgb-not-utf8": Case(d.flatgeobuf_not_utf8, 422, ("'name_zh' holds text that is not UTF-8",)),
    "shp-cut": Case(d.shapefile_cut(".shp", 0.7), 422, ("record 3", "towns.shp is cut")),
    "dbf-cut": Case(d.shapefile_cut(".dbf", 0.8), 422, ("towns.dbf is cut", "record 4")),
    "shx-from-other-export": Case(
        d.shx_from_other_export, 422, ("towns.shx indexes 5 records but towns.dbf holds 4",)
    ),
    "shp-too-many-vertices": Case(
        d.shapefile_huge_polygon, 413, ("record 1", "25,001 vertices", "20,000")
    ),
    "gpkg-cut": Case(d.geopackage_cut, 422, ("GeoPackage is cut",)),
    "lonlat-with-gk-prj": Case(
        d.lonlat_with_gk_crs, 422, ("EPSG:4546", "area of use", "109.5", "crs=EPSG:4326")
    ),
    "antimeridian": Case(d.antimeridian_polygon, 422, ("antimeridian", "split it at 180")),
    "zip-exact-mebibyte-entries": Case(d.exact_mebibyte_entries, 413, ("zip bomb",)),
    "reserved-id-sqlite": Case(
        fc("ok.geojson", town(0)),
        400,
        ("sqlite_", "layer-id-reserved"),
        {"id": "sqlite_master"},
        NEW_LAYER,
    ),
    "reserved-id-postgis": Case(
        fc("ok.geojson", town(0)),
        400,
        ("PostGIS", "layer-id-reserved"),
        {"id": "spatial_ref_sys"},
        NEW_LAYER,
    ),
    "reserved-id-internal": Case(
        fc("ok.geojson", town(0)),
        400,
        ("gs_", "layer-id-reserved"),
        {"id": "gs_versions"},
        NEW_LAYER,
    ),
    "reserved-id-version-table": Case(
        fc("ok.geojson", town(0)), 400, ("__v", "layer-id-reserved"), {"id": "towns__v1"}, NEW_LAYER
    ),
}
