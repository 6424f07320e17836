"""Level 3 from village/community boundaries: cut them by the level-2 units.

The scheme divides the basic grid "以村、社区全域情况划分" (by each village's or
community's whole territory). When GIS staff have village outlines, each is cut
by the units it crosses; where two uploaded villages overlap, the one with the
smaller code keeps the overlap, so every square metre has one cell. Whatever
part of a unit no village covers is returned for the lattice to fill, so the
grid still covers the unit (全覆盖、无缝隙), the lattice cells being labelled as
the fallback they are. Frames are in one metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geoservice.analysis.farmland._cut import polygonal


def cut_villages(
    units: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    code_column: str,
    village_code_column: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Split village outlines by unit; return the pieces and the units' uncovered rest.

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        ``(pieces, rest)``: pieces with ``code`` (``<unit code>-<village code>``),
        ``parent_code``, ``village_code`` and polygon geometry; ``rest`` has
        ``code_column`` and the part of each unit that no village covers.

    Raises
    ------
    ValueError
        If the village codes are missing or repeated.
    """
    vcodes = villages[village_code_column]
    if vcodes.isna().any() or vcodes.astype(str).duplicated().any():
        raise ValueError(f"village {village_code_column!r} must be unique and non-null")
    order = np.argsort(vcodes.astype(str).to_numpy(), kind="stable")
    v_geoms = np.asarray(villages.geometry.values)[order]
    v_codes = vcodes.astype(str).to_numpy()[order]
    tree = shapely.STRtree(v_geoms)
    rows, rest = [], []
    for code, unit in zip(units[code_column], units.geometry.values, strict=True):
        taken = shapely.Polygon()
        for i in np.sort(tree.query(unit, predicate="intersects")):
            piece = polygonal(shapely.difference(shapely.intersection(v_geoms[i], unit), taken))
            if piece.is_empty or piece.area <= 0:
                continue
            taken = shapely.union(taken, piece)
            rows.append(
                {
                    "code": f"{code}-{v_codes[i]}",
                    "parent_code": code,
                    "village_code": v_codes[i],
                    "geometry": piece,
                }
            )
        rest.append(polygonal(shapely.difference(unit, taken)))
    pieces = gpd.GeoDataFrame(
        rows or {"code": [], "parent_code": [], "village_code": []},
        geometry="geometry" if rows else [],
        crs=units.crs,
    )
    remainder = gpd.GeoDataFrame(
        {code_column: units[code_column].to_numpy()}, geometry=rest, crs=units.crs
    )
    return pieces, remainder[~remainder.geometry.is_empty].reset_index(drop=True)
