"""Split a region into approximate units from their known points.

No street/town boundaries of Dongsheng are published in any open dataset, so
the sample layer derives approximate ones: a Voronoi diagram of every sourced
point known to belong to a unit (its AMap seat point and its communities or
villages), dissolved by unit.

A plain Voronoi diagram would hand the small urban streets most of the
countryside, because their points sit at the edge of the rural towns. So the
urban streets are confined to an *urban zone*; whatever their Voronoi cells
cover outside it is re-assigned to the nearest town point. The town cells are
not clipped, so a town seat that sits at the edge of the city keeps the ground
around it. The result tiles the region exactly: every piece is a piece of one
Voronoi cell, and each cell is split, never duplicated.

All inputs and outputs are in one metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geoservice.sampledata.common import as_multipolygon

GRID_M = 0.01
"""Precision grid (metres) on which unit pieces are merged."""


def voronoi_cells(points: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """Return the Voronoi cell of each point (input order), clipped to ``region``.

    Parameters
    ----------
    points : numpy.ndarray of shapely.Point
        Distinct points; duplicates would share one cell.
    region : shapely geometry
        Area to cover; the diagram is extended over its envelope first.
    """
    frame = shapely.box(*shapely.buffer(region.envelope, 1000.0).bounds)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise ValueError("generator points must be distinct")
    return shapely.intersection(cells, region, grid_size=GRID_M)


def partition_region(
    region: BaseGeometry,
    generators: gpd.GeoDataFrame,
    urban_zone: BaseGeometry,
) -> gpd.GeoDataFrame:
    """Partition ``region`` among units, confining urban units to ``urban_zone``.

    Parameters
    ----------
    region : shapely geometry
        The area to tile (the district), metric CRS.
    generators : geopandas.GeoDataFrame
        One row per known point with columns ``code`` (the unit it belongs to)
        and ``is_urban`` (bool: confined to the urban zone), metric CRS. At
        least one generator must be non-urban, to receive the rural remainder.
    urban_zone : shapely geometry
        Where urban units may extend.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit code (sorted), columns ``code`` and ``geometry``, same
        CRS as ``generators``; the polygons tile ``region`` without overlap.
    """
    points = np.asarray(generators.geometry.values)
    is_urban = generators["is_urban"].to_numpy(dtype=bool)
    codes = generators["code"].to_numpy()
    if is_urban.all():
        raise ValueError("at least one non-urban generator is needed")
    region = shapely.set_precision(region, GRID_M)
    cells = voronoi_cells(points, region)
    inside = shapely.intersection(cells, urban_zone, grid_size=GRID_M)
    kept = np.where(is_urban, inside, cells)
    outside = shapely.difference(cells[is_urban], urban_zone, grid_size=GRID_M)
    spill = shapely.union_all(outside, grid_size=GRID_M)
    rural_cells = voronoi_cells(points[~is_urban], region)
    reassigned = shapely.intersection(rural_cells, spill, grid_size=GRID_M)
    pieces = gpd.GeoDataFrame(
        {"code": np.concatenate([codes, codes[~is_urban]])},
        geometry=np.concatenate([kept, reassigned]),
        crs=generators.crs,
    )
    pieces = pieces[~pieces.geometry.is_empty]
    unit_codes = sorted(pieces["code"].unique())
    # Every overlay runs on the same 1 cm grid (snap rounding), so pieces cut
    # from the two diagrams share edges exactly and merge without hairline gaps.
    merged = [
        shapely.union_all(pieces.geometry[pieces["code"] == code].values, grid_size=GRID_M)
        for code in unit_codes
    ]
    return gpd.GeoDataFrame(
        {"code": unit_codes},
        geometry=[as_multipolygon(g) for g in merged],
        crs=generators.crs,
    )


def largest_gap_point(
    domain: BaseGeometry, others: np.ndarray, *, step_m: float = 100.0
) -> shapely.Point:
    """Return the lattice point of ``domain`` farthest from every point in ``others``.

    This is the centre of the largest empty circle, searched on a ``step_m``
    lattice: a deterministic place for a unit whose location no source gives,
    chosen so that it takes ground from no unit that has a sourced point.
    Ties are broken by the smallest (x, y).
    """
    minx, miny, maxx, maxy = domain.bounds
    xs = np.arange(np.floor(minx / step_m), np.ceil(maxx / step_m) + 1) * step_m
    ys = np.arange(np.floor(miny / step_m), np.ceil(maxy / step_m) + 1) * step_m
    grid_x, grid_y = np.meshgrid(xs, ys)
    candidates = shapely.points(grid_x.ravel(), grid_y.ravel())
    candidates = candidates[shapely.contains_xy(domain, grid_x.ravel(), grid_y.ravel())]
    tree = shapely.STRtree(others)
    (cand_idx, _), distances = tree.query_nearest(
        candidates, return_distance=True, all_matches=False
    )
    nearest = np.full(len(candidates), np.inf)
    np.minimum.at(nearest, cand_idx, distances)
    xy = shapely.get_coordinates(candidates)
    order = np.lexsort((xy[:, 1], xy[:, 0], -nearest))
    return candidates[order[0]]
