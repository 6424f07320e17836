"""Process inputs: pydantic models whose fields are the OGC inputs.

A layer input is either a collection of this service, optionally filtered with
CQL2 and pinned to a version (``{"collection": "villages", "filter": "kind =
'village'"}``), or inline GeoJSON (a FeatureCollection in lon/lat). Everything
else is a scalar option. Validation errors become one 400 message naming each
input and the rule it breaks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)

from geoservice.catalog.models import LAYER_ID_PATTERN
from geoservice.errors import InvalidParameter


class CollectionInput(BaseModel):
    """A layer of this service: by id (or its ``/collections/{id}`` URL)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    collection: str = Field(description="Collection id, or a URL ending in /collections/{id}")
    filter: str | None = Field(None, description="CQL2 filter selecting features")
    filter_lang: Literal["cql2-text", "cql2-json"] = Field("cql2-text", alias="filter-lang")
    version: int | None = Field(None, ge=1, description="A past version of the layer")

    @property
    def layer_id(self) -> str:
        """Return the collection id (the last path part of a URL)."""
        text = self.collection.rstrip("/")
        if "/collections/" in text:
            text = text.split("/collections/", 1)[1].split("/", 1)[0]
        return text


class InlineFeatures(BaseModel):
    """A GeoJSON FeatureCollection in lon/lat (RFC 7946)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(description="GeoJSON features")


def _input_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "collection" in value:
            return "by_collection"
        if value.get("type") == "FeatureCollection":
            return "inline_geojson"
    elif isinstance(value, CollectionInput):
        return "by_collection"
    elif isinstance(value, InlineFeatures):
        return "inline_geojson"
    return None


FeatureInput = Annotated[
    Annotated[CollectionInput, Tag("by_collection")]
    | Annotated[InlineFeatures, Tag("inline_geojson")],
    Discriminator(
        _input_kind,
        custom_error_type="layer_input",
        custom_error_message=(
            'give {"collection": "<id>", "filter": "<cql2-text>"} or an inline GeoJSON '
            "FeatureCollection"
        ),
    ),
]
"""A layer input: a collection reference or inline GeoJSON."""

LayerId = Annotated[str, Field(pattern=LAYER_ID_PATTERN.pattern, max_length=50)]
"""An id for a result collection."""


class ProcessInputs(BaseModel):
    """Base of every process's inputs: unknown inputs are refused.

    Every run belongs to a study area: it measures in the area's metric CRS,
    finds the area's indicator files and publishes its results in the area.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    area: str | None = Field(
        None,
        description="Study area (see /areas): its metric CRS is used for distances and "
        "areas, its indicator files are read, results join it. Default: the area of the "
        "first collection input, else the service's default area.",
        max_length=63,
    )
    include_symbolic: bool = Field(
        False,
        description="Also use features with symbolic positions (placement_method "
        "rule:symbolic: drawn at a reference point, not a location). Default: they are "
        "left out of distance analyses; the result's data_quality counts them.",
    )

    def collection_inputs(self) -> list[tuple[str, CollectionInput]]:
        """Return the (name, reference) of every collection input given, in field order."""
        found = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, CollectionInput):
                found.append((name, value))
        return found


class ResultInputs(ProcessInputs):
    """Inputs of processes that write result collections."""

    out_layer: LayerId | None = Field(
        None,
        description="Id of the result collection (others get it as a prefix); "
        "default '<process>_<job id>'. An existing result collection gets a new version; "
        "a source layer is never replaced.",
    )


class NetworkInputs(ResultInputs):
    """Inputs of processes that may route over a road layer."""

    roads: FeatureInput | None = Field(
        None, description="Road lines to route over (needed with minutes)"
    )
    profile: Literal["walk", "drive"] = Field(
        "walk", description="walk: 4.8 km/h on every road but expressways; drive: road speeds"
    )
    class_column: str | None = Field(
        "road_class", description="Road-class column of roads (OSM layers: highway)"
    )
    speed_column: str | None = Field(
        None, description="Numeric km/h column of roads, used by the drive profile"
    )
    split_crossings: bool = Field(
        True, description="Join lines where they cross without a shared vertex (drawn layers)"
    )

    def network_needed(self, minutes: Any) -> None:
        """Raise unless roads are given when travel time is asked for."""
        if minutes is not None and self.roads is None:
            raise ValueError("input 'roads': minutes needs a road layer to route over")


def parse_inputs(model: type[ProcessInputs], raw: Any) -> ProcessInputs:
    """Validate an execute request's ``inputs`` object; raise one 400 naming every problem."""
    if not isinstance(raw, dict):
        raise InvalidParameter("'inputs' must be a JSON object of input id → value")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors(include_url=False)]
        raise InvalidParameter(
            "invalid inputs: " + "; ".join(problems), details={"problems": problems}
        ) from None


_TAGS = ("by_collection", "inline_geojson")


def _describe(err: dict) -> str:
    loc = [str(p) for p in err["loc"] if p not in _TAGS]
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        if len(loc) == 1:
            return f"input '{loc[0]}' is not an input of this process"
        return f"input '{loc[0]}': unknown member '{'.'.join(loc[1:])}'"
    if not loc:
        return msg
    name = loc[0] + ("" if len(loc) == 1 else f" ({'.'.join(loc[1:])})")
    return f"input '{name}': {msg}"


def json_schema_of(model: type[BaseModel], field: str) -> dict:
    """Return the JSON schema of one input, with its $refs resolved inline."""
    full = model.model_json_schema(by_alias=True)
    defs = full.get("$defs", {})
    return _inline(full["properties"][field], defs)


def _inline(node: Any, defs: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[1]]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**target, **rest}, defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node
