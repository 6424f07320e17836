"""Documents behind the farmland pages: JSON forms, the scoring CSV, the ratings choropleth."""

from __future__ import annotations

import csv
import dataclasses
import io

from geoservice.farmland.gridmap import GridMap
from geoservice.farmland.report import MonthlyReport
from geoservice.farmland.scheme import SCORING_ITEMS
from geoservice.farmland.scoring import UnitScore

RATING_CSS = {
    "优秀": "rating-excellent",
    "良好": "rating-good",
    "合格": "rating-pass",
    "不合格": "rating-fail",
}


def map_document(grid: GridMap) -> dict:
    """Return a grid map as JSON (the outlines stay on the page: they are SVG paths)."""
    return {
        "level": grid.level,
        "code": grid.code,
        "name_zh": grid.name_zh,
        "name_en": grid.name_en,
        "parent_code": grid.parent_code,
        "children": grid.children,
        "responsible": [dataclasses.asdict(r) for r in grid.responsible],
        "sources": grid.sources,
    }


def report_document(report: MonthlyReport) -> dict:
    """Return a monthly report as JSON."""
    return {
        "unit_code": report.unit_code,
        "name_zh": report.name_zh,
        "name_en": report.name_en,
        "month": report.month,
        "as_of": report.as_of,
        "patrols_done": report.patrols_done,
        "patrols_expected": report.patrols_expected,
        "cells_unpatrolled": report.cells_unpatrolled,
        "incidents_reported": report.incidents_reported,
        "patrols_per_cell": report.patrols_per_cell,
        "overdue_days": report.overdue_days,
        "cells": [dataclasses.asdict(c) for c in report.cells],
        "incidents_by_category_status": report.by_category_status,
        "overdue": report.overdue,
    }


def scores_document(scores: list[UnitScore]) -> dict:
    """Return the yearly scores as JSON."""
    return {"units": [_score_dict(s) for s in scores]}


def _score_dict(score: UnitScore) -> dict:
    return {
        "unit_code": score.unit_code,
        "name_zh": score.name_zh,
        "name_en": score.name_en,
        "year": score.year,
        "items": [dataclasses.asdict(i) for i in score.items],
        "total": score.total,
        "complete": score.complete,
        "rating": score.rating[0] if score.rating else None,
        "rectification_rate": score.rectification_rate,
    }


def scores_csv(scores: list[UnitScore]) -> str:
    """Return the scoring table as CSV: one row per unit, one column per item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "unit_code",
            "name_zh",
            "year",
            *(i.id for i in SCORING_ITEMS),
            "total",
            "complete",
            "rating",
            "rectification_rate",
        ]
    )
    for s in scores:
        points = ["" if i.points is None else i.points for i in s.items]
        writer.writerow(
            [
                s.unit_code,
                s.name_zh,
                s.year,
                *points,
                s.total,
                s.complete,
                s.rating[0] if s.rating else "",
                s.rectification_rate,
            ]
        )
    return out.getvalue()


def rating_map(grid: GridMap, scores: list[UnitScore]) -> GridMap:
    """Return the district map with each unit coloured by its rating (grey: not complete)."""
    css = {s.unit_code: RATING_CSS[s.rating[0]] if s.rating else "rating-none" for s in scores}
    shapes = [
        dataclasses.replace(shape, css=f"unit {css[shape.code]}") if shape.code in css else shape
        for shape in grid.shapes
    ]
    return dataclasses.replace(grid, shapes=shapes)
