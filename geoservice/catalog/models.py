"""Declarative models of layers and styles, validated with ``extra="forbid"``.

A layer file (``layers/<id>.yaml``) says what a layer is: its titles, kind,
geometry, attribute schema, storage CRS, provenance and style. Deployment facts
(where the store is) never appear here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LAYER_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# A layer id names database tables: "<id>__v<n>" per version, a PostGIS view "<id>".
# PostgreSQL cuts identifiers at 63 bytes, so ids stay short enough for "__v9999999".
MAX_LAYER_ID_LENGTH = 50
RESERVED_ID_PREFIXES = {
    "sqlite_": "SQLite's internal tables",
    "gpkg_": "GeoPackage's metadata tables",
    "rtree_": "GeoPackage's spatial indexes",
    "gs_": "geoservice's own tables (versions, layers, prebuilt GeoJSON)",
    "pg_": "PostgreSQL's system catalogs",
}
RESERVED_IDS = {
    "spatial_ref_sys": "PostGIS",
    "geometry_columns": "PostGIS",
    "geography_columns": "PostGIS",
    "raster_columns": "PostGIS raster",
    "raster_overviews": "PostGIS raster",
    "topology": "PostGIS topology",
    "information_schema": "PostgreSQL",
    "public": "PostgreSQL",
}
ATTRIBUTE_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
RESERVED_ATTRIBUTES = frozenset({"fid", "geom", "geometry"})


def layer_id_problem(value: str) -> str | None:
    """Return why ``value`` cannot be a layer id (None if it can), naming the rule.

    Besides the spelling, an id must not collide with the tables a store keeps
    beside the layers: SQLite, GeoPackage, PostGIS and geoservice's own.
    """
    if not LAYER_ID_PATTERN.match(value) or len(value) > MAX_LAYER_ID_LENGTH:
        return (
            f"layer id {value[:80]!r} must start with a lower-case letter and hold only "
            f"lower-case letters, digits and '_' (at most {MAX_LAYER_ID_LENGTH} characters) "
            "[rule layer-id]"
        )
    for prefix, owner in RESERVED_ID_PREFIXES.items():
        if value.startswith(prefix):
            return (
                f"layer id {value!r} starts with {prefix!r}, reserved for {owner}; choose "
                "another id [rule layer-id-reserved]"
            )
    if value in RESERVED_IDS:
        return (
            f"layer id {value!r} is the name of a {RESERVED_IDS[value]} table; choose "
            "another id [rule layer-id-reserved]"
        )
    if "__" in value:
        return (
            f"layer id {value!r} holds '__', which geoservice uses to name a layer's "
            "versions (<id>__v<n>); use a single '_' [rule layer-id-reserved]"
        )
    return None


class Strict(BaseModel):
    """Base for declarative models: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A human-readable text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in ``lang`` (``zh`` or ``en``), falling back to Chinese."""
        return self.en if lang == "en" else self.zh


class LayerKind(StrEnum):
    """What a planning layer represents; maps group layers by kind."""

    admin_units = "admin_units"
    logistics = "logistics"
    tourism = "tourism"
    commercial = "commercial"
    services = "services"
    transport = "transport"
    farmland_grid = "farmland_grid"
    farmland_register = "farmland_register"
    farmland_patrols = "farmland_patrols"
    farmland_incidents = "farmland_incidents"
    farmland_assessment = "farmland_assessment"
    enterprise = "enterprise"
    idle_asset = "idle_asset"
    analysis_result = "analysis_result"


class GeometryType(StrEnum):
    """OGC simple-feature geometry types a layer may declare."""

    Point = "Point"
    MultiPoint = "MultiPoint"
    LineString = "LineString"
    MultiLineString = "MultiLineString"
    Polygon = "Polygon"
    MultiPolygon = "MultiPolygon"
    Geometry = "Geometry"  # mixed

    @property
    def family(self) -> str:
        """Return ``point``, ``line``, ``polygon`` or ``any``."""
        name = self.value.removeprefix("Multi").lower()
        return {"linestring": "line", "geometry": "any"}.get(name, name)


class AttributeType(StrEnum):
    """Attribute types, as in OGC API Features queryables (JSON Schema)."""

    string = "string"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


class AttributeDef(Strict):
    """One attribute of a layer's schema."""

    name: str
    type: AttributeType = AttributeType.string
    title: Text | None = None
    description: str | None = None
    required: bool = False
    enum: list[str | int | float] | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not ATTRIBUTE_NAME_PATTERN.match(value):
            raise ValueError(
                f"attribute name {value!r} must be letters, digits and '_' "
                "(it becomes a database column)"
            )
        if value.lower() in RESERVED_ATTRIBUTES:
            raise ValueError(f"attribute name {value!r} is reserved")
        return value


