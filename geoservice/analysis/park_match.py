"""Match shipments to logistics parks: the park for the goods, the quickest to reach.

The Dongsheng plan wants a supply-chain e-map that "matches goods and carriers
(parks) automatically" (seed 000 l.235) and assigns goods to parks by function:
daily necessities to the east-city zone, agri-livestock products and food to
the west, building materials and general merchandise to the south, express and
e-commerce to the north, automotive and mining supplies to Tongchuan (l.231).
:func:`match_parks` takes shipments (origin points with a goods category and a
tonnage) and parks with the goods each handles, and picks for each shipment
the park that handles its goods and is quickest to reach (network travel time,
else straight-line distance), with the reasons in words. A shipment whose goods
no park handles goes to the nearest park of any function, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c
from geoservice.analysis.crs import to_metric
from geoservice.errors import InvalidParameter

DONGSHENG_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "daily_necessities": ("LZ-E",),
    "agri_food": ("LZ-W",),
    "building_materials": ("LZ-S",),
    "general_merchandise": ("LZ-S",),
    "express_ecommerce": ("LZ-N",),
    "automotive": ("LZ-T",),
    "mining_supplies": ("LZ-T",),
}
"""Goods category → codes of the ``logistics_zones`` that the plan assigns them to
(seed 000 l.231: 城东生活必需品仓储配送、城西农畜产品食品、城南建材百货、城北快递电商、
铜川汽车工矿)."""


@dataclass(frozen=True)
class ParkMatchResult:
    """Shipments with their park, and the origin → park links.

    Attributes
    ----------
    shipments : geopandas.GeoDataFrame
        The shipments (metric CRS) with ``park``, ``park_name``,
        ``function_match`` (the park handles the goods), ``minutes`` (by road,
        when a network is given), ``distance_m`` (straight line to the park),
        ``alternatives`` (parks handling the goods) and ``reason``.
    links : geopandas.GeoDataFrame
        One straight line per matched shipment from its origin to its park
        (a drawing aid, not a route), with ``tonnage`` and the park.
    summary : dict
        Counts, tonnage per park, shipments with no park for their goods.
    """

    shipments: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    summary: dict[str, Any]


def match_parks(
    shipments: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    functions: Mapping[str, Sequence[str]],
    goods_col: str = "goods",
    tonnage_col: str | None = "tonnage",
    park_key: str = "code",
    park_name_col: str | None = "name_zh",
    network: Any = None,
    crs: Any = None,
    max_snap_m: float | None = 500.0,
) -> ParkMatchResult:
    """Pick each shipment's park: one handling its goods, quickest to reach.

    Parameters
    ----------
    shipments : geopandas.GeoDataFrame
        Origin points with ``goods_col`` (and ``tonnage_col``, if given).
    parks : geopandas.GeoDataFrame
        Parks or zones (any geometry) keyed by ``park_key``.
    functions : mapping of str to sequence of str
        Goods category → keys of the parks that handle it.
    network : RoadNetwork, optional
        Rank by travel time over it (reach model); else by straight-line distance.
    crs : optional
        Metric CRS (the shipments' Gauss-Krüger zone if None).

    Returns
    -------
    ParkMatchResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> parks = gpd.GeoDataFrame({"code": ["W", "E"], "name_zh": ["西", "东"]},
    ...     geometry=[Point(490000, 4400000), Point(510000, 4400000)], crs=4546)
    >>> ships = gpd.GeoDataFrame({"goods": ["agri_food"], "tonnage": [20.0]},
    ...     geometry=[Point(508000, 4400000)], crs=4546)
    >>> r = match_parks(ships, parks, functions={"agri_food": ["W"]})
    >>> r.shipments[["park", "function_match", "distance_m"]].values.tolist()
    [['W', True, 18000.0]]
    """
    c.check_frame(shipments, "shipments")
    c.check_frame(parks, "parks")
    c.require_columns(shipments, "shipments", goods_col, tonnage_col)
    c.require_columns(parks, "parks", park_key, park_name_col)
    if shipments.empty:
        raise InvalidParameter("shipments: no shipment given")
    if parks.empty:
        raise InvalidParameter("parks: the layer has no features")
    keys = [str(k) for k in parks[park_key]]
    unknown = sorted({str(k) for ks in functions.values() for k in ks} - set(keys))
    if unknown:
        raise InvalidParameter(
            f"functions name parks not in the parks layer: {unknown}",
            details={"parks": keys},
        )
    if tonnage_col is not None:
        tonnage = c.numeric_column(shipments, "shipments", tonnage_col)
    else:
        tonnage = np.ones(len(shipments))
    ships = to_metric(shipments, crs).reset_index(drop=True)
    parks_m = to_metric(parks, ships.crs).reset_index(drop=True)
    names = [str(v) for v in parks_m[park_name_col]] if park_name_col else keys
    distance = _distance_matrix(ships, parks_m)
    minutes = _minutes_matrix(ships, parks_m, network, max_snap_m) if network is not None else None
    cost = minutes if minutes is not None else distance
    position = {k: i for i, k in enumerate(keys)}

    chosen, matched, reasons, alternatives = [], [], [], []
    for i, goods in enumerate(ships[goods_col].astype("string").fillna("")):
        handling = [position[k] for k in functions.get(str(goods), ()) if k in position]
        pool = handling or list(range(len(keys)))
        reachable = [j for j in pool if np.isfinite(cost[i, j])]
        if not reachable:
            chosen.append(-1)
            matched.append(bool(handling))
            alternatives.append(", ".join(keys[j] for j in handling))
            reasons.append(_unreachable_reason(goods, handling, keys))
            continue
        best = min(reachable, key=lambda j, row=cost[i]: row[j])
        chosen.append(best)
        matched.append(bool(handling))
        alternatives.append(", ".join(keys[j] for j in handling))
        reasons.append(
            _reason(goods, best, handling, keys, names, distance[i], minutes, i, len(reachable))
        )
    chosen_arr = np.asarray(chosen)
    ok = chosen_arr >= 0
    out = ships.copy()
    out["park"] = [keys[j] if j >= 0 else None for j in chosen]
    out["park_name"] = [names[j] if j >= 0 else None for j in chosen]
    out["function_match"] = matched
    out["distance_m"] = [round(float(distance[i, j]), 1) if j >= 0 else np.nan
                         for i, j in enumerate(chosen)]  # fmt: skip
    if minutes is not None:
        out["minutes"] = [round(float(minutes[i, j]), 1) if j >= 0 else np.nan
                          for i, j in enumerate(chosen)]  # fmt: skip
    out["alternatives"] = alternatives
    out["reason"] = reasons
    anchors = c.anchor_points(parks_m, "representative_point")
    origins = c.anchor_points(ships, "representative_point")
    lines = [shapely.LineString([origins[i], anchors[j]]) for i, j in enumerate(chosen) if j >= 0]
    links = gpd.GeoDataFrame(
        {
            "park": out.loc[ok, "park"].to_numpy(),
            "park_name": out.loc[ok, "park_name"].to_numpy(),
            "goods": out.loc[ok, goods_col].to_numpy(),
            "tonnage": tonnage[ok],
            "function_match": out.loc[ok, "function_match"].to_numpy(),
        },
        geometry=lines,
        crs=ships.crs,
    )
    per_park = pd.Series(tonnage[ok]).groupby(out.loc[ok, "park"].to_numpy()).sum()
    summary = {
        "shipments": len(out),
        "matched": int(ok.sum()),
        "without_park_for_goods": int((~np.asarray(matched)).sum()),
        "unreachable": int((~ok).sum()),
        "tonnage_by_park": {str(k): float(v) for k, v in per_park.items()},
        "ranked_by": "minutes by road" if minutes is not None else "straight-line distance",
    }
    return ParkMatchResult(out, links, summary)


def _distance_matrix(ships: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(
        shapely.distance(
            np.asarray(ships.geometry.array)[:, None], np.asarray(parks.geometry.array)[None, :]
        ),
        dtype=float,
    )


def _minutes_matrix(ships, parks, network, max_snap_m) -> np.ndarray:
    from geoservice.analysis.network import travel_time_matrix

    times = travel_time_matrix(network, ships, parks, max_snap_m=max_snap_m)
    matrix = np.full((len(ships), len(parks)), np.inf)
    if len(times):
        matrix[times["origin"].astype(int), times["destination"].astype(int)] = times["minutes"]
    return matrix


def _reason(goods, best, handling, keys, names, dist_row, minutes, i, n_reachable) -> str:
    where = f"{names[best]} ({keys[best]})"
    if minutes is not None:
        cost = f"{minutes[i, best]:.1f} min by road, {dist_row[best] / 1000:.1f} km straight"
    else:
        cost = f"{dist_row[best] / 1000:.1f} km straight line (no road network given)"
    if handling:
        choice = (
            "the only park handling it"
            if len(handling) == 1
            else f"the quickest of {n_reachable} reachable parks handling it"
        )
        return f"goods {goods}: {where} handles them, {choice}; {cost}"
    return f"goods {goods}: no park is assigned these goods; nearest park of any function {where}; {cost}"  # noqa: E501


def _unreachable_reason(goods, handling, keys) -> str:
    which = ", ".join(keys[j] for j in handling) if handling else "any park"
    return f"goods {goods}: {which} cannot be reached (origin or park off the road network)"
