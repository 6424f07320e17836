"""What Dongsheng's farmland-protection scheme fixes: roles, violation categories, scoring.

Everything here is quoted from 东政办发〔2023〕61号 (seed 003; digest §2.6.1)
or is marked as geoservice's own choice where the scheme is silent.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS_LAYER = "farmland_grid_units"
"""Levels 1 (district) and 2 (towns/streets)."""
CELLS_LAYER = "farmland_grid"
"""Level 3, the basic grid (a lattice standing in for villages; see its layer file)."""
REGISTER_LAYER = "farmland_register"
PATROLS_LAYER = "farmland_patrols"
INCIDENTS_LAYER = "farmland_incidents"
ASSESSMENT_LAYER = "farmland_assessment"
RECORD_LAYER_KINDS = (
    "farmland_register",
    "farmland_patrols",
    "farmland_incidents",
    "farmland_assessment",
)
"""Kinds of layers staff and wardens fill: never built from sample data, created empty."""
BOARDS_LAYER = "farmland_boards"
"""Result collection of the ``farmland-boards`` process (run with out_layer=farmland_boards);
the grid maps show its boards when it exists."""

ROLES: dict[str, dict[str, str]] = {
    "总监督人": {"en": "Chief supervisor", "levels": "1,2"},
    "副总监督人": {"en": "Deputy chief supervisor", "levels": "1"},
    "监督总协调人": {"en": "Supervision coordinator", "levels": "1"},
    "总监管人": {"en": "Chief regulator", "levels": "1,2"},
    "监督人": {"en": "Supervisor", "levels": "3"},
    "监管人": {"en": "Regulator", "levels": "3"},
    "网格员": {"en": "Grid warden", "levels": "3"},
}
"""Responsible roles per grid level, as the scheme's table lists them."""

ROLE_ORDER = tuple(ROLES)

CATEGORIES: dict[str, str] = {
    "非农化": "Non-agricultural conversion",
    "非粮化": "Non-grain conversion",
    "撂荒": "Abandonment",
    "建房": "House building",
    "建厂": "Factory building",
    "建窑": "Kiln building",
    "挖沙": "Sand digging",
    "取土": "Soil taking",
    "堆放固体物": "Dumping solids",
    "排放倾倒污染物": "Discharging or dumping pollutants",
}
"""Violations the scheme asks wardens to detect, in its order."""

STATUSES: dict[str, dict[str, str]] = {
    "reported": {"zh": "已上报", "en": "Reported"},
    "verified": {"zh": "已核实", "en": "Verified"},
    "rectified": {"zh": "已整改", "en": "Rectified"},
    "closed": {"zh": "已销号", "en": "Closed"},
}
NEXT_STATUS = {"reported": "verified", "verified": "rectified", "rectified": "closed"}
"""An incident moves one step at a time; ``closed`` is final (nothing is deleted)."""
OPEN_STATUSES = ("reported", "verified")
"""Not yet rectified: these can be overdue."""


@dataclass(frozen=True)
class ScoringItem:
    """One item of the yearly assessment (附件1)."""

    id: str
    section: str
    zh: str
    en: str
    points: float
    measured: bool
    rule: str


SECTIONS = {
    "setup": ("网格架构组建", "Grid set-up", 25.0),
    "system": ("制度机制建设", "System and mechanisms", 30.0),
    "operation": ("运行成效", "Operation and results", 45.0),
}
"""附件1's three parts and their points (the digest gives the totals, not the names' exact
wording: the Chinese section names here are descriptive)."""

SCORING_ITEMS = (
    ScoringItem(
        "grid_division",
        "setup",
        "网格划分是否科学合理",
        "Grid division sound",
        5.0,
        True,
        "5 if every level-3 cell of the unit nests in it (analysis.farmland.check_grid_nesting "
        "finds no problem for the unit's cells), else 0; measured by geoservice",
    ),
    ScoringItem(
        "setup_other",
        "setup",
        "网格架构组建其他事项",
        "Other set-up items",
        20.0,
        False,
        "entered by staff (the digest does not list these items)",
    ),
    ScoringItem(
        "platform_use",
        "system",
        "使用信息化监管平台",
        "Use of the information platform",
        10.0,
        True,
        "10 × share of the unit's level-3 cells with at least one patrol recorded in the "
        "platform that year; geoservice's measure, the scheme gives no formula",
    ),
    ScoringItem(
        "system_other",
        "system",
        "制度机制建设其他事项",
        "Other system items",
        20.0,
        False,
        "entered by staff (the digest does not list these items)",
    ),
    ScoringItem(
        "cleanup",
        "operation",
        "违法占用整治及耕地数量质量提升",
        "Clean-up and farmland improvement",
        20.0,
        False,
        "entered by staff: the improvement in quantity and quality needs land surveys; the "
        "platform shows the rectification rate beside it as evidence",
    ),
    ScoringItem(
        "operation_other",
        "operation",
        "运行成效其他事项",
        "Other operation items",
        25.0,
        False,
        "entered by staff (the digest does not list these items)",
    ),
)
"""The items, summing to each section's points. Only the three named in the digest
(grid division 5, platform 10, clean-up 20) carry their scheme names; the rest of each
section is one staff-entered item."""

RATINGS = ((85.0, "优秀", "Excellent"), (75.0, "良好", "Good"), (60.0, "合格", "Pass"))
FAIL = ("不合格", "Fail")
"""Below 60 the digest names no rating; 不合格 is geoservice's label for it."""


def rating(total: float) -> tuple[str, str]:
    """Return the (Chinese, English) rating of a total score."""
    for floor, zh, en in RATINGS:
        if total >= floor:
            return zh, en
    return FAIL