class SourceDef(Strict):
    """Where a layer's data come from, and under which terms."""

    description: str
    url: str | None = None
    license: str | None = None
    attribution: str | None = None


class TileOptions(Strict):
    """Per-layer vector-tile options."""

    attributes: list[str] | None = Field(
        None, description="Attributes written to tiles; all when unset."
    )
    min_zoom: int = 0
    max_zoom: int = 22


class UploadPolicy(Strict):
    """What an upload may do to this layer without being asked."""

    allow_repair: bool = Field(
        False, description="Repair invalid geometries with make_valid without asking."
    )
    expected_bbox: tuple[float, float, float, float] | None = Field(
        None, description="lon/lat box; features outside it are reported."
    )


class LayerDef(Strict):
    """A layer of the catalogue; ``id`` is the file stem of its YAML file."""

    id: str
    area: str | None = Field(
        None, description="Study area (the folder the file is in); set by the loader."
    )
    title: Text
    description: Text | None = None
    kind: LayerKind
    geometry_type: GeometryType
    storage_crs: str = "EPSG:4326"
    key: str | None = Field(
        None, description="Attribute that identifies a feature across versions."
    )
    attributes: list[AttributeDef]
    source: SourceDef
    style: str
    keywords: list[str] = []
    tiles: TileOptions = TileOptions()
    upload: UploadPolicy = UploadPolicy()
    data_quality: dict[str, Any] | None = Field(
        None,
        description="Of an analysis result: how its inputs were located (counts by "
        "class, symbolic positions left out); see geoservice.quality. Result maps show it.",
    )
    made_by: str | None = Field(
        None,
        description="Of an analysis result: the process that wrote it (map products draw "
        "the results of their processes, e.g. match_park on the logistics e-map).",
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        problem = layer_id_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LayerDef:
        names = [a.name for a in self.attributes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"attributes declared twice: {duplicates}")
        if self.key is not None and self.key not in names:
            raise ValueError(f"key {self.key!r} is not one of the attributes {names}")
        unknown = set(self.tiles.attributes or []) - set(names)
        if unknown:
            raise ValueError(f"tiles.attributes names unknown attributes {sorted(unknown)}")
        return self

    @property
    def attribute_names(self) -> list[str]:
        """Return the declared attribute names in order."""
        return [a.name for a in self.attributes]

    def attribute(self, name: str) -> AttributeDef | None:
        """Return the declaration of attribute ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class ClassBreak(Strict):
    """One class of a categorical or graduated style."""

    value: str | int | float | None = None
    upper: float | None = None
    color: Color
    label: Text | None = None


class Classification(Strict):
    """Colour features by an attribute: categories or graduated classes."""

    type: Literal["categorical", "graduated"]
    property: str
    classes: list[ClassBreak] = []
    scheme: Literal["quantiles", "equal_interval", "natural_breaks", "fixed"] = "fixed"
    k: int = 5
    palette: list[Color] | None = None
    default_color: Color = "#999999"


class LabelDef(Strict):
    """Text labels drawn on the map."""

    property: str = "name_zh"
    min_zoom: int = 10
    size: int = 12
    color: Color = "#222222"


class RasterStyle(Strict):
    """Rendering of raster layers (analysis surfaces)."""

    colormap: str = "viridis"
    rescale: tuple[float, float] | None = None
    nodata_transparent: bool = True


class StyleDef(Strict):
    """A style, shared by MapLibre style JSON, PNG rendering and Folium maps."""

    id: str
    title: Text
    geometry: Literal["point", "line", "polygon", "raster"]
    fill: Color = "#3388ff"
    fill_opacity: float = Field(0.35, ge=0, le=1)
    stroke: Color = "#3388ff"
    stroke_width: float = Field(1.5, ge=0)
    stroke_opacity: float = Field(1.0, ge=0, le=1)
    dash: str | None = Field(None, description="Leaflet/SVG dash array, e.g. '6 4'.")
    radius: float = Field(6, ge=0)
    classify: Classification | None = None
    label: LabelDef | None = None
    approximate_dash: str = Field(
        "6 4",
        description="Dash array for features with geometry_quality=approximate, so "
        "a planner sees at a glance that the outline is not surveyed.",
    )
    raster: RasterStyle | None = None
    legend: Text | None = None
