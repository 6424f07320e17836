"""Study areas: the places a deployment serves, each declared as a folder of files.

A study area is ``layers/<area>/area.yaml`` beside that area's layer files and its
indicator files (``layers/<area>/indicators/*.yaml``). It says what the service
needs to know about a place that is not a deployment fact: its names, which
features of which layer are its boundary, the metric CRS distances and areas are
measured in, where a map opens, which layer uploads are compared with to spot a
GCJ-02 offset, and which sample-data builder (if any) fills it. Adding a place is
adding a folder; no Python changes.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from geoservice.catalog.models import Strict, Text
from geoservice.crs import gauss_kruger_crs

AREA_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LonLatBox = tuple[float, float, float, float]


class BoundaryDef(Strict):
    """Which features of which layer outline the area."""

    layer: str = Field(description="Id of the layer holding the boundary.")
    filter: str | None = Field(
        None, description="CQL2 text selecting the area's own features of that layer."
    )


class OneMapDef(Strict):
    """The area's one-map (一张图): its title and, optionally, which layers it shows."""

    title: Text | None = None
    layers: list[str] | None = Field(
        None, description="Layer ids in drawing order; every layer of the area if unset."
    )


class AreaDef(Strict):
    """A study area; ``id`` is the name of its folder under ``layers/``."""

    id: str
    title: Text
    description: Text | None = None
    default: bool = Field(
        False, description="The area served at URLs that name no area (one per deployment)."
    )
    boundary: BoundaryDef | None = None
    bounds: LonLatBox | None = Field(
        None,
        description="lon/lat box maps open on and the metric CRS is chosen from; "
        "the boundary's extent when unset.",
    )
    metric_crs: str | None = Field(
        None,
        description="Projected CRS in metres for distances and areas; the CGCS2000 "
        "3-degree Gauss-Krüger zone of the area's central longitude when unset.",
    )
    reference_layer: str | None = Field(
        None,
        description="WGS84 layer uploads are compared with to spot a GCJ-02/BD-09 "
        "offset; the boundary layer when unset.",
    )
    sample_data: str | None = Field(
        None, description="Name of the sample-data builder that fills this area, if any."
    )
    one_map: OneMapDef = OneMapDef()
    sources: list[str] = Field(
        [], description="Where the area's facts come from (plans, data sets), for people."
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not AREA_ID_PATTERN.match(value):
            raise ValueError(
                f"area id {value!r} (the folder name) must start with a lower-case letter "
                "and hold only lower-case letters, digits, '_' and '-'"
            )
        return value

    @field_validator("bounds")
    @classmethod
    def _valid_bounds(cls, value: LonLatBox | None) -> LonLatBox | None:
        if value is None:
            return value
        minx, miny, maxx, maxy = value
        if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
            raise ValueError(
                f"bounds {list(value)} must be [min lon, min lat, max lon, max lat] in degrees"
            )
        return value

    @property
    def reference(self) -> str | None:
        """Return the layer uploads are compared with for a GCJ-02 offset."""
        if self.reference_layer:
            return self.reference_layer
        return self.boundary.layer if self.boundary else None

    def one_map_title(self, lang: str) -> str:
        """Return the one-map title in ``lang``."""
        if self.one_map.title is not None:
            return self.one_map.title.get(lang)
        name = self.title.get(lang)
        return f"{name}一张图" if lang == "zh" else f"{name}: one map"

    def metric_crs_for(self, bounds: LonLatBox | None = None) -> str | None:
        """Return the area's metric CRS: declared, else the GK zone of its centre.

        ``bounds`` (the boundary's extent, lon/lat) is used when the area declares
        neither a CRS nor bounds; None when nothing places the area.
        """
        if self.metric_crs:
            return self.metric_crs
        box = self.bounds or bounds
        if box is None:
            return None
        return gauss_kruger_crs((box[0] + box[2]) / 2)
