"""Vectorised line topology: cut lines into segments and substrings (private)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: Vertices closer than this (metres) are the same node.
NODE_TOLERANCE_M = 1e-3


@dataclass(frozen=True)
class Pieces:
    """Lines split at nodes: geometry, source line, end nodes and node coordinates."""

    geometry: np.ndarray
    source: np.ndarray
    u: np.ndarray
    v: np.ndarray
    node_xy: np.ndarray


def split_lines(
    geoms: np.ndarray,
    split_crossings: bool = False,
    max_segment_m: float | None = None,
) -> Pieces:
    """Cut lines into straight segments between consecutive vertices.

    Every vertex becomes a node, so lines meet wherever they share a vertex (OSM
    style) and features can snap to any vertex. ``max_segment_m`` first adds
    vertices so no segment is longer (long hand-drawn roads would otherwise offer
    only their ends to snap to). With ``split_crossings`` lines are also noded
    where they cross, and each piece is traced back to the line it came from.
    """
    parts, src = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    if split_crossings and len(parts):
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
        mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        nearest = shapely.STRtree(parts).query_nearest(mid, all_matches=False)[1]
        parts, src = noded, src[nearest]
    if max_segment_m is not None:
        parts = shapely.segmentize(parts, max_segment_m)
    coords, line = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / NODE_TOLERANCE_M).astype(np.int64)
    _, first_of_key, key_id = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    key_id = key_id.ravel()
    a = np.nonzero(line[1:] == line[:-1])[0]
    b = a + 1
    segments = shapely.linestrings(np.stack([coords[a], coords[b]], axis=1))
    return Pieces(
        geometry=segments,
        source=src[line[a]],
        u=key_id[a],
        v=key_id[b],
        node_xy=coords[first_of_key],
    )


def orient(geoms: np.ndarray, *, reverse: bool) -> np.ndarray:
    """Return the lines reversed (or unchanged)."""
    return shapely.reverse(geoms) if reverse else geoms


def substring_from_start(lines: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """The first ``dist`` metres of each line (vectorised ``substring(0, d)``)."""
    lines = np.asarray(lines, dtype=object)
    if not len(lines):
        return lines
    coords, line = shapely.get_coordinates(lines, return_index=True)
    seg = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    seg[np.r_[True, line[1:] != line[:-1]]] = 0.0
    csum = np.cumsum(seg)
    start_of = np.searchsorted(line, np.arange(len(lines)))
    along = csum - csum[start_of][line]
    keep = along < dist[line]
    end = shapely.get_coordinates(shapely.line_interpolate_point(lines, dist))
    all_xy = np.concatenate([coords[keep], end])
    all_line = np.concatenate([line[keep], np.arange(len(lines))])
    order = np.argsort(all_line, kind="stable")  # kept vertices, then the cut point
    return shapely.linestrings(all_xy[order], indices=all_line[order])
