"""The farmland-protection grid layers, after seed 003's scheme.

东政办发〔2023〕61号 (seed 003 l.716–908) sets up three nested levels: the
district (level 1), the 11 towns/streets listed in its attachment 2 (level 2)
and villages/communities (level 3, the basic grid). Village boundaries are not
public, so level 3 is a regular lattice cut by
:func:`geoservice.analysis.farmland.generate_farmland_grid` inside the
approximate level-2 polygons, labelled ``basis = lattice_fallback``.

The district and the 15 street/town polygons are first made to tile exactly
(:func:`~geoservice.analysis.farmland.coverage.tile_exactly`, 1 cm grid), so
the levels nest with shared edges. Four urban streets (交通, 公园, 建设, 林荫)
are not in 附件2: they are kept in ``farmland_grid_units`` with no level and
``in_scheme = false``, so the layer covers the district (全覆盖) and the
nesting check names them instead of reporting a 16.9 km² gap.

Two layers: ``farmland_grid_units`` (levels 1 and 2, overlapping by design,
plus the unlisted streets) and ``farmland_grid`` (the level-3 cells, which tile
the level-2 units).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis.farmland import GRID_COLUMNS, generate_farmland_grid
from geoservice.analysis.farmland.coverage import GRID_M, tile_exactly
from geoservice.analysis.farmland.merge import MIN_AREA_SHARE
from geoservice.sampledata.common import (
    APPROXIMATE,
    METRIC_CRS,
    OFFICIAL_BOUNDARY,
    SEED_003,
    STORAGE_CRS,
    as_multipolygon,
    frame_from_records,
)
from geoservice.sampledata.units import FARMLAND_UNIT_CODES

UNIT_COLUMNS = (
    "code",
    "parent_code",
    "level",
    "name_zh",
    "name_en",
    "area_m2",
    "n_cells",
    "cell_m",
    "in_scheme",
    "scheme_note",
    "source",
    "geometry_quality",
)
CELL_COLUMNS = (
    *GRID_COLUMNS[:2],  # code, parent_code
    "level",
    *GRID_COLUMNS[2:],  # what generate_farmland_grid makes
    "name_zh",
    "name_en",
    "source",
    "geometry_quality",
)
SCHEME = f"{SEED_003} l.748–756 (三级耕地保护网格体系), 附件2 l.866–884"
UNLISTED_NOTE = "urban streets not in 附件2"
"""``scheme_note`` of the streets the scheme's attachment 2 does not list."""
NESTING_NOTE = f"outlines snapped to a {GRID_M * 100:g} cm grid and noded together so levels nest"


def build_farmland_layers(
    district: gpd.GeoDataFrame,
    streets_towns: gpd.GeoDataFrame,
    *,
    cell_m: float = 500.0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Build ``farmland_grid_units`` and ``farmland_grid`` (both EPSG:4326).

    Parameters
    ----------
    district : geopandas.GeoDataFrame
        The ``district`` layer; its study-area row is level 1.
    streets_towns : geopandas.GeoDataFrame
        The ``streets_towns`` layer; units with ``in_farmland_grid`` are level 2.
    cell_m : float
        Edge of the level-3 cells in metres (EPSG:4546).
    """
    study = district[district["is_study_area"]].iloc[0]
    units = streets_towns.to_crs(METRIC_CRS).sort_values("code", ignore_index=True)
    if set(units.loc[units["in_farmland_grid"], "code"]) != FARMLAND_UNIT_CODES:
        raise ValueError("streets_towns does not flag the 11 level-2 farmland units")
    study_metric = gpd.GeoSeries([study.geometry], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    exact, outline = tile_exactly(study_metric, np.asarray(units.geometry.values))
    units = units.set_geometry(exact, crs=METRIC_CRS)
    level2 = units[units["in_farmland_grid"]]
    cells = generate_farmland_grid(level2[["code", "geometry"]], cell_m=cell_m)
    names = level2.set_index("code")[["name_zh", "name_en"]]
    frame = _unit_frame(study, outline, units, cells, cell_m)
    return frame, _cell_frame(cells, names)


def _unit_frame(study, outline, units, cells, cell_m) -> gpd.GeoDataFrame:
    counts = cells["parent_code"].value_counts()
    records = [
        {
            "code": study["code"],
            "parent_code": None,
            "level": 1,
            "name_zh": f"{study['name_zh']}耕地保护一级网格",
            "name_en": f"{study['name_en']} farmland grid, level 1",
            "area_m2": round(outline.area, 1),
            "n_cells": len(cells),
            "cell_m": float(cell_m),
            "in_scheme": True,
            "scheme_note": None,
            "source": f"{SCHEME}; boundary: {study['source']}; {NESTING_NOTE}",
            "geometry_quality": OFFICIAL_BOUNDARY,
            "geometry": outline,
        }
    ]
    for unit in units.itertuples(index=False):
        listed = bool(unit.in_farmland_grid)
        records.append(
            {
                "code": unit.code,
                "parent_code": unit.district_code,
                "level": 2 if listed else None,
                "name_zh": f"{unit.name_zh}耕地保护二级网格"
                if listed
                else f"{unit.name_zh}（未列入附件2，无二级网格）",
                "name_en": f"{unit.name_en} farmland grid, level 2"
                if listed
                else f"{unit.name_en} (not in attachment 2: no level-2 grid)",
                "area_m2": round(unit.geometry.area, 1),
                "n_cells": int(counts.get(unit.code, 0)),
                "cell_m": float(cell_m) if listed else None,
                "in_scheme": listed,
                "scheme_note": None if listed else UNLISTED_NOTE,
                "source": (
                    f"{SCHEME}; polygon: approximate streets_towns unit; {NESTING_NOTE}"
                    if listed
                    else f"{SCHEME} does not list this street; polygon: approximate "
                    f"streets_towns unit; {NESTING_NOTE}"
                ),
                "geometry_quality": APPROXIMATE,
                "geometry": unit.geometry,
            }
        )
    frame = frame_from_records(records, UNIT_COLUMNS, crs=METRIC_CRS)
    frame = frame.set_geometry([as_multipolygon(g) for g in frame.geometry], crs=METRIC_CRS)
    frame["level"] = frame["level"].astype("Int64")
    return frame.to_crs(STORAGE_CRS)


def _cell_frame(cells: gpd.GeoDataFrame, names: pd.DataFrame) -> gpd.GeoDataFrame:
    label = cells["row"].astype(str) + "-" + cells["col"].astype(str)
    size = f"{cells['cell_m'].iloc[0]:g}" if len(cells) else "?"
    unit_zh = cells["parent_code"].map(names["name_zh"])
    unit_en = cells["parent_code"].map(names["name_en"])
    frame = cells.assign(
        level=3,
        area_m2=cells["area_m2"].round(1),
        name_zh=unit_zh + "耕地保护网格（规则格网替代村界） " + label,
        name_en=unit_en + " farmland grid cell (lattice stand-in for villages) " + label,
        source=(
            f"{SCHEME}; no village boundaries uploaded: level 3 approximated by a regular "
            f"{size} m lattice (EPSG:4546, anchored at the CRS origin) cut by the level-2 "
            f"units; cells under {MIN_AREA_SHARE:.0%} of a whole cell merged into a "
            "neighbour of the same unit"
        ),
        geometry_quality=APPROXIMATE,
    )
    parts, index = shapely.get_parts(frame.geometry.values, return_index=True)
    frame = frame.set_geometry(shapely.multipolygons(parts, indices=index), crs=METRIC_CRS)
    return frame[[*CELL_COLUMNS, "geometry"]].to_crs(STORAGE_CRS)
