"""Monthly report counts and yearly scores of the synthetic fixture equal a hand count.

The records are dated (patrol dates, report and status-change times) so that a
hand count is possible: see the table in each test.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import geopandas as gpd
import pytest
import shapely

from geoservice.auth.keys import Principal
from geoservice.farmland import records, report, scoring
from geoservice.settings import FarmlandSettings, UploadSettings
from tests.farmland import fixture
from tests.farmland.fixture import A1, A2, B1, TOWN_A, TOWN_B

EDITOR = Principal("k1", "测试监管人", "editor")
NORMS = FarmlandSettings(patrols_per_cell_month=1, overdue_days=30)
PATROLS = [
    ("2025-11-03", A1),
    ("2025-11-20", A1),
    ("2025-11-30", A2),
    ("2025-10-31", A1),
    ("2025-12-01", A2),
    ("2025-11-05", B1),
]
# (name, category, cell, reported, [(status, at), ...])
INCIDENTS = [
    ("i1", "撂荒", A1, "2025-09-15", [("verified", "2025-09-20")]),
    ("i2", "建房", A1, "2025-11-02", [("verified", "2025-11-05"), ("rectified", "2025-11-10")]),
    ("i3", "建房", A2, "2025-11-25", []),
    ("i4", "挖沙", A2, "2025-11-10", [("verified", "2025-12-02")]),
    (
        "i5",
        "撂荒",
        A1,
        "2025-10-01",
        [("verified", "2025-10-05"), ("rectified", "2025-11-15"), ("closed", "2025-12-01")],
    ),
    ("i6", "取土", B1, "2025-11-03", []),
    ("i7", "非粮化", A1, "2025-12-02", []),
]


def _at(day: str) -> str:
    return f"{day}T08:00:00+00:00"


@pytest.fixture
def recorded(farmland_domain):
    store, catalog = farmland_domain
    limits = UploadSettings()
    for day, cell in PATROLS:
        body = {"patrol_date": day, "geometry": fixture.cell_point(cell)}
        records.record_patrol(store, catalog, body, principal=EDITOR, limits=limits, at=_at(day))
    ids = {}
    for name, category, cell, day, steps in INCIDENTS:
        body = {"category": category, "geometry": fixture.cell_point(cell)}
        done = records.report_incident(
            store, catalog, body, principal=EDITOR, limits=limits, at=_at(day)
        )
        ids[name] = done.key
        for status, when in steps:
            records.change_status(
                store, catalog, done.key, {"status": status}, principal=EDITOR, at=_at(when)
            )
    return store, catalog, ids


def test_monthly_report_equals_a_hand_count(recorded):
    store, catalog, ids = recorded
    got = report.monthly_report(
        store, catalog, TOWN_A, "2025-11", norms=NORMS, today=date(2026, 1, 1)
    )
    # patrols in Nov in town A: A1 ×2 (3rd, 20th), A2 ×1 (30th); 6 cells, 1 expected each
    assert (got.patrols_done, got.patrols_expected, got.cells_unpatrolled) == (3, 6, 4)
    cells = {c.cell_code: c for c in got.cells}
    assert len(cells) == 6
    assert (cells[A1].patrols_done, cells[A2].patrols_done) == (2, 1)
    # reported in Nov: i2 建房 (rectified by the 30th), i3 建房 (reported), i4 挖沙 (verified
    # only in Dec: reported on the 30th); i6 is town B's, i7 December's
    nonzero = {(c, s): n for c, row in got.by_category_status.items() for s, n in row.items() if n}
    assert nonzero == {("建房", "rectified"): 1, ("建房", "reported"): 1, ("挖沙", "reported"): 1}
    # overdue (open on Nov 30, reported before Oct 31): i1 only
    assert [o["incident_id"] for o in got.overdue] == [ids["i1"]]
    # per cell: A1 reported i2, open i1, overdue i1; A2 reported i3 and i4, both open
    assert (cells[A1].incidents_reported, cells[A1].open_at_month_end, cells[A1].overdue) == (
        1,
        1,
        1,
    )
    assert (cells[A2].incidents_reported, cells[A2].open_at_month_end, cells[A2].overdue) == (
        2,
        2,
        0,
    )


def test_monthly_report_csv_holds_the_same_counts(recorded):
    store, catalog, _ = recorded
    got = report.monthly_report(
        store, catalog, TOWN_A, "2025-11", norms=NORMS, today=date(2026, 1, 1)
    )
    rows = list(csv.DictReader(io.StringIO(report.report_csv(got, "cells"))))
    assert sum(int(r["patrols_done"]) for r in rows) == 3
    rows = list(csv.DictReader(io.StringIO(report.report_csv(got, "incidents"))))
    assert sum(int(r["count"]) for r in rows) == 3
    assert len(rows) == 10 * 4


def test_monthly_report_page_and_csv_download(recorded, farmland_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app

    with TestClient(create_app(farmland_settings)) as client:
        page = client.get(f"/farmland/reports/{TOWN_A}/2025-11")
        assert page.status_code == 200 and "3 / 6" in page.text and "月报" in page.text
        download = client.get(f"/farmland/reports/{TOWN_A}/2025-11?f=csv&table=overdue")
        assert download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        lines = download.content.decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 2 and A1 in lines[1]
        assert client.get(f"/farmland/reports/{TOWN_A}/2025-13").status_code == 400
        assert client.get("/farmland/reports/999/2025-11").status_code == 404


def _enter(store, catalog, rows):
    layer = catalog.get("farmland_assessment")
    frame = gpd.GeoDataFrame(
        [
            {
                "unit_code": u,
                "year": 2025,
                "item": i,
                "points": p,
                "source": fixture.SYNTHETIC,
                "geometry_quality": "approximate",
                "placement_method": "grid_point",
            }
            for u, i, p in rows
        ],
        geometry=[shapely.Point(109.0, 39.8)] * len(rows),
        crs="EPSG:4326",
    )
    store.write(layer, frame)


def test_yearly_scoring_of_a_fixture_town_equals_a_hand_computation(recorded):
    store, catalog, _ = recorded
    _enter(
        store,
        catalog,
        [
            (TOWN_A, "setup_other", 18),
            (TOWN_A, "system_other", 15),
            (TOWN_A, "cleanup", 12),
            (TOWN_A, "operation_other", 20),
            (TOWN_B, "setup_other", 19),
        ],
    )
    scores = {s.unit_code: s for s in scoring.yearly_scores(store, catalog, 2025)}
    a = scores[TOWN_A]
    points = {i.item: i.points for i in a.items}
    # grid nests: 5; patrolled in 2025: A1, A2 of 6 cells -> 10 × 2/6 = 3.33
    assert points == {
        "grid_division": 5.0,
        "setup_other": 18.0,
        "platform_use": 3.33,
        "system_other": 15.0,
        "cleanup": 12.0,
        "operation_other": 20.0,
    }
    assert a.total == pytest.approx(73.33)
    assert a.rating == ("合格", "Pass")
    # 2025 incidents of town A: i1 i2 i3 i4 i5 i7; rectified or closed now: i2, i5
    assert a.rectification_rate == pytest.approx(2 / 6, abs=1e-4)
    b = scores[TOWN_B]
    assert not b.complete and b.rating is None
    assert {i.item: i.points for i in b.items}["platform_use"] == pytest.approx(1.67)


def test_scoring_refuses_out_of_range_entries_and_years(recorded):
    store, catalog, _ = recorded
    _enter(store, catalog, [(TOWN_A, "cleanup", 99)])
    a = {s.unit_code: s for s in scoring.yearly_scores(store, catalog, 2025)}[TOWN_A]
    cleanup = next(i for i in a.items if i.item == "cleanup")
    assert cleanup.points is None and "outside" in cleanup.evidence
    with pytest.raises(Exception, match="year"):
        scoring.yearly_scores(store, catalog, 1900)


def test_district_report_sums_every_town(recorded, farmland_settings):
    store, catalog, _ = recorded
    units = report.district_report(store, catalog, "2025-11", norms=NORMS, today=date(2026, 1, 1))
    summary = {
        r.unit_code: (r.patrols_done, r.patrols_expected, r.incidents_reported, len(r.overdue))
        for r in units
    }
    # town B: one patrol (B1, Nov 5th) and one incident (i6, Nov 3rd) of 6 cells
    assert summary == {TOWN_A: (3, 6, 3, 1), TOWN_B: (1, 6, 1, 0)}
    rows = list(csv.DictReader(io.StringIO(report.district_csv(units))))
    assert [(r["unit_code"], r["patrols_done"]) for r in rows] == [(TOWN_A, "3"), (TOWN_B, "1")]
