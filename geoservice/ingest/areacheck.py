"""Where an upload's features land on Earth: inside their CRS's area of use, and
not wrapped the long way round the antimeridian.

A projected CRS is only meaningful over its area of use (EPSG:4546 covers China
between 109.5°E and 112.5°E). Lon/lat numbers uploaded with such a ``.prj`` are
read as metres next to the false origin and land in the sea at [106.51,
0.0004]: every number is finite, nothing else looks wrong. Each feature, in
lon/lat, is compared with the area of use pyproj gives for the source CRS:
far outside is refused, a little outside is a warning.

A polygon from 179°E to 179°W written with plain longitudes is, for every
GIS, a 358°-wide band: such an edge (a jump of more than 180° of longitude
between two vertices) is refused with the way to split it.
"""

from __future__ import annotations

import numpy as np
import shapely

from geoservice.ingest.geomcheck import Batch
from geoservice.ingest.georef import SourceCRS
from geoservice.ingest.report import IngestReport

MARGIN_DEG = 2.0  # beyond the area of use by more than this (~200 km): refused


def check_area_of_use(
    lonlat: np.ndarray, batch: Batch, report: IngestReport, source: SourceCRS
) -> None:
    """Refuse features far outside the source CRS's area of use; warn when just outside."""
    area = source.crs.area_of_use
    if area is None or not len(lonlat):
        return
    west, south, east, north = area.bounds
    if east - west >= 359.9 and north - south >= 170:
        return  # the whole world (or all of it a Mercator shows)
    if west > east:  # the area crosses the antimeridian
        east += 360
    minx, miny, maxx, maxy = shapely.bounds(lonlat).T
    shift = np.where(maxx < west - MARGIN_DEG, 360.0, 0.0)
    minx, maxx = minx + shift, maxx + shift
    inside = (minx >= west) & (maxx <= east) & (miny >= south) & (maxy <= north)
    near = (maxx >= west - MARGIN_DEG) & (minx <= east + MARGIN_DEG)
    near &= (maxy >= south - MARGIN_DEG) & (miny <= north + MARGIN_DEG)
    present = ~shapely.is_missing(lonlat)
    described = _describe(source)
    for i in np.flatnonzero(present & ~inside):
        where = f"lies at lon {minx[i] - shift[i]:.4f}, lat {miny[i]:.4f}, outside"
        if near[i] or source.crs.is_geographic:
            report.warn(
                "crs-area",
                f"{where} the area of use of {described} (by less than {MARGIN_DEG:g}°); "
                "check that this CRS is right for it",
                *batch.at(i),
            )
        else:
            report.error(
                "crs-area",
                f"{where} the area of use of {described}{_degrees_hint(batch, i)}",
                *batch.at(i),
            )


def _describe(source: SourceCRS) -> str:
    area = source.crs.area_of_use
    name = area.name if len(area.name) <= 80 else area.name[:77] + "..."
    box = ", ".join(f"{v:g}" for v in area.bounds)
    return f"{source.code} ({source.crs.name}): {name} [{box}]"


def _degrees_hint(batch: Batch, i: int) -> str:
    minx, miny, maxx, maxy = shapely.bounds(batch.geoms[i])
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        return (
            f"; its coordinates ({minx:.4f}, {miny:.4f}) look like longitude/latitude "
            "degrees, not metres: the file's CRS (.prj) is probably wrong; upload again "
            "with crs=EPSG:4326 (or EPSG:4490 for CGCS2000)"
        )
    return "; the file's CRS (.prj or crs option) is probably wrong: pass the right crs=EPSG:xxxx"


def check_antimeridian(lonlat: np.ndarray, batch: Batch, report: IngestReport) -> None:
    """Refuse lines and polygons with an edge jumping more than 180° of longitude."""
    if not len(lonlat):
        return
    minx, _, maxx, _ = shapely.bounds(lonlat).T
    kinds = shapely.get_type_id(lonlat)
    for i in np.flatnonzero((maxx - minx > 180) & np.isin(kinds, [1, 2, 3, 5, 6, 7])):
        jump = _antimeridian_jump(lonlat[i])
        if jump is None:
            continue
        report.error(
            "antimeridian",
            f"crosses the antimeridian (180°): its edge from lon {jump[0]:.4f} to "
            f"{jump[1]:.4f} would go the long way round the Earth and make it "
            f"{maxx[i] - minx[i]:.0f}° wide; split it at 180° into two parts (ogr2ogr "
            "-wrapdateline, or QGIS: Vector > Geoprocessing > Split with a line at 180°)",
            *batch.at(i),
        )


def _antimeridian_jump(geom) -> tuple[float, float] | None:
    lines = []
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) == 3:
            lines.extend([part.exterior, *part.interiors])
        elif shapely.get_type_id(part) in (1, 2):
            lines.append(part)
        elif shapely.get_type_id(part) == 7:
            jump = _antimeridian_jump(part)
            if jump:
                return jump
    for line in lines:
        xy = shapely.get_coordinates(line)
        x, y = xy[:, 0], xy[:, 1]
        # An edge along a pole (Antarctica closes its ring from 180°,-90° to -180°,-90°)
        # is a point on the sphere, not a crossing.
        at_pole = (np.abs(y[:-1]) == 90) & (y[:-1] == y[1:])
        steps = np.flatnonzero((np.abs(np.diff(x)) > 180) & ~at_pole)
        if len(steps):
            return float(x[steps[0]]), float(x[steps[0] + 1])
    return None
