"""What a generated grid cell is worth: the quality and source of what it was cut from.

A cell's outline is drawn by the unit border it was cut at and, at level 3, by
a village outline or by the lattice standing in for one. It is known no better
than the least trustworthy of these (:func:`geoservice.quality.weakest_quality`),
so each cell carries that ``geometry_quality`` and a ``source`` naming what it was
made from and where those came from, as every feature does
(``docs/data-quality.md``). A lattice square stands in for a village territory
nobody has drawn: ``approximate`` at best, whatever the unit. A unit or village
that does not say how it was located leaves its cells unknown (null), never
sourced. Private helper of :mod:`.grid`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geoservice.quality import APPROXIMATE, QUALITY, normalise_quality, weakest_quality

SOURCE = "source"
PROVENANCE_COLUMNS = (SOURCE, QUALITY)
"""Columns :func:`cell_provenance` adds to the grid."""
UNSTATED = "not stated"


def cell_provenance(
    cells: pd.DataFrame,
    units: pd.DataFrame,
    villages: pd.DataFrame | None,
    *,
    code_column: str,
    village_code_column: str,
    cell_m: float,
) -> pd.DataFrame:
    """Return ``cells`` with the ``source`` and ``geometry_quality`` of their inputs.

    ``cells`` has ``parent_code`` and ``village_code`` (null for lattice cells),
    as cut by :func:`~.grid.generate_farmland_grid` before small cells are
    merged; a unit's and a village's ``source`` and ``geometry_quality`` are read
    from ``units`` and ``villages`` (by code) when they have them.
    """
    unit, village = _Inputs(units, code_column), _Inputs(villages, village_code_column)
    villages_of = [None if pd.isna(v) else v for v in cells["village_code"]]
    keys = list(zip(cells["parent_code"], villages_of, strict=True))
    made = {key: _provenance(unit, village, *key, cell_m=cell_m) for key in set(keys)}
    source, quality = ([made[key][i] for key in keys] for i in (0, 1))
    return cells.assign(
        **{SOURCE: source, QUALITY: pd.Series(quality, index=cells.index, dtype=object)}
    )


def _provenance(
    unit: _Inputs, village: _Inputs, parent: Any, vcode: Any, *, cell_m: float
) -> tuple[str, str | None]:
    cut = f"cut by {unit.describe('unit', parent)}"
    if vcode is None:
        quality = weakest_quality([unit.quality(parent), APPROXIMATE], "Polygon")
        return f"{cell_m:g} m lattice square standing in for an undrawn village, {cut}", quality
    quality = weakest_quality([unit.quality(parent), village.quality(vcode)], "Polygon")
    return f"{village.describe('village', vcode)}, {cut}", quality


def merged_quality(merged: pd.DataFrame, cut: pd.DataFrame) -> pd.DataFrame:
    """Return ``merged`` with each receiving cell as weak as the pieces it took in.

    A lattice sliver merged into a village cell makes part of that outline a
    lattice line: the cell is no better than its donors (``merged_from``, codes of
    ``cut``, the grid before merging).
    """
    if merged["merged_from"].isna().all():
        return merged
    before = dict(zip(cut["code"], cut[QUALITY], strict=True))
    quality = merged[QUALITY].copy()
    for i in merged.index[merged["merged_from"].notna()]:
        donors = str(merged.at[i, "merged_from"]).split(",")
        quality[i] = weakest_quality([quality[i], *(before.get(d) for d in donors)], "Polygon")
    return merged.assign(**{QUALITY: quality})


class _Inputs:
    """The quality and source of a frame's features, by code (none when no frame)."""

    def __init__(self, frame: pd.DataFrame | None, code_column: str) -> None:
        columns = [c for c in PROVENANCE_COLUMNS if frame is not None and c in frame]
        table = (
            frame.set_index(frame[code_column].astype(str))[columns]
            if frame is not None
            else pd.DataFrame()
        )
        self.table = table[~table.index.duplicated()]

    def _get(self, column: str, code: Any) -> Any:
        if column not in self.table or str(code) not in self.table.index:
            return None
        value = self.table.at[str(code), column]
        return None if pd.isna(value) else value

    def quality(self, code: Any) -> Any:
        return normalise_quality(self._get(QUALITY, code), "Polygon")

    def describe(self, kind: str, code: Any) -> str:
        """E.g. ``unit 150602101000 (outline approximate; source: ...)``."""
        quality = self.quality(code) or UNSTATED
        return f"{kind} {code} (outline {quality}; source: {self._get(SOURCE, code) or UNSTATED})"
