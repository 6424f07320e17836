"""The yearly assessment of each town/street on 附件1's 100 points, as far as the digest gives it.

Measured items (:data:`~geoservice.farmland.scheme.SCORING_ITEMS` with ``measured``)
are computed from the grid and the records; the others are read from the
``farmland_assessment`` layer, where staff enter them. A unit whose entered
items are not all there gets a partial total and no rating: a rating is never
given on points that were not entered.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoservice.analysis.farmland import check_grid_nesting
from geoservice.catalog.registry import Catalog
from geoservice.errors import InvalidParameter
from geoservice.farmland.report import unit_cells
from geoservice.farmland.scheme import (
    ASSESSMENT_LAYER,
    INCIDENTS_LAYER,
    PATROLS_LAYER,
    SCORING_ITEMS,
    UNITS_LAYER,
    rating,
)
from geoservice.storage.base import FeatureStore


@dataclass(frozen=True)
class ItemScore:
    """One item's points for one unit (None: not entered yet)."""

    item: str
    points: float | None
    max_points: float
    measured: bool
    evidence: str


@dataclass(frozen=True)
class UnitScore:
    """A unit's year: item scores, total, rating (None while items are missing)."""

    unit_code: str
    name_zh: str
    name_en: str
    year: int
    items: list[ItemScore]
    rectification_rate: float | None
    geometry: object = None

    @property
    def total(self) -> float:
        """Return the sum of the points known so far."""
        return round(sum(i.points for i in self.items if i.points is not None), 2)

    @property
    def complete(self) -> bool:
        """Tell whether every item has points."""
        return all(i.points is not None for i in self.items)

    @property
    def rating(self) -> tuple[str, str] | None:
        """Return the (Chinese, English) rating, or None while items are missing."""
        return rating(self.total) if self.complete else None


def yearly_scores(store: FeatureStore, catalog: Catalog, year: int) -> list[UnitScore]:
    """Score every level-2 unit for ``year``."""
    if not 2000 <= year <= 2100:
        raise InvalidParameter(f"year {year}: use a year such as 2024")
    units = store.read_frame(catalog.get(UNITS_LAYER))
    level2 = units[units["level"] == 2].sort_values("code")
    patrols = _frame(store, catalog, PATROLS_LAYER)
    incidents = _frame(store, catalog, INCIDENTS_LAYER)
    entered = _frame(store, catalog, ASSESSMENT_LAYER)
    prefix = f"{year}-"
    if len(patrols):
        patrols = patrols[patrols["patrol_date"].str.startswith(prefix)]
    if len(incidents):
        incidents = incidents[incidents["reported_at"].str.startswith(prefix)]
    if len(entered):
        entered = entered[entered["year"] == year]
    return [
        _score(store, catalog, unit, year, patrols, incidents, entered)
        for _, unit in level2.iterrows()
    ]


def _score(store, catalog, unit, year, patrols, incidents, entered) -> UnitScore:
    code = unit["code"]
    cells = unit_cells(store, catalog, unit)
    measured = {
        "grid_division": _grid_division(cells, unit),
        "platform_use": _platform_use(cells, patrols),
    }
    rate = _rectification_rate(incidents, code)
    mine = entered[entered["unit_code"] == code] if len(entered) else entered
    items = []
    for item in SCORING_ITEMS:
        if item.measured:
            points, evidence = measured[item.id]
        else:
            rows = mine[mine["item"] == item.id] if len(mine) else mine
            # the latest entry counts (entries are edited as features; the last one wins)
            points = float(rows["points"].iloc[-1]) if len(rows) else None
            evidence = "entered" if points is not None else "not entered"
            if points is not None and not 0 <= points <= item.points:
                evidence = f"entered {points:g} is outside 0–{item.points:g}: not counted"
                points = None
        items.append(ItemScore(item.id, points, item.points, item.measured, evidence))
    return UnitScore(code, unit["name_zh"], unit["name_en"], year, items, rate, unit.geometry)


def _grid_division(cells: gpd.GeoDataFrame, unit) -> tuple[float, str]:
    if cells.empty:
        return 0.0, "no level-3 cells"
    parent = gpd.GeoDataFrame([{"code": unit["code"]}], geometry=[unit.geometry], crs=cells.crs)
    report = check_grid_nesting(cells, parent)
    problems = len(report.problems)
    if problems:
        return 0.0, f"{problems} nesting problem(s)"
    return 5.0, f"{len(cells)} cells nest without gaps or overlaps"


def _platform_use(cells: gpd.GeoDataFrame, patrols: pd.DataFrame) -> tuple[float, str]:
    if cells.empty:
        return 0.0, "no level-3 cells"
    patrolled = set(patrols["cell_code"]) if len(patrols) else set()
    share = len(patrolled & set(cells["code"])) / len(cells)
    return round(10.0 * share, 2), f"{share:.0%} of cells patrolled in the platform"


def _rectification_rate(incidents: pd.DataFrame, code: str) -> float | None:
    if not len(incidents):
        return None
    mine = incidents[incidents["unit_code"] == code]
    if mine.empty:
        return None
    return round(float(mine["status"].isin(("rectified", "closed")).mean()), 4)


def _frame(store, catalog, layer_id) -> pd.DataFrame:
    layer = catalog.get(layer_id)
    if not store.has_layer(layer.id):
        return pd.DataFrame()
    return pd.DataFrame(store.read_frame(layer).drop(columns="geometry"))
