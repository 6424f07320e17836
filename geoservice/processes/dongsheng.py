"""The Dongsheng sample outputs: the plan's spatial questions run on the sample layers.

Each step is a process with its inputs, so the CLI (``geoservice analyse
dongsheng``) and the tests run exactly what a client could POST. Caveats travel
with the numbers: the sample's logistics and commercial positions are mostly
rule-placed, the villages are the 20 with a public point, the roads are
schematic and there are no city streets (see data/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLACED = "placement_method <> 'rule:symbolic'"
"""Symbolic placements are not locations: never measure distances from them."""
BUSINESS_CIRCLES = {"collection": "commercial_districts", "filter": "category = 'business_circle'"}
LOGISTICS = {"collection": "logistics", "filter": PLACED}
STUDY_AREA = {"collection": "district", "filter": "is_study_area = true"}


@dataclass(frozen=True)
class Step:
    """One sample output: a process, its inputs, and what it answers."""

    key: str
    process_id: str
    inputs: dict[str, Any]
    question: str


STEPS: tuple[Step, ...] = (
    Step(
        "villages_logistics",
        "coverage",
        {"facilities": LOGISTICS, "demand": {"collection": "villages"}, "distance_m": 3000,
         "raster_cell_m": 250, "out_layer": "dongsheng_villages_logistics_3km"},
        "Villages and communities within 3 km (straight line) of a placed logistics facility",
    ),
    Step(
        "cells_logistics",
        "coverage",
        {"facilities": LOGISTICS, "demand": {"collection": "farmland_grid"}, "distance_m": 3000,
         "units": {"collection": "farmland_grid_units", "filter": "level = 2"}, "unit_key": "code",
         "out_layer": "dongsheng_cells_logistics_3km"},
        "Share of farmland-grid area within 3 km of a placed logistics facility, per unit",
    ),
    Step(
        "business_circles_walk",
        "isochrones",
        {"facilities": BUSINESS_CIRCLES, "roads": {"collection": "roads"}, "minutes": [10],
         "per_facility": True, "profile": "walk", "class_column": "road_class",
         "out_layer": "dongsheng_business_circles_walk10"},
        "10-minute walking circles of the two city business circles, along the sample roads",
    ),
    Step(
        "huff",
        "huff",
        {"demand": {"collection": "villages"}, "facilities": BUSINESS_CIRCLES,
         "attractiveness_value": 1.0, "decay_exponent": 2.0,
         "out_layer": "dongsheng_huff_business_circles"},
        "Huff catchments of the two business circles (equal attractiveness assumed: the "
        "sample has no floor area for either)",
    ),
    Step(
        "nesting_cells",
        "farmland-grid-check",
        {"cells": {"collection": "farmland_grid"},
         "parents": {"collection": "farmland_grid_units", "filter": "level = 2"},
         "out_layer": "dongsheng_farmland_nesting_l3"},
        "Do the basic-grid cells nest in the level-2 towns/streets?",
    ),
    Step(
        "nesting_units",
        "farmland-grid-check",
        {"cells": {"collection": "farmland_grid_units", "filter": "level = 2"},
         "parents": {"collection": "farmland_grid_units", "filter": "level = 1"},
         "code_rule": "prefix", "out_layer": "dongsheng_farmland_nesting_l2"},
        "Do the level-2 units nest in (and cover) the level-1 district grid?",
    ),
    Step(
        "indicators_plan",
        "indicators",
        {"file": "dongsheng-services-plan"},
        "The Dongsheng services plan's spatial targets",
    ),
    Step(
        "indicators_express",
        "indicators",
        {"file": "inner-mongolia-express-delivery"},
        "The regional express-delivery targets applied to Dongsheng's villages",
    ),
)  # fmt: skip


def headline(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Pick the numbers a planner reads first from the steps' results documents."""
    out: dict[str, Any] = {}
    if "villages_logistics" in results:
        s = results["villages_logistics"]["summary"]
        out["villages_within_3km"] = f"{s['covered_features']} of {s['features']}"
    if "cells_logistics" in results:
        s = results["cells_logistics"]["summary"]
        out["farmland_area_share_within_3km"] = round(s["area_share"], 4)
    if "business_circles_walk" in results:
        facilities = results["business_circles_walk"]["facilities"]
        out["business_circles_off_network"] = sum(f["off_network"] for f in facilities)
    if "huff" in results:
        out["huff_assumption"] = results["huff"]["summary"]["attractiveness"]
    for key in ("nesting_cells", "nesting_units"):
        if key in results:
            s = results[key]["summary"]
            out[key] = {"ok": s["ok"], "problems": s["problems"], "gap_m2": round(s["gap_area_m2"])}
    for key in ("indicators_plan", "indicators_express"):
        if key in results:
            out[key] = {
                r["id"]: r["comparison"] if r["status"] != "not_evaluable" else "not evaluable"
                for r in results[key]["indicators"]
            }
    return out
