"""Where an upload's coordinates are: its CRS, GCJ-02/BD-09, and moving them to storage.

The CRS comes from the file (``.prj``, GeoPackage, GeoJSON's WGS84) or from the
``crs`` option, which wins. CGCS2000 (EPSG:4490) and its Gauss-Krüger zones are
recognised and named, so the report says "CGCS2000 3° GK, CM 111E" rather than
a bare code. GCJ-02 and BD-09 have no EPSG code: they are lon/lat with an
offset, removed with :mod:`geoservice.coords` before reprojection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoservice.coords import convert_geometry
from geoservice.crs import reproject_geometries
from geoservice.errors import InvalidParameter, InvalidUpload

EXAMPLES = "EPSG:4490 (CGCS2000 lon/lat), EPSG:4546 (CGCS2000 GK CM 111E, Dongsheng), EPSG:4326"


@dataclass(frozen=True)
class SourceCRS:
    """The CRS an upload's coordinates are in, and where that came from."""

    crs: CRS
    how: str  # "file", "option" or "assumed"

    @property
    def code(self) -> str:
        """Return ``EPSG:n`` when known, else the CRS as WKT (for transformers)."""
        epsg = self.crs.to_epsg(min_confidence=70)
        return f"EPSG:{epsg}" if epsg else self.crs.to_wkt()

    @property
    def epsg(self) -> int | None:
        """Return the EPSG code, if any."""
        return self.crs.to_epsg(min_confidence=70)

    def as_dict(self, storage_crs: str) -> dict[str, Any]:
        """Return the JSON form for the report."""
        epsg = self.epsg
        return {
            "source": f"EPSG:{epsg}" if epsg else "custom",
            "name": self.crs.name,
            "family": cgcs2000_family(epsg),
            "how": self.how,
            "storage": storage_crs,
        }


def parse_crs_option(value: str) -> CRS:
    """Parse a ``crs`` option (``EPSG:n``, a bare code, an OGC URI or WKT), or refuse it."""
    text = value.strip()
    lowered = text.lower()
    for prefix in (
        "http://www.opengis.net/def/crs/epsg/0/",
        "https://www.opengis.net/def/crs/epsg/0/",
    ):
        if lowered.startswith(prefix):
            text = "EPSG:" + text[len(prefix) :]
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise InvalidParameter(
            f"crs={value!r} is not a CRS pyproj knows; e.g. {EXAMPLES}"
        ) from None


def resolve_source_crs(
    file_crs: str | None, override: str | None, *, label: str, lonlat_columns: bool
) -> SourceCRS:
    """Return the CRS of the upload: the option, else the file's, else refuse.

    A CSV with lon/lat columns and no CRS is taken as WGS84 (``how="assumed"``):
    the column names say the numbers are degrees.
    """
    if override:
        return SourceCRS(parse_crs_option(override), "option")
    if file_crs:
        try:
            return SourceCRS(CRS.from_user_input(file_crs), "file")
        except CRSError:
            raise InvalidUpload(
                f"{label}: the file's CRS (.prj) is not understood; pass crs=EPSG:xxxx, "
                f"e.g. {EXAMPLES} [rule crs]"
            ) from None
    if lonlat_columns:
        return SourceCRS(CRS.from_epsg(4326), "assumed")
    if label.lower().endswith(".csv"):
        why = "a CSV's WKT column carries no CRS"
        fix = "upload again with crs=EPSG:xxxx"
    else:
        why = "a shapefile needs its .prj"
        fix = "add the .prj to the archive or upload again with crs=EPSG:xxxx"
    raise InvalidUpload(f"{label}: the file has no CRS ({why}); {fix}, e.g. {EXAMPLES} [rule crs]")


def cgcs2000_family(epsg: int | None) -> str | None:
    """Name the CGCS2000 system an EPSG code belongs to (None for others)."""
    if epsg == 4490:
        return "CGCS2000 geographic (lon/lat)"
    if epsg is None or not 4491 <= epsg <= 4554:
        return None
    if epsg <= 4501:
        return f"CGCS2000 6° Gauss-Krüger zone {epsg - 4491 + 13} (zone number in easting)"
    if epsg <= 4512:
        return f"CGCS2000 6° Gauss-Krüger CM {75 + 6 * (epsg - 4502)}E"
    if epsg <= 4533:
        return f"CGCS2000 3° Gauss-Krüger zone {epsg - 4513 + 25} (zone number in easting)"
    return f"CGCS2000 3° Gauss-Krüger CM {75 + 3 * (epsg - 4534)}E"


def gk_zone_hint(epsg: int | None, x: float) -> str | None:
    """Explain a Gauss-Krüger easting that does not fit the declared zone style."""
    if epsg is None:
        return None
    prefixed = 4491 <= epsg <= 4501 or 4513 <= epsg <= 4533
    cm_style = 4502 <= epsg <= 4512 or 4534 <= epsg <= 4554
    if cm_style and x > 1_000_000:
        zone = int(x // 1_000_000)
        alt = 4513 + zone - 25 if 25 <= zone <= 45 else None
        use = f"EPSG:{alt}" if alt else "the zone-numbered CRS"
        return f"eastings like {x:.0f} carry a zone number ({zone}); use crs={use}"
    if prefixed and x < 1_000_000:
        return (
            f"eastings like {x:.0f} have no zone number, but EPSG:{epsg} expects one; "
            "use the matching 'CM' CRS (EPSG:4534-4554)"
        )
    return None


def to_storage(
    geoms: np.ndarray, source: SourceCRS, storage_crs: str, coordinate_system: str
) -> np.ndarray:
    """Return geometries moved from the source CRS (and GCJ-02/BD-09) to storage."""
    src = source.code
    if coordinate_system != "wgs84":
        if not source.crs.is_geographic:
            raise InvalidParameter(
                f"coordinate_system={coordinate_system} applies to lon/lat data, but the "
                f"file is in {source.crs.name}; drop the option or fix the CRS"
            )
        geoms = reproject_geometries(geoms, src, "EPSG:4326")
        geoms = convert_geometry(geoms, src=coordinate_system, dst="wgs84")
        src = "EPSG:4326"
    return reproject_geometries(geoms, src, storage_crs)
