"""Per-parent statistics of a grid, and what changed between two versions of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoservice.analysis import _common as c
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric
from geoservice.analysis.farmland import _checks as checks
from geoservice.errors import InvalidParameter


@dataclass(frozen=True)
class GridStatistics:
    """Per-parent statistics of a grid.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parent code: ``cells``, ``area_m2``, ``mean_cell_area_m2``,
        ``clipped_cells`` (when the grid has ``is_clipped``), and with a
        protected attribute ``protected_area_m2`` and ``protected_share``.
    summary : dict
        Totals, and which protected attribute was used (None if there is none).
    """

    table: pd.DataFrame
    summary: dict[str, Any]


def grid_statistics(
    cells: gpd.GeoDataFrame,
    *,
    parent_column: str = "parent_code",
    protected_column: str | None = None,
    crs: Any = None,
) -> GridStatistics:
    """Count cells and sum their area per parent, with the protected share if known.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Polygons.
    parent_column : str, default "parent_code"
    protected_column : str, optional
        A boolean column (the whole cell is protected farmland) or a numeric one
        (protected area in m² within the cell, capped at the cell's area).
        Without it no share is computed: nothing is assumed.
    crs : optional
        Metric CRS; the layers' (``analysis.crs.metric_crs_of``) if None.

    Returns
    -------
    GridStatistics

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"parent_code": ["A", "A"], "protected": [True, False]},
    ...                      geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
    ...                      crs="EPSG:4546")
    >>> grid_statistics(g, protected_column="protected").table["protected_share"].tolist()
    [0.5]
    """
    c.check_frame(cells, "cells")
    c.require_columns(cells, "cells", parent_column, protected_column)
    crs = analysis_crs(crs, None, cells)
    metric = to_metric(cells, crs)
    frame = pd.DataFrame({"parent": metric[parent_column].astype("object"), "area": metric.area})
    agg = {
        "cells": ("area", "size"),
        "area_m2": ("area", "sum"),
        "mean_cell_area_m2": ("area", "mean"),
    }
    if "is_clipped" in metric.columns:
        frame["clipped"] = metric["is_clipped"].fillna(False).astype(bool).to_numpy()
        agg["clipped_cells"] = ("clipped", "sum")
    if protected_column is not None:
        frame["protected"] = _protected_area(metric, protected_column, frame["area"].to_numpy())
        agg["protected_area_m2"] = ("protected", "sum")
    table = frame.groupby("parent", dropna=False).agg(**agg)
    table.index.name = parent_column
    if protected_column is not None:
        table["protected_share"] = table["protected_area_m2"] / table["area_m2"]
    total_area = float(frame["area"].sum())
    summary = {
        "cells": len(frame),
        "parents": len(table),
        "area_m2": total_area,
        "protected_column": protected_column,
        "protected_share": float(frame["protected"].sum() / total_area)
        if protected_column is not None and total_area > 0
        else None,
        "crs": crs,
    }
    return GridStatistics(table=table.reset_index(), summary=summary)


def _protected_area(metric: gpd.GeoDataFrame, column: str, area: np.ndarray) -> np.ndarray:
    values = metric[column]
    if pd.api.types.is_bool_dtype(values) or set(values.dropna().map(type)) == {bool}:
        return np.where(values.fillna(False).astype(bool), area, 0.0)
    numbers = np.asarray(values, dtype="float64")
    if np.isnan(numbers).any() or (numbers < 0).any():
        raise InvalidParameter(f"cells.{column} must be a boolean or non-negative areas in m²")
    return np.minimum(numbers, area)


@dataclass(frozen=True)
class GridComparison:
    """Two versions of a grid matched on cell code.

    Attributes
    ----------
    cells : geopandas.GeoDataFrame
        Every code of either version: ``change`` (``added``, ``removed``,
        ``changed`` or ``unchanged``), ``area_old_m2``, ``area_new_m2``,
        ``changed_area_m2`` (area of the symmetric difference) and
        ``changed_attributes``; the geometry is the new one (old if removed).
    summary : dict
        Counts per change and the parameters.
    """

    cells: gpd.GeoDataFrame
    summary: dict[str, Any]


def compare_grids(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    tolerance_m2: float = 1.0,
    crs: Any = None,
) -> GridComparison:
    """List cells added, removed and changed between two versions of a grid.

    A cell present in both is ``changed`` when its outline moved by more than
    ``tolerance_m2`` (area of the symmetric difference) or an attribute both
    versions have differs.

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame
        Two versions, each with unique codes.
    code_column : str, default "code"
    tolerance_m2 : float, default 1.0
    crs : optional
        Metric CRS; the layers' (``analysis.crs.metric_crs_of``) if None.

    Returns
    -------
    GridComparison

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> a = gpd.GeoDataFrame({"code": ["x", "y"]}, crs="EPSG:4546",
    ...                      geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> b = gpd.GeoDataFrame({"code": ["y", "z"]}, crs="EPSG:4546",
    ...                      geometry=[shapely.box(10, 0, 25, 10), shapely.box(0, 0, 10, 10)])
    >>> compare_grids(a, b).summary["changes"]
    {'changed': 1, 'added': 1, 'removed': 1, 'unchanged': 0}
    """
    for frame, name in ((old, "old"), (new, "new")):
        c.check_frame(frame, name)
        c.require_columns(frame, name, code_column)
        codes = frame[code_column]
        if codes.isna().any() or codes.duplicated().any():
            dupes = sorted(map(str, codes[codes.duplicated()].unique()))[:20]
            raise InvalidParameter(
                f"{name}.{code_column} must be unique and present to match cells; "
                f"check the nesting first (repeated: {dupes})"
            )
    tol = c.positive(tolerance_m2, "tolerance_m2", allow_zero=True)
    ensure_same_crs(old=old, new=new)
    crs = analysis_crs(crs, None, new, old)
    cells = checks.compare(to_metric(old, crs), to_metric(new, crs), code_column, tol)
    counts = cells["change"].value_counts()
    kinds = ("changed", "added", "removed", "unchanged")
    summary = {
        "old_cells": len(old),
        "new_cells": len(new),
        "changes": {k: int(counts.get(k, 0)) for k in kinds},
        "changed_area_m2": float(np.nansum(cells["changed_area_m2"])),
        "tolerance_m2": tol,
        "crs": crs,
    }
    return GridComparison(cells=cells, summary=summary)
