"""Spot uploads whose lon/lat are GCJ-02 or BD-09 while claiming WGS84.

Web maps in China publish offset coordinates; a boundary copied from AMap sits
100–700 m off the true one, a shift nobody notices at city scale. Two kinds of
pairs are compared: an uploaded polygon that matches a polygon of the stored
reference layer (the WGS84 district boundaries) closely but not exactly, and an
uploaded feature of any kind (villages as points, roads as lines) whose key
names a feature already stored in the layer. The median shift between the pairs'
centroids is compared with the GCJ-02 and BD-09 offsets at that place. A match
says which system the file is really in; any other systematic shift of that size
is still reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from geoservice.coords import convert_coords
from geoservice.ingest.report import IngestReport

MIN_SHIFT_M = 100.0
MAX_SHIFT_M = 700.0
MIN_OVERLAP = 0.6
METRES_PER_DEGREE = 111_320.0


MAX_PAIR_DISTANCE_M = 5_000.0  # a keyed pair further apart moved, it is not offset
MAX_SHIFTS = 1_000


@dataclass
class OffsetProbe:
    """Collects centroid shifts between uploaded features and stored ones (all WGS84).

    ``reference`` holds the study area's reference polygons; ``stored`` maps the
    target layer's key values to the centroids of its current features.
    """

    reference: np.ndarray  # shapely polygons, lon/lat WGS84
    stored: dict = field(default_factory=dict)  # key value -> shapely Point, lon/lat WGS84
    shifts: list[tuple[float, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.reference)

    def add(self, geoms: np.ndarray, keys: list | None = None) -> None:
        """Pair a batch's features (lon/lat WGS84) with stored ones and keep the shifts."""
        if len(self.shifts) > MAX_SHIFTS:
            return
        if keys is not None and self.stored:
            self._add_keyed(geoms, keys)
        polygons = geoms[np.isin(shapely.get_type_id(geoms), [3, 6])]
        if not len(polygons) or not len(self.reference):
            return
        upload_idx, ref_idx = self.tree.query(polygons, predicate="intersects")
        for i, j in zip(upload_idx, ref_idx, strict=True):
            a, b = polygons[i], self.reference[j]
            overlap = shapely.area(shapely.intersection(a, b)) / shapely.area(shapely.union(a, b))
            if overlap >= MIN_OVERLAP:
                ca, cb = shapely.centroid(a), shapely.centroid(b)
                self.shifts.append((cb.x, cb.y, ca.x - cb.x, ca.y - cb.y))

    def _add_keyed(self, geoms: np.ndarray, keys: list) -> None:
        for geom, key in zip(geoms, keys, strict=True):
            before = self.stored.get(key)
            if before is None or geom is None or shapely.is_empty(geom):
                continue
            now = shapely.centroid(geom)
            shift = _metres(now.x - before.x, now.y - before.y, before.y)
            if 0 < math.hypot(*shift) <= MAX_PAIR_DISTANCE_M:
                self.shifts.append((before.x, before.y, now.x - before.x, now.y - before.y))

    def report(self, report: IngestReport, coordinate_system: str) -> None:
        """Warn when the matched polygons are shifted by 100–700 m."""
        if not self.shifts:
            return
        lon, lat, dlon, dlat = (float(np.median(c)) for c in zip(*self.shifts, strict=True))
        shift = _metres(dlon, dlat, lat)
        if not MIN_SHIFT_M <= math.hypot(*shift) <= MAX_SHIFT_M:
            return
        guess = _which_system(lon, lat, shift)
        size = f"{math.hypot(*shift):.0f} m"
        if guess and coordinate_system == "wgs84":
            advice = (
                f"it matches the {guess.upper()} offset: the file is probably {guess.upper()} "
                f"(from a Chinese web map); upload again with coordinate_system={guess}"
            )
        else:
            advice = "check the file's CRS and datum"
        report.warn(
            "coordinate-offset",
            f"{len(self.shifts)} feature(s) match stored ones (the reference boundaries, or "
            f"the layer's features with the same key) but are shifted by {size} (east "
            f"{shift[0]:.0f} m, north {shift[1]:.0f} m); {advice}",
        )


def _metres(dlon: float, dlat: float, lat: float) -> tuple[float, float]:
    return (dlon * METRES_PER_DEGREE * math.cos(math.radians(lat)), dlat * METRES_PER_DEGREE)


def _which_system(lon: float, lat: float, shift: tuple[float, float]) -> str | None:
    for system in ("gcj02", "bd09"):
        x, y = convert_coords(lon, lat, src="wgs84", dst=system)
        expected = _metres(x - lon, y - lat, lat)
        error = math.hypot(shift[0] - expected[0], shift[1] - expected[1])
        if error < 0.25 * math.hypot(*expected):
            return system
    return None
