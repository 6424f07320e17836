"""Propose where the grid's public information boards (公示牌) go: one per cell near a road.

The scheme puts 网格化监督管理信息公示牌 「在重点区位」 and 「公路沿线」 (at key places
and along roads). Where the most people pass is not known without counts, so the
network stands in for them: the *through-paths* of a road node are how many of
the shortest paths between sampled pairs of network nodes pass through it (a
sampled betweenness centrality). Each cell within ``max_distance_m`` of a road gets
one proposed board at the road node with the most through-paths inside the cell
(or, when no road crosses it, within that distance of it). Proposals are
approximate by construction and meant to be edited.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from geoservice.analysis.crs import analysis_crs, to_metric
from geoservice.analysis.network import build_network

BOARD_COLUMNS = (
    "cell_code",
    "parent_code",
    "through_paths",
    "distance_m",
    "road",
    "name_zh",
    "name_en",
    "source",
    "geometry_quality",
    "placement_method",
)


def through_paths(matrix, *, sources: int = 64) -> np.ndarray:
    """Return, per node, the shortest paths between sampled pairs that pass through it.

    ``sources`` nodes, evenly spread over the node ids (deterministic), each send a
    shortest-path tree to every node they reach; a node's count is the number of
    tree paths it carries without being their end. Dividing by the sources gives
    the average over them, so counts of networks of different size compare.
    """
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    picked = np.unique(np.linspace(0, n - 1, min(sources, n)).round().astype(np.int64))
    dist, pred = dijkstra(matrix, directed=True, indices=picked, return_predecessors=True)
    total = np.zeros(n)
    for row in range(len(picked)):
        reached = np.flatnonzero(np.isfinite(dist[row]))
        order = reached[np.argsort(-dist[row][reached], kind="stable")]
        carried = np.ones(n)
        parents = pred[row]
        for node in order:
            parent = parents[node]
            if parent >= 0:
                carried[parent] += carried[node]
        total[reached] += carried[reached] - 1.0
        total[picked[row]] -= carried[picked[row]] - 1.0  # a source does not pass its own paths
    return total / len(picked)


def propose_boards(
    cells: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 200.0,
    code_column: str = "code",
    parent_column: str = "parent_code",
    class_column: str | None = "road_class",
    sources: int = 64,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Propose one board per cell within ``max_distance_m`` of a road.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Grid cells (polygons) with ``code_column`` (and ``parent_column`` if present).
    roads : geopandas.GeoDataFrame
        Road lines; walkable classes only are routed (expressways are not).
    max_distance_m : float
        A cell farther than this from every road node gets no board.
    sources : int
        Sampled path sources of :func:`through_paths`.
    crs : optional
        Metric CRS; the cells' Gauss-Krüger zone when None.

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        Proposed boards (points, in the metric CRS) with :data:`BOARD_COLUMNS`, and a
        summary: cells with a board, cells without a road near, the network size.
    """
    crs = analysis_crs(crs, None, cells, roads)
    metric_cells = to_metric(cells, crs).reset_index(drop=True)  # sjoin names index_right
    network = build_network(
        to_metric(roads, crs),
        profile="walk",
        class_col=class_column,
        max_segment_m=50.0,
        split_crossings=True,
        crs=crs,
    )
    score = through_paths(network.matrix, sources=sources)
    nodes = network.nodes.assign(through_paths=score)
    road_of = _road_of_nodes(network, roads)
    reach = metric_cells[[code_column, "geometry"]].assign(
        geometry=metric_cells.geometry.buffer(max_distance_m)
    )
    within = gpd.sjoin(nodes[["through_paths", "geometry"]], reach, predicate="within")
    within["node"] = within.index
    own = metric_cells.geometry.loc[within["index_right"]]
    within["distance_m"] = within.geometry.distance(own, align=False)
    # a node inside the cell first (on its border it could be two cells' board); then
    # the most through-paths; then the nearest
    within["outside"] = ~within.geometry.within(own, align=False)
    best = within.sort_values(
        ["outside", "through_paths", "distance_m", "node"],
        ascending=[True, False, True, True],
        kind="stable",
    ).drop_duplicates(code_column)
    best = best.sort_values(code_column)
    parents = metric_cells.set_index(code_column).get(parent_column)
    boards = gpd.GeoDataFrame(
        {
            "cell_code": best[code_column].to_numpy(),
            "parent_code": (
                parents.reindex(best[code_column]).to_numpy() if parents is not None else None
            ),
            "through_paths": best["through_paths"].round(2).to_numpy(),
            "distance_m": best["distance_m"].round(1).to_numpy(),
            "road": road_of.reindex(best["node"]).to_numpy(),
        },
        geometry=best.geometry.to_numpy(),
        crs=crs,
    )
    boards["name_zh"] = "网格化监督管理信息公示牌（建议位置） " + boards["cell_code"]
    boards["name_en"] = "Proposed information board " + boards["cell_code"]
    boards["source"] = (
        "geoservice farmland-boards: road node of most sampled through-paths within "
        f"{max_distance_m:g} m of the cell (东政办发〔2023〕61号: boards along roads)"
    )
    boards["geometry_quality"] = "approximate"
    boards["placement_method"] = "rule:max_through_paths"
    summary = {
        "cells": len(metric_cells),
        "boards": len(boards),
        "cells_without_road_within_m": int(len(metric_cells) - len(boards)),
        "max_distance_m": max_distance_m,
        "network_nodes": len(nodes),
        "sources": min(sources, len(nodes)),
    }
    return boards[[*BOARD_COLUMNS, "geometry"]], summary


def _road_of_nodes(network, roads: gpd.GeoDataFrame) -> pd.Series:
    """Return the name of a road each node lies on (from the edges that leave it)."""
    names = roads["name_zh"] if "name_zh" in roads.columns else pd.Series(index=roads.index)
    edges = network.edges[["u", "road"]].drop_duplicates("u")
    labels = names.reset_index(drop=True).reindex(edges["road"].to_numpy()).to_numpy()
    return pd.Series(labels, index=edges["u"].to_numpy())
