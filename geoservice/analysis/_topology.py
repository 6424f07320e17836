"""Vectorised line topology: split lines at shared vertices, cut lines (private)."""

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


def split_lines(geoms: np.ndarray, split_crossings: bool = False) -> Pieces:
    """Split lines at every vertex shared with another line (or itself) and ends.

    With ``split_crossings`` the lines are first noded where they cross, and each
    resulting piece is traced back to the line it came from.
    """
    parts, src = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    if split_crossings and len(parts):
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
        mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        nearest = shapely.STRtree(parts).query_nearest(mid, all_matches=False)[1]
        parts, src = noded, src[nearest]
    coords, line = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / NODE_TOLERANCE_M).astype(np.int64)
    _, key_id = np.unique(keys, axis=0, return_inverse=True)
    key_id = key_id.ravel()
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    shared = np.bincount(key_id)[key_id] > 1
    is_node = first | last | shared
    ends_piece = is_node & ~first
    piece = np.cumsum(ends_piece) - ends_piece  # exclusive cumsum
    inner = is_node & ~first & ~last
    rep = 1 + inner
    coords_rep = np.repeat(coords, rep, axis=0)
    piece_rep = np.repeat(piece, rep)
    dup = np.cumsum(rep) - 1  # position of the last copy of each vertex
    piece_rep[dup[inner]] += 1
    pieces = shapely.linestrings(coords_rep, indices=piece_rep)
    node_keys, node_index = np.unique(key_id[is_node], return_inverse=True)
    node_of_key = np.full(key_id.max() + 1 if len(key_id) else 0, -1, dtype=np.int64)
    node_of_key[node_keys] = np.arange(len(node_keys))
    node_xy = np.zeros((len(node_keys), 2))
    node_xy[node_index] = coords[is_node]
    starts = np.nonzero(is_node & ~last)[0]
    ends = np.nonzero(is_node & ~first)[0]
    return Pieces(
        geometry=pieces,
        source=src[line[starts]],
        u=node_of_key[key_id[starts]],
        v=node_of_key[key_id[ends]],
        node_xy=node_xy,
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
