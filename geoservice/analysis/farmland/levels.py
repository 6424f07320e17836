"""Which cells to check against which parents, read from the layers' own levels.

A farmland grid layer says its level in a ``level`` column, and a units layer
usually holds several levels at once (district and towns). Checking the
level-3 cells against all of ``farmland_grid_units`` reports every cell as
overlapping the district, and checking that layer against itself makes no
sense; so the pairs are read from the levels: each level against the level
above it, in the cells' layer and in the parents' layer. Rows marked
``in_scheme = false`` (streets a scheme lists in no level) are neither cells
nor parents: they go with the pair whose parents contain them, as areas that
deliberately have no cells.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from geoservice.analysis.farmland.nesting import parents_at_cell_level


@dataclass(frozen=True)
class LevelPair:
    """One nesting check to run: cells of a level in the parents of the level above."""

    level: Any
    parent_level: Any
    cells: gpd.GeoDataFrame
    parents: gpd.GeoDataFrame
    outside_scheme: gpd.GeoDataFrame | None

    @property
    def label(self) -> str:
        """``"3 in 2"``; ``"cells"``/``"parents"`` stand for a level that is unknown."""
        low = "cells" if self.level is None else level_text(self.level)
        high = "parents" if self.parent_level is None else level_text(self.parent_level)
        return f"{low} in {high}"


def level_pairs(
    cells: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame | None = None,
    *,
    parent_column: str = "parent_code",
    parent_code_column: str = "code",
    level_column: str = "level",
    scheme_column: str = "in_scheme",
) -> list[LevelPair]:
    """Return the nesting checks the layers' levels call for.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        A grid layer; with a ``level_column`` holding several levels (a units
        layer), each level is checked in the level above it.
    parents : geopandas.GeoDataFrame, optional
        Parent units. Several levels: the level the cells name is their parent
        level (:func:`parents_at_cell_level`) and the parents' own levels are
        checked too. None: only the levels inside ``cells``.

    Raises
    ------
    ValueError
        If ``parents`` is None and ``cells`` holds one level only.
    """
    cells, cell_extra = _split_scheme(cells, scheme_column)
    extra = [cell_extra]
    pairs = _within(cells, level_column)
    if parents is not None:
        parents, parent_extra = _split_scheme(parents, scheme_column)
        extra.append(parent_extra)
        bottom = _bottom_level(cells, level_column, bool(pairs))
        named = parent_column in bottom.columns and bottom[parent_column].notna().any()
        if named:
            chosen, level = parents_at_cell_level(
                bottom,
                parents,
                parent_column=parent_column,
                parent_code_column=parent_code_column,
                level_column=level_column,
            )
            level = _level_of(chosen, level_column) if level is None else level
            pairs.insert(0, (_level_of(bottom, level_column), level, bottom, chosen))
            pairs += _within(parents, level_column)
    elif not pairs:
        raise ValueError("the cells hold one level only: give the parents to check them in")
    outside = _frame_union(extra)
    return [_with_outside(p, outside, parent_column, parent_code_column) for p in pairs]


def _split_scheme(frame: gpd.GeoDataFrame, column: str):
    if column not in frame.columns:
        return frame, frame.iloc[:0]
    out = frame[column].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
    return frame[~out], frame[out]


def _within(frame: gpd.GeoDataFrame, level_column: str) -> list[tuple]:
    """(level, parent level, cells, parents) for consecutive levels of one layer."""
    if level_column not in frame.columns:
        return []
    levels = sorted(pd.unique(frame[level_column].dropna()))
    return [
        (low, high, frame[frame[level_column] == low], frame[frame[level_column] == high])
        for high, low in itertools.pairwise(levels)
    ]


def _bottom_level(cells: gpd.GeoDataFrame, level_column: str, several: bool) -> gpd.GeoDataFrame:
    """The top level of a multi-level layer (checked in the given parents), else all cells."""
    if not several:
        return cells
    top = min(pd.unique(cells[level_column].dropna()))
    return cells[cells[level_column] == top]


def _level_of(frame: gpd.GeoDataFrame, level_column: str) -> Any:
    if level_column not in frame.columns:
        return None
    levels = pd.unique(frame[level_column].dropna())
    return levels[0] if len(levels) == 1 else None


def _frame_union(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame | None:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return None
    crs = frames[0].crs
    joined = pd.concat([f.to_crs(crs) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry=frames[0].geometry.name, crs=crs)


def _with_outside(pair: tuple, outside, parent_column: str, parent_code_column: str) -> LevelPair:
    level, parent_level, cells, parents = pair
    mine = None
    if outside is not None and parent_column in outside.columns:
        mine = outside[outside[parent_column].isin(parents[parent_code_column])]
        mine = mine.drop_duplicates(subset=[parent_code_column]) if not mine.empty else None
    return LevelPair(level, parent_level, cells, parents, mine)


def level_text(value: Any) -> str:
    """A level as text: 2.0 (an integer read back through a null) is "2"."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return str(int(number)) if pd.notna(number) and float(number).is_integer() else str(value)
