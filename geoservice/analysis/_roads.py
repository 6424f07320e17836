"""Road speeds, edge tables and reached roads for :mod:`.network` (private)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from geoservice.analysis import _common as c
from geoservice.analysis._topology import orient, substring_from_start
from geoservice.errors import InvalidParameter

#: Walking speed used for every walkable road (km/h): 80 m a minute.
WALK_SPEED_KMH = 4.8
#: Road classes nobody may walk on.
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "expressway", "高速公路", "快速路"})
#: Default driving speeds (km/h) by class: OSM ``highway`` values, then the Chinese
#: administrative road classes (国道/省道/县道/乡道) in Chinese and English. They are
#: planning assumptions close to the design speeds of JTG B01-2014; override them
#: with ``speeds_kmh=`` or give a numeric ``speed_col``.
DRIVE_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 100,
    "motorway_link": 60,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 60,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 40,
    "tertiary": 40,
    "tertiary_link": 30,
    "unclassified": 30,
    "residential": 30,
    "living_street": 10,
    "service": 15,
    "road": 30,
    "track": 15,
    "expressway": 100,
    "national": 70,
    "provincial": 60,
    "county": 40,
    "township": 30,
    "urban": 40,
    "高速公路": 100,
    "快速路": 70,
    "国道": 70,
    "省道": 60,
    "县道": 40,
    "乡道": 30,
    "城市道路": 40,
}


def speeds(roads, profile, class_col, speed_col, speeds_kmh, walk_speed_kmh):
    n = len(roads)
    has_class = class_col is not None and class_col in roads.columns
    classes = (
        roads[class_col].astype("object").where(roads[class_col].notna(), None)
        if has_class
        else pd.Series([None] * n, index=roads.index, dtype="object")
    )
    if profile == "walk":
        walk = c.positive(walk_speed_kmh, "walk_speed_kmh")
        speed = np.where(classes.isin(NOT_WALKABLE), 0.0, walk)
    elif speed_col is not None:
        speed = np.nan_to_num(np.asarray(roads[speed_col], dtype="float64"))
    else:
        if not has_class:
            raise InvalidParameter(
                "driving needs a speed_col or a road-class column "
                f"({class_col!r} is not in the layer)"
            )
        table = {**DRIVE_SPEEDS_KMH, **(speeds_kmh or {})}
        speed = classes.map(table).astype("float64").fillna(0.0).to_numpy()
    speed = np.clip(speed, 0.0, None)
    left_out = classes[speed <= 0].value_counts(dropna=False)
    excluded = {str(k): int(v) for k, v in left_out.items()}
    return speed, excluded


def directions(roads, profile, oneway_col):
    n = len(roads)
    forward = np.ones(n, dtype=bool)
    backward = np.ones(n, dtype=bool)
    if profile == "drive" and oneway_col is not None:
        value = roads[oneway_col].astype("string").str.lower().fillna("no")
        backward &= ~value.isin(["yes", "true", "1"]).to_numpy()
        forward &= ~value.isin(["-1", "reverse"]).to_numpy()
    return forward, backward


def directed_edges(pieces, ok, road_pos, length, speed, forward, backward):
    rows = []
    for along, allowed in ((True, forward), (False, backward)):
        sel = ok & allowed[road_pos]
        geom = pieces.geometry[sel]
        u, v = pieces.u[sel], pieces.v[sel]
        rows.append(
            pd.DataFrame(
                {
                    "u": u if along else v,
                    "v": v if along else u,
                    "length_m": length[sel],
                    "speed_kmh": speed[road_pos[sel]],
                    "road_pos": road_pos[sel],
                    "segment": np.nonzero(sel)[0],
                    "geometry": geom if along else orient(geom, reverse=True),
                }
            )
        )
    edges = pd.concat(rows, ignore_index=True)
    edges["minutes"] = edges["length_m"] / (edges["speed_kmh"] * 1000.0 / 60.0)
    return edges


def travel_matrix(edges: pd.DataFrame, n: int) -> csr_matrix:
    best = edges.groupby(["u", "v"], sort=False)["minutes"].min().reset_index()
    # csgraph drops explicit zeros; keep zero-time edges as tiny positive weights
    weight = np.maximum(best["minutes"].to_numpy(), 1e-9)
    return csr_matrix((weight, (best["u"], best["v"])), shape=(n, n))


def reached_lines(network: Any, node_minutes: np.ndarray, cutoff: float) -> np.ndarray:
    """Parts of road segments reachable within ``cutoff`` minutes, given node times.

    A two-way segment reached from both ends is returned once, whole, when the two
    reached parts meet; otherwise each reached part is returned.
    """
    length, reach, first, geoms, segment = _reach_per_row(network, node_minutes, cutoff)
    total = np.bincount(segment, weights=reach, minlength=segment.max(initial=-1) + 1)
    whole = total[segment] >= length - 1e-9
    part = ~whole & (reach > 0)
    return np.concatenate([geoms[whole & first], substring_from_start(geoms[part], reach[part])])


def reached_length(network: Any, node_minutes: np.ndarray, cutoff: float) -> float:
    """Total length (m) of road reachable within ``cutoff`` minutes."""
    length, reach, first, _, segment = _reach_per_row(network, node_minutes, cutoff)
    total = np.bincount(segment, weights=reach, minlength=segment.max(initial=-1) + 1)
    return float(np.minimum(total[segment], length)[first].sum())


def _reach_per_row(network, node_minutes, cutoff):
    """Metres reached along each directed row from its start, clipped to its length."""
    edges = network.edges
    t_u = node_minutes[edges["u"].to_numpy()]
    speed_m_min = edges["speed_kmh"].to_numpy() * 1000.0 / 60.0
    length = edges["length_m"].to_numpy()
    with np.errstate(invalid="ignore"):
        reach = np.clip(np.nan_to_num((cutoff - t_u) * speed_m_min, neginf=0.0), 0.0, length)
    segment = edges["segment"].to_numpy()
    first = ~pd.Series(segment).duplicated().to_numpy()
    return length, reach, first, np.asarray(edges.geometry.array), segment


def band(lines: np.ndarray, buffer_m: float) -> shapely.Geometry:
    if not len(lines):
        return shapely.Polygon()
    # buffering each line then one cascaded union is ~100x faster than buffering
    # the MultiLineString (GEOS unions the part buffers pairwise then)
    return shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
