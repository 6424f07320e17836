"""The monthly report of a town/street: patrols done against expected, incidents, overdue items.

Statuses are taken *as of the month's end* from each incident's status history
(who changed what when), so a report of a past month reads the same whatever
happened since. Level-3 cells stand in for villages (village boundaries are not
public; see the ``farmland_grid`` layer), so per-village rows are per-cell rows.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import geopandas as gpd
import pandas as pd

from geoservice.catalog.registry import Catalog
from geoservice.errors import InvalidParameter, NotFoundError
from geoservice.farmland.scheme import (
    CATEGORIES,
    CELLS_LAYER,
    INCIDENTS_LAYER,
    OPEN_STATUSES,
    PATROLS_LAYER,
    STATUSES,
    UNITS_LAYER,
)
from geoservice.settings import FarmlandSettings
from geoservice.storage.base import FeatureQuery, FeatureStore

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class CellRow:
    """One cell's (village stand-in's) month."""

    cell_code: str
    patrols_done: int
    patrols_expected: int
    incidents_reported: int
    open_at_month_end: int
    overdue: int


@dataclass
class MonthlyReport:
    """A unit's month."""

    unit_code: str
    name_zh: str
    name_en: str
    month: str
    as_of: str
    cells: list[CellRow]
    by_category_status: dict[str, dict[str, int]]
    overdue: list[dict]
    patrols_per_cell: int
    overdue_days: int

    @property
    def patrols_done(self) -> int:
        """Return the unit's patrols in the month."""
        return sum(c.patrols_done for c in self.cells)

    @property
    def patrols_expected(self) -> int:
        """Return the patrols the norm asks of the unit in the month."""
        return sum(c.patrols_expected for c in self.cells)

    @property
    def incidents_reported(self) -> int:
        """Return the incidents reported in the month."""
        return sum(sum(row.values()) for row in self.by_category_status.values())

    @property
    def cells_unpatrolled(self) -> int:
        """Return how many cells had no patrol in the month."""
        return sum(1 for c in self.cells if c.patrols_done == 0)


