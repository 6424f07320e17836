"""Geometry checks of one batch of an upload, in the file's own CRS.

Each check records findings naming the feature (its position in the file) and
the rule; limits that make the upload too big raise at once (413). Repairs
(``make_valid``, dropping Z/M) happen only when the options or the layer's
policy allow them, and each is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from geoservice.errors import UploadTooLarge
from geoservice.ingest.georef import SourceCRS, gk_zone_hint
from geoservice.ingest.report import IngestReport

FAMILY_IDS = {"point": {0, 4}, "line": {1, 2, 5}, "polygon": {3, 6}}
# Real lon/lat data reaches a floating-point hair past the range (Natural Earth's
# countries touch -180.00000000000003): within this many degrees (about a millimetre)
# coordinates are clamped onto the range with a warning, further out they are refused.
DEGREE_TOLERANCE = 1e-8
FIX_HINT = (
    "fix it in QGIS (Vector > Geometry Tools > Fix Geometries) or upload again with repair=true"
)


@dataclass
class GeometryPolicy:
    """What the target layer accepts and what may be changed."""

    family: str  # "point", "line", "polygon" or "any"
    repair: bool
    force_2d: bool
    max_feature_coordinates: int


@dataclass
class Batch:
    """Geometries of one batch with their file positions and key values.

    ``reported`` marks rows whose geometry problem the reader already reported
    (unreadable WKB, a NaN point, a CSV lon that is not a number).
    """

    geoms: np.ndarray
    positions: np.ndarray
    keys: list[Any]
    reported: np.ndarray | None = None

    def at(self, i: int) -> tuple[int, Any]:
        """Return (file position, key) of row ``i``."""
        return int(self.positions[i]), self.keys[i]


def check_geometries(
    batch: Batch, report: IngestReport, policy: GeometryPolicy, source: SourceCRS
) -> np.ndarray:
    """Run every geometry check on a batch; return the (possibly repaired) geometries."""
    present = _presence(batch, report)
    _types(batch, present, report, policy)
    _coordinates(batch, present, report, policy)
    if not _finite(batch, present, report):
        return batch.geoms
    geoms = _dimensions(batch, present, report, policy)
    geoms = _ranges(Batch(geoms, batch.positions, batch.keys), present, report, source)
    return _validity(Batch(geoms, batch.positions, batch.keys), present, report, policy)


def _presence(batch: Batch, report: IngestReport) -> np.ndarray:
    missing = shapely.is_missing(batch.geoms)
    empty = np.zeros_like(missing)
    empty[~missing] = shapely.is_empty(batch.geoms[~missing])
    unreported = ~batch.reported if batch.reported is not None else np.ones_like(missing)
    for i in np.flatnonzero((missing | empty) & unreported):
        report.error("geometry-missing", "has no geometry; give it one or remove it", *batch.at(i))
    return ~(missing | empty)


def _types(batch: Batch, present: np.ndarray, report: IngestReport, policy: GeometryPolicy):
    kinds = shapely.get_type_id(batch.geoms)
    names, counts = np.unique(shapely.get_type_id(batch.geoms[present]), return_counts=True)
    for type_id, n in zip(names, counts, strict=True):
        report.geometry_types[_TYPE_NAMES[int(type_id)]] += int(n)
    allowed = FAMILY_IDS.get(policy.family)
    bad = present & (kinds == 7) if allowed is None else present & ~np.isin(kinds, list(allowed))
    for i in np.flatnonzero(bad):
        got = _TYPE_NAMES[int(kinds[i])]
        report.error(
            "geometry-type",
            f"is a {got} but the layer holds {policy.family}s; split the file by "
            "geometry type and upload each part to a layer of that type",
            *batch.at(i),
        )


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _coordinates(batch, present, report: IngestReport, policy: GeometryPolicy) -> None:
    counts = shapely.get_num_coordinates(batch.geoms)
    over = np.flatnonzero(counts > policy.max_feature_coordinates)
    if len(over):
        position, _key = batch.at(over[0])
        raise UploadTooLarge(
            f"{report.file}, {report.place(position)}: {int(counts[over[0]]):,} vertices, "
            f"more than the limit of {policy.max_feature_coordinates:,} per feature; "
            "simplify it or split it [rule feature-coordinates]"
        )
    report.counts[("info", "coordinates")] += int(counts.sum())


def _finite(batch: Batch, present: np.ndarray, report: IngestReport) -> bool:
    coords, index = shapely.get_coordinates(batch.geoms[present], return_index=True)
    bad_rows = ~np.isfinite(coords).all(axis=1)
    if not bad_rows.any():
        return True
    rows = np.flatnonzero(present)
    bad = np.flatnonzero(bad_rows)
    _, first = np.unique(index[bad], return_index=True)  # the first bad vertex of each row
    for k in bad[first]:
        row = int(index[k])
        vertex = k - int(np.searchsorted(index, row))
        x, y = coords[k]
        kind = "NaN (not a number)" if np.isnan(coords[k]).any() else "infinite"
        report.error(
            "coordinates-finite",
            f"has a {kind} coordinate (vertex {vertex + 1}: {x}, {y}); fix or remove that vertex",
            *batch.at(rows[row]),
        )
    return False


def _dimensions(batch, present, report: IngestReport, policy: GeometryPolicy) -> np.ndarray:
    geoms = batch.geoms
    has_z = present & shapely.has_z(geoms)
    has_m = present & shapely.has_m(geoms)
    if not (has_z.any() or has_m.any()):
        return geoms
    z = shapely.get_coordinates(geoms[has_z], include_z=True)[:, 2] if has_z.any() else []
    flat_z = bool(np.all((np.asarray(z) == 0) | np.isnan(z)))
    if policy.force_2d or (flat_z and not has_m.any()):
        what = "Z/M values" if has_m.any() else ("Z values (all 0)" if flat_z else "Z values")
        report.repaired(
            "geometry-2d", f"{what} dropped from {int((has_z | has_m).sum())} feature(s)"
        )
        return shapely.force_2d(geoms)
    for i in np.flatnonzero(has_z | has_m)[:50]:
        what = "M (measure)" if has_m[i] else "Z (height)"
        report.error(
            "geometry-3d",
            f"has {what} values; the layer stores 2D geometries: upload again with "
            "force_2d=true to drop them",
            *batch.at(i),
        )
    return geoms


def _ranges(
    batch: Batch, present: np.ndarray, report: IngestReport, source: SourceCRS
) -> np.ndarray:
    bounds = shapely.bounds(batch.geoms)
    if source.crs.is_geographic:
        return _geographic_ranges(batch, present, bounds, report)
    if not present.any():
        return batch.geoms
    hint = gk_zone_hint(source.epsg, float(np.median(bounds[present, 0])))
    if hint and not report.has("crs-zone"):
        report.error("crs-zone", f"the coordinates do not fit {source.code}: {hint}")
    swapped = present & (bounds[:, 0] > 2_000_000) & (bounds[:, 2] < 7_000_000)
    swapped &= bounds[:, 3] < 1_000_000
    if (source.epsg or 0) in range(4502, 4555):
        for i in np.flatnonzero(swapped):
            report.error(
                "axis-swapped",
                "easting and northing look swapped (x is a northing); swap the columns",
                *batch.at(i),
            )
    return batch.geoms


def _geographic_ranges(batch, present, bounds, report: IngestReport) -> np.ndarray:
    geoms = batch.geoms
    minx, miny, maxx, maxy = bounds.T
    beyond = present & ((minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90))
    hair = DEGREE_TOLERANCE
    within_hair = beyond & (minx >= -180 - hair) & (maxx <= 180 + hair)
    within_hair &= (miny >= -90 - hair) & (maxy <= 90 + hair)
    if within_hair.any():
        geoms = geoms.copy()
        geoms[within_hair] = shapely.transform(geoms[within_hair], _clamp_to_degrees)
        rows = np.flatnonzero(within_hair)
        report.warn(
            "coordinates-clamped",
            f"{len(rows)} feature(s) reach less than {hair:g}° past ±180°/±90° "
            "(floating-point rounding in the source); those coordinates were set onto the "
            "range (the first is named here)",
            *batch.at(int(rows[0])),
        )
    outside = beyond & ~within_hair
    china_swapped = present & (minx >= 3) & (maxx <= 54) & (miny >= 73) & (maxy <= 136)
    for i in np.flatnonzero(outside | china_swapped):
        if china_swapped[i] or (abs(minx[i]) <= 90 and abs(maxx[i]) <= 90):
            message = (
                f"coordinates look like latitude, longitude ({minx[i]:.4f}, {miny[i]:.4f}); "
                "longitude must come first: swap the columns or coordinates"
            )
            report.error("lat-lon-swapped", message, *batch.at(i))
        else:
            report.error(
                "coordinates-range",
                f"coordinates ({minx[i]:.1f}, {miny[i]:.1f}) are not longitude/latitude "
                "degrees; the CRS is probably wrong: pass crs=EPSG:xxxx",
                *batch.at(i),
            )
    return geoms


def _clamp_to_degrees(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(
        (np.clip(coords[:, 0], -180.0, 180.0), np.clip(coords[:, 1], -90.0, 90.0))
    )


def _validity(batch: Batch, present, report: IngestReport, policy: GeometryPolicy):
    geoms = batch.geoms
    invalid = present & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    reasons = shapely.is_valid_reason(geoms[invalid])
    rows = np.flatnonzero(invalid)
    if not policy.repair:
        for i, reason in zip(rows, reasons, strict=True):
            report.error("geometry-valid", f"invalid geometry: {reason}; {FIX_HINT}", *batch.at(i))
        return geoms
    out = geoms.copy()
    out[rows] = [_repair(g, policy.family) for g in geoms[rows]]
    for i, reason in zip(rows, reasons, strict=True):
        report.repaired("geometry-valid", f"made valid (was: {reason})", *batch.at(i))
    return out


def _repair(geom: shapely.Geometry, family: str) -> shapely.Geometry:
    if family == "polygon":
        fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    else:
        fixed = shapely.make_valid(geom)
    allowed = FAMILY_IDS.get(family)
    if allowed is None or shapely.get_type_id(fixed) in allowed:
        return fixed
    parts = [p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in allowed]
    collect = {"point": shapely.multipoints, "line": shapely.multilinestrings}
    return collect.get(family, shapely.multipolygons)(parts)
