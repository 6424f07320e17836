"""A SYNTHETIC farmland-supervision fixture: two made-up units, made-up people, made-up records.

Nothing here is real: the unit shapes are rectangles, the people and phones are
invented (测试 names, 000 phones) and every feature's ``source`` says
"synthetic test fixture". It exists so tests can count by hand. The sample
store serves the register, patrols and incidents layers empty (schema only).
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from geoservice.analysis.farmland import generate_farmland_grid

SYNTHETIC = "synthetic test fixture (tests/farmland/fixture.py); not real data"
METRIC = "EPSG:4546"
DISTRICT = "150602000000"
TOWN_A = "150602101000"  # stands for 罕台镇 by code only; the shape is a made-up rectangle
TOWN_B = "150602102000"
UNITS = {
    TOWN_A: ("测试甲镇", "Test town A", (413_000, 4_407_000, 416_000, 4_409_000)),
    TOWN_B: ("测试乙镇", "Test town B", (416_000, 4_407_000, 419_000, 4_409_000)),
}
CELL_M = 1000.0


def cell(unit: str, row: int, col: int) -> str:
    """Return the code of a fixture cell."""
    return f"{unit}-{row:06d}-{col:06d}"


A1 = cell(TOWN_A, 4407, 413)
A2 = cell(TOWN_A, 4408, 414)
B1 = cell(TOWN_B, 4407, 417)


def cell_point(code: str) -> dict:
    """Return a GeoJSON point (CRS84) at the middle of a fixture cell."""
    _, row, col = code.rsplit("-", 2)
    x, y = (int(col) + 0.5) * CELL_M, (int(row) + 0.5) * CELL_M
    point = gpd.GeoSeries([shapely.Point(x, y)], crs=METRIC).to_crs("OGC:CRS84").iloc[0]
    return {"type": "Point", "coordinates": [point.x, point.y]}


def unit_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return (farmland_grid_units, farmland_grid) frames in EPSG:4326."""
    boxes = {code: shapely.box(*bounds) for code, (_, _, bounds) in UNITS.items()}
    level2 = gpd.GeoDataFrame({"code": list(boxes)}, geometry=list(boxes.values()), crs=METRIC)
    cells = generate_farmland_grid(level2, cell_m=CELL_M)
    base = {"source": SYNTHETIC, "geometry_quality": "approximate"}
    units = [
        {
            "code": DISTRICT,
            "parent_code": None,
            "level": 1,
            "name_zh": "测试区",
            "name_en": "Test district",
            "n_cells": len(cells),
            "geometry": shapely.union_all(list(boxes.values())),
            **base,
        },
    ]
    for code, (zh, en, _) in UNITS.items():
        units.append(
            {
                "code": code,
                "parent_code": DISTRICT,
                "level": 2,
                "name_zh": zh,
                "name_en": en,
                "n_cells": int((cells["parent_code"] == code).sum()),
                "geometry": boxes[code],
                **base,
            }
        )
    units_frame = gpd.GeoDataFrame(units, geometry="geometry", crs=METRIC)
    units_frame["area_m2"] = units_frame.area
    units_frame["cell_m"] = CELL_M
    names = {code: zh for code, (zh, _, _) in UNITS.items()}
    cells = cells.assign(
        level=3,
        name_zh=cells["parent_code"].map(names) + " " + cells["row"].astype(str),
        name_en="cell " + cells["code"],
        **base,
    )
    return units_frame.to_crs("EPSG:4326"), cells.to_crs("EPSG:4326")


def register_frame(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a made-up register: a chief per town, a warden for two cells."""
    points = cells.set_index("code").geometry.representative_point()
    rows = [
        ("R1", TOWN_A, 2, "总监督人", "测试甲一", "000-0000-0001", points[A1]),
        ("R2", TOWN_A, 2, "总监管人", "测试甲二", "000-0000-0002", points[A1]),
        ("R3", A1, 3, "网格员", "测试网格员", "000-0000-0003", points[A1]),
        ("R4", B1, 3, "网格员", "测试乙三", "000-0000-0004", points[B1]),
    ]
    return gpd.GeoDataFrame(
        [
            {
                "entry_id": e,
                "grid_code": g,
                "grid_level": lvl,
                "role": r,
                "person_name": n,
                "phone": p,
                "source": SYNTHETIC,
                "geometry_quality": "approximate",
                "placement_method": "grid_point",
                "name_zh": n,
                "name_en": n,
                "geometry": pt,
            }
            for e, g, lvl, r, n, p, pt in rows
        ],
        geometry="geometry",
        crs="EPSG:4326",
    )
