"""Travel costs between demand and supply: metres or network minutes (private).

Costs are measured between anchor points: a point is itself; a polygon or line is
its centroid (or representative point). Results are positional: ``i`` indexes the
demand rows, ``j`` the supply rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from geoservice.analysis import _common as c
from geoservice.errors import InvalidParameter

if TYPE_CHECKING:
    from geoservice.analysis.network import RoadNetwork

#: Largest dense demand × supply matrix built at once (entries).
MAX_DENSE = 20_000_000


@dataclass(frozen=True)
class Pairs:
    """Sparse costs: demand position ``i``, supply position ``j``, ``cost``."""

    i: np.ndarray
    j: np.ndarray
    cost: np.ndarray
    unit: str  # "m" or "min"


def anchors(gdf: gpd.GeoDataFrame, demand_point: str = "centroid") -> np.ndarray:
    """Anchor coordinates (n × 2) of a metric layer."""
    return c.anchor_xy(gdf, demand_point)


def cost_pairs(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    max_cost: float | None,
    network: RoadNetwork | None = None,
    demand_point: str = "centroid",
    max_snap_m: float | None = 500.0,
) -> Pairs:
    """All demand–supply pairs within ``max_cost`` (metres, or minutes on a network)."""
    if network is not None:
        from geoservice.analysis.network import travel_time_matrix

        d = demand.reset_index(drop=True)
        s = supply.reset_index(drop=True)
        od = travel_time_matrix(network, d, s, max_minutes=max_cost, max_snap_m=max_snap_m)
        return Pairs(
            od["origin"].to_numpy(np.int64),
            od["destination"].to_numpy(np.int64),
            od["minutes"].to_numpy(np.float64),
            "min",
        )
    a, b = anchors(demand, demand_point), anchors(supply, "representative_point")
    if max_cost is None:
        if len(a) * len(b) > MAX_DENSE:
            raise InvalidParameter(
                f"{len(a)} × {len(b)} pairs without a maximum distance is too many; "
                "give a maximum distance"
            )
        i, j = np.divmod(np.arange(len(a) * len(b)), max(len(b), 1))
        cost = np.hypot(a[i, 0] - b[j, 0], a[i, 1] - b[j, 1])
        return Pairs(i, j, cost, "m")
    if not len(a) or not len(b):
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, np.zeros(0), "m")
    rec = cKDTree(a).sparse_distance_matrix(cKDTree(b), max_cost, output_type="ndarray")
    order = np.lexsort((rec["j"], rec["i"]))
    rec = rec[order]
    return Pairs(rec["i"].astype(np.int64), rec["j"].astype(np.int64), rec["v"], "m")


def dense_costs(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    network: RoadNetwork | None = None,
    demand_point: str = "centroid",
    unreachable: float = np.inf,
) -> np.ndarray:
    """Full demand × supply cost matrix (metres or minutes)."""
    if len(demand) * len(supply) > MAX_DENSE:
        raise InvalidParameter(
            f"a {len(demand)} × {len(supply)} cost matrix is too large; aggregate "
            "the demand or thin the candidates"
        )
    pairs = cost_pairs(demand, supply, max_cost=None, network=network, demand_point=demand_point)
    out = np.full((len(demand), len(supply)), unreachable, dtype=np.float64)
    out[pairs.i, pairs.j] = pairs.cost
    return out