def parse_month(value: str) -> tuple[date, date]:
    """Return the first and last day of ``YYYY-MM`` (400 otherwise)."""
    match = MONTH.match(value or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise InvalidParameter(f"month {value!r}: use YYYY-MM")
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def monthly_report(
    store: FeatureStore,
    catalog: Catalog,
    unit_code: str,
    month: str,
    *,
    norms: FarmlandSettings,
    today: date | None = None,
) -> MonthlyReport:
    """Count a unit's month: patrols per cell, incidents by category and status, overdue ones."""
    first, last = parse_month(month)
    as_of_day = min(last, today or datetime.now(UTC).date())
    as_of = f"{as_of_day.isoformat()}T23:59:59+00:00"
    unit = _unit(store, catalog, unit_code)
    cells = unit_cells(store, catalog, unit)
    patrols = _records(store, catalog, PATROLS_LAYER, unit_code)
    incidents = _records(store, catalog, INCIDENTS_LAYER, unit_code)
    if len(patrols):
        patrols = patrols[patrols["patrol_date"].between(first.isoformat(), last.isoformat())]
    if len(incidents):
        incidents = incidents[incidents["reported_at"] <= as_of].copy()
        incidents["status_then"] = [status_at(h, as_of) for h in incidents["status_history"]]
        deadline = (as_of_day - timedelta(days=norms.overdue_days)).isoformat()
        incidents["overdue"] = incidents["status_then"].isin(OPEN_STATUSES) & (
            incidents["reported_at"].str[:10] < deadline
        )
        incidents["in_month"] = incidents["reported_at"].str[:7] == month
    rows = [_cell_row(code, patrols, incidents, norms) for code in sorted(cells["code"])]
    in_month = incidents[incidents["in_month"]] if len(incidents) else incidents
    table = {c: dict.fromkeys(STATUSES, 0) for c in CATEGORIES}
    for category, status in zip(
        in_month.get("category", []), in_month.get("status_then", []), strict=True
    ):
        table[category][status] += 1
    overdue = incidents[incidents["overdue"]] if len(incidents) else incidents
    overdue_list = (
        [
            {
                k: r[k]
                for k in ("incident_id", "cell_code", "category", "status_then", "reported_at")
            }
            for _, r in overdue.sort_values("reported_at").iterrows()
        ]
        if len(overdue)
        else []
    )
    return MonthlyReport(
        unit_code,
        unit["name_zh"],
        unit["name_en"],
        month,
        as_of,
        rows,
        table,
        overdue_list,
        norms.patrols_per_cell_month,
        norms.overdue_days,
    )


def district_report(
    store: FeatureStore,
    catalog: Catalog,
    month: str,
    *,
    norms: FarmlandSettings,
    today: date | None = None,
) -> list[MonthlyReport]:
    """Return the month of every level-2 unit, in code order (the district overview)."""
    parse_month(month)
    units = store.read_frame(catalog.get(UNITS_LAYER), columns=["code", "level"])
    codes = sorted(units.loc[units["level"] == 2, "code"])
    return [monthly_report(store, catalog, code, month, norms=norms, today=today) for code in codes]


def district_csv(reports: list[MonthlyReport]) -> str:
    """Return the district overview as CSV: one row per unit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "unit_code",
            "name_zh",
            "month",
            "cells",
            "patrols_done",
            "patrols_expected",
            "cells_unpatrolled",
            "incidents_reported",
            "overdue",
        ]
    )
    for r in reports:
        writer.writerow(
            [
                r.unit_code,
                r.name_zh,
                r.month,
                len(r.cells),
                r.patrols_done,
                r.patrols_expected,
                r.cells_unpatrolled,
                r.incidents_reported,
                len(r.overdue),
            ]
        )
    return out.getvalue()


def status_at(history_json: str, as_of: str) -> str:
    """Return an incident's status at ``as_of`` (ISO UTC) from its status history."""
    status = "reported"
    for step in json.loads(history_json):
        if step["at"] <= as_of:
            status = step["status"]
    return status


def report_csv(report: MonthlyReport, table: str = "cells") -> str:
    """Return one table of the report as CSV (UTF-8 text; the route adds a BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table == "cells":
        writer.writerow(
            [
                "unit_code",
                "month",
                "cell_code",
                "patrols_done",
                "patrols_expected",
                "incidents_reported",
                "open_at_month_end",
                "overdue",
            ]
        )
        for c in report.cells:
            writer.writerow(
                [
                    report.unit_code,
                    report.month,
                    c.cell_code,
                    c.patrols_done,
                    c.patrols_expected,
                    c.incidents_reported,
                    c.open_at_month_end,
                    c.overdue,
                ]
            )
    elif table == "incidents":
        writer.writerow(["unit_code", "month", "category", "status", "count"])
        for category, counts in report.by_category_status.items():
            for status, n in counts.items():
                writer.writerow([report.unit_code, report.month, category, status, n])
    elif table == "overdue":
        writer.writerow(
            [
                "unit_code",
                "month",
                "incident_id",
                "cell_code",
                "category",
                "status_at_month_end",
                "reported_at",
            ]
        )
        for o in report.overdue:
            writer.writerow([report.unit_code, report.month, *o.values()])
    else:
        raise InvalidParameter(f"table={table!r}: use cells, incidents or overdue")
    # every cell is a code, a count, an enum value or a timestamp geoservice wrote: no
    # free text, so nothing a spreadsheet could take for a formula
    return out.getvalue()


def unit_cells(store: FeatureStore, catalog: Catalog, unit) -> gpd.GeoDataFrame:
    """Return the level-3 cells of a level-2 unit (a row of the units layer)."""
    layer = catalog.get(CELLS_LAYER)
    frame = store.read_frame(layer, bbox=unit.geometry.bounds, columns=["code", "parent_code"])
    return frame[frame["parent_code"] == unit["code"]]


def _unit(store, catalog, code: str):
    layer = catalog.get(UNITS_LAYER)
    query = FeatureQuery(equals={"code": code}, limit=2, crs=layer.storage_crs, count_cap=0)
    frame = store.query(layer, query).rows.to_frame()
    frame = frame[frame["level"] == 2]
    if frame.empty:
        raise NotFoundError(f"no level-2 farmland grid unit {code!r}")
    return frame.iloc[0]


def _records(store, catalog, layer_id: str, unit_code: str) -> pd.DataFrame:
    layer = catalog.get(layer_id)
    if not store.has_layer(layer.id):
        return pd.DataFrame()
    query = FeatureQuery(
        equals={"unit_code": unit_code}, limit=None, crs=layer.storage_crs, count_cap=0
    )
    return pd.DataFrame(store.query(layer, query).rows.properties)


def _cell_row(code: str, patrols, incidents, norms: FarmlandSettings) -> CellRow:
    done = int((patrols["cell_code"] == code).sum()) if len(patrols) else 0
    if len(incidents):
        mine = incidents[incidents["cell_code"] == code]
        reported = int(mine["in_month"].sum())
        still_open = int(mine["status_then"].isin(OPEN_STATUSES).sum())
        overdue = int(mine["overdue"].sum())
    else:
        reported = still_open = overdue = 0
    return CellRow(code, done, norms.patrols_per_cell_month, reported, still_open, overdue)
