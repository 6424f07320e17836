"""Road networks: travel times, isochrones and origin–destination matrices.

A :class:`RoadNetwork` is built from any LineString layer (OSM ways from pyrosm, or
a road layer drawn from named routes). Every vertex is a node, so lines connect
where they share a vertex (OSM-style topology; vertices within 1 mm are one node)
and, on request, where they cross. Shortest paths run on a
sparse matrix with SciPy's C Dijkstra (``scipy.sparse.csgraph``); the same graph is
available for networkx through :meth:`RoadNetwork.to_networkx`.

One travel-time model (the *reach model*) serves every network analysis:
a feature joins the network at its nearest node, and that access (or egress) leg
is walked in a straight line at the network's ``access_speed_kmh`` (4.8 km/h,
80 m a minute, unless the network was built with another) and counted in the
time. Features farther than ``max_snap_m`` (500 m by default) from every node are
*not on the network*: they reach nothing, and results say so (``snap_m``,
``off_network``) instead of leaving them silently unreached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geoservice.analysis import _common as c
from geoservice.analysis import _roads
from geoservice.analysis._roads import (
    DRIVE_SPEEDS_KMH,
    NOT_WALKABLE,
    WALK_SPEED_KMH,
    band,
    reached_length,
    reached_lines,
)
from geoservice.analysis._topology import split_lines
from geoservice.analysis.crs import to_metric
from geoservice.errors import InvalidParameter

Profile = Literal["walk", "drive"]

#: Default snap limit: features farther than this from every road node are not on
#: the network and reach nothing over it.
MAX_SNAP_M = 500.0
__all__ = [
    "DRIVE_SPEEDS_KMH",
    "MAX_SNAP_M",
    "NOT_WALKABLE",
    "WALK_SPEED_KMH",
    "IsochroneResult",
    "RoadNetwork",
    "build_network",
    "compute_isochrones",
    "off_network",
    "reached_length",
    "reached_lines",
    "travel_time_matrix",
]


@dataclass(frozen=True)
class RoadNetwork:
    """A routable road network in a metric CRS.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        One point per node; the index (0..n-1) is the node id.
    edges : geopandas.GeoDataFrame
        One row per direction that may be travelled: ``u``, ``v``, ``length_m``,
        ``speed_kmh``, ``minutes``, ``road`` (index of the source road) and the
        geometry oriented from ``u`` to ``v``.
    profile : {"walk", "drive"}
    summary : dict
        Counts of roads, nodes and edges, and road classes left out.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    profile: str
    summary: dict[str, Any]
    matrix: csr_matrix = field(repr=False, compare=False)
    _tree: cKDTree = field(repr=False, compare=False)
    access_speed_kmh: float = WALK_SPEED_KMH

    @property
    def crs(self) -> Any:
        """The network's (metric) CRS."""
        return self.nodes.crs

    def snap(
        self, gdf: gpd.GeoDataFrame, *, max_snap_m: float | None = 500.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each feature's anchor point, and the distance to it.

        Features in a different CRS are projected to the network's first. Node
        ids are -1 where the nearest node is farther than ``max_snap_m``.
        """
        pts = c.anchor_points(to_metric(gdf, self.crs), "representative_point")
        dist, node = self._tree.query(shapely.get_coordinates(pts))
        node = np.asarray(node, dtype=np.int64)
        if max_snap_m is not None:
            node[dist > max_snap_m] = -1
        return node, np.asarray(dist)

    def leg_minutes(self, dist_m: np.ndarray) -> np.ndarray:
        """Minutes to walk ``dist_m`` straight to or from the network."""
        return np.asarray(dist_m, dtype=np.float64) / (self.access_speed_kmh * 1000.0 / 60.0)

    def snap_legs(
        self, gdf: gpd.GeoDataFrame, *, max_snap_m: float | None = MAX_SNAP_M
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest node, timed access leg and distance of each feature (reach model).

        The node is -1 and the leg ``inf`` where the feature is off the network.
        """
        node, dist = self.snap(gdf, max_snap_m=max_snap_m)
        leg = np.where(node >= 0, self.leg_minutes(dist), np.inf)
        return node, leg, dist

    def source_minutes(
        self, node: np.ndarray, leg: np.ndarray, *, limit_minutes: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from the nearest source to every node, access legs included.

        Source ``k`` joins the network at ``node[k]`` after ``leg[k]`` minutes
        (see :meth:`snap_legs`); sources off the network (node -1) are ignored.
        Returns the minutes (``inf`` where unreached) and the position of the
        source that reaches each node first (-1 where unreached).
        """
        n = self.matrix.shape[0]
        ok = np.nonzero((node >= 0) & np.isfinite(leg))[0]
        if not len(ok):
            return np.full(n, np.inf), np.full(n, -1)
        m = len(ok)
        links = csr_matrix((leg[ok], (np.arange(m), node[ok])), shape=(m, n + m))
        graph = vstack([hstack([self.matrix, csr_matrix((n, m))]), links]).tocsr()
        dist, _, src = dijkstra(
            graph,
            directed=True,
            indices=np.arange(n, n + m),
            min_only=True,
            limit=limit_minutes,
            return_predecessors=True,
        )
        src = np.asarray(src[:n], dtype=np.int64)
        found = src >= 0
        src[found] = ok[src[found] - n]
        return dist[:n], src

    def node_minutes(
        self, sources: np.ndarray, *, limit_minutes: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from the nearest of ``sources`` to every node, and which source.

        Unreached nodes get ``inf`` and source -1.
        """
        sources = np.unique(sources[sources >= 0])
        n = self.matrix.shape[0]
        if not len(sources):
            return np.full(n, np.inf), np.full(n, -1)
        dist, _, src = dijkstra(
            self.matrix,
            directed=True,
            indices=sources,
            min_only=True,
            limit=limit_minutes,
            return_predecessors=True,
        )
        return dist, src

    def to_networkx(self) -> Any:
        """The network as a ``networkx.DiGraph`` with ``minutes``/``length_m``."""
        import networkx as nx

        best = self.edges.sort_values("minutes").drop_duplicates(["u", "v"])
        graph = nx.DiGraph()
        graph.add_nodes_from(range(len(self.nodes)))
        graph.add_weighted_edges_from(
            zip(best["u"], best["v"], best["minutes"], strict=True), weight="minutes"
        )
        nx.set_edge_attributes(
            graph,
            dict(
                zip(
                    zip(best["u"], best["v"], strict=True),
                    best["length_m"],
                    strict=True,
                )
            ),
            "length_m",
        )
        return graph


def off_network(
    network: RoadNetwork, gdf: gpd.GeoDataFrame, *, max_snap_m: float | None = MAX_SNAP_M
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each feature to its nearest road node, and whether it is off the network.

    A feature farther than ``max_snap_m`` is "not on the network": every network
    result reports it (``snap_m``, ``off_network``) instead of leaving it unreached
    without saying why.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(
    ...     geometry=[LineString([(500000, 4400000), (500100, 4400000)])], crs=4546
    ... )
    >>> net = build_network(roads, profile="walk")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(500000, 4400010), Point(500000, 4400600)],
    ...                        crs=4546)
    >>> dist, off = off_network(net, pts)
    >>> dist.round().tolist(), off.tolist()
    ([10.0, 600.0], [False, True])
    """
    _, dist = network.snap(gdf, max_snap_m=None)
    off = np.zeros(len(dist), dtype=bool) if max_snap_m is None else dist > max_snap_m
    return dist, off


def build_network(
    roads: gpd.GeoDataFrame,
    *,
    profile: Profile = "walk",
    class_col: str | None = "highway",
    speed_col: str | None = None,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = WALK_SPEED_KMH,
    access_speed_kmh: float = WALK_SPEED_KMH,
    oneway_col: str | None = None,
    split_crossings: bool = False,
    max_segment_m: float | None = 100.0,
    crs: Any = None,
) -> RoadNetwork:
    """Build a routable network from a LineString layer.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        LineStrings or MultiLineStrings with a CRS.
    profile : {"walk", "drive"}
        Walking uses ``walk_speed_kmh`` on every road except motorways and
        expressways, both ways. Driving uses ``speed_col`` if given, else the
        class speeds (:data:`DRIVE_SPEEDS_KMH` updated with ``speeds_kmh``);
        roads of other classes (footways, paths, unknown) are left out.
    class_col : str or None, default "highway"
        Road-class column (OSM ``highway`` values or 国道/省道/... classes).
    speed_col : str, optional
        Numeric speed in km/h; overrides the class speeds (drive profile).
    speeds_kmh : mapping, optional
        Extra or replacement class speeds for driving.
    walk_speed_kmh : float, default 4.8
    access_speed_kmh : float, default 4.8
        Speed of the straight access and egress legs between a feature and its
        nearest node; they are timed and counted in every travel time.
    oneway_col : str, optional
        For driving: "yes"/"true"/"1" is travelled only along the line, "-1" only
        against it.
    split_crossings : bool, default False
        Also split lines where they cross without a shared vertex (needed for
        hand-drawn layers; wrong for OSM bridges).
    max_segment_m : float or None, default 100
        Add vertices so that no edge is longer: every vertex is a node that
        features snap to, so long straight roads still offer nearby nodes.
    crs : optional
        Metric CRS of the network; the roads' (``analysis.crs.metric_crs_of``) if None.
        Metric CRS of the network.

    Returns
    -------
    RoadNetwork

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["residential"]},
    ...     geometry=[LineString([(500000, 4400000), (500800, 4400000)])],
    ...     crs=4546,
    ... )
    >>> net = build_network(roads, profile="walk")
    >>> len(net.nodes), float(net.edges["minutes"].sum() / 2)  # 100 m edges, both ways
    (9, 10.0)
    """
    c.check_frame(roads, "roads")
    c.require_kind(roads, "roads", {"line"})
    if profile not in ("walk", "drive"):
        raise InvalidParameter(f"profile must be 'walk' or 'drive', not {profile!r}")
    c.require_columns(roads, "roads", speed_col, oneway_col)
    roads_m = to_metric(roads, crs)
    speed, excluded = _roads.speeds(
        roads_m, profile, class_col, speed_col, speeds_kmh, walk_speed_kmh
    )
    forward, backward = _roads.directions(roads_m, profile, oneway_col)
    keep = speed > 0
    if not keep.any():
        raise InvalidParameter(
            f"no road in the layer can be used for {profile!r}",
            details={"classes_left_out": excluded},
        )
    if max_segment_m is not None:
        max_segment_m = c.positive(max_segment_m, "max_segment_m")
    pieces = split_lines(np.asarray(roads_m.geometry.array)[keep], split_crossings, max_segment_m)
    road_pos = np.nonzero(keep)[0][pieces.source]
    length = shapely.length(pieces.geometry)
    ok = length > 0
    edges = _roads.directed_edges(pieces, ok, road_pos, length, speed, forward, backward)
    edges["road"] = roads_m.index.to_numpy()[edges.pop("road_pos").to_numpy()]
    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=roads_m.crs)
    nodes = gpd.GeoDataFrame(geometry=shapely.points(pieces.node_xy), crs=roads_m.crs)
    return RoadNetwork(
        nodes=nodes,
        edges=edges,
        profile=profile,
        summary={
            "profile": profile,
            "roads": len(roads),
            "roads_used": int(keep.sum()),
            "classes_left_out": excluded,
            "nodes": len(nodes),
            "edges": len(edges),
            "crs": str(roads_m.crs),
        },
        matrix=_roads.travel_matrix(edges, len(nodes)),
        _tree=cKDTree(pieces.node_xy),
        access_speed_kmh=c.positive(access_speed_kmh, "access_speed_kmh"),
    )


@dataclass(frozen=True)
class IsochroneResult:
    """Isochrones: one row per cutoff (and per facility if asked).

    Attributes
    ----------
    isochrones : geopandas.GeoDataFrame
        ``minutes``, ``facility`` (id, or None for all facilities together),
        ``reached_length_m``, ``area_m2`` and the polygon, in the network CRS.
    facilities : pandas.DataFrame
        Per facility: snapped ``node`` (-1 if too far) and ``snap_m``.
    summary : dict
    """

    isochrones: gpd.GeoDataFrame
    facilities: pd.DataFrame
    summary: dict[str, Any]


def compute_isochrones(
    network: RoadNetwork,
    facilities: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] = (10, 15, 30),
    edge_buffer_m: float = 50.0,
    per_facility: bool = False,
    max_snap_m: float | None = 500.0,
    progress: c.Progress = None,
) -> IsochroneResult:
    """Areas reachable within each time budget, drawn along the reached roads.

    Every edge is reached from its start node for ``minutes - t(start)`` of travel;
    fully reached edges are kept whole and partly reached ones are cut at the
    point reached, then the lines are buffered by ``edge_buffer_m``. Nothing is
    filled in between roads, so an isochrone never claims land the roads do not
    reach (unlike a convex hull).

    Parameters
    ----------
    network : RoadNetwork
    facilities : geopandas.GeoDataFrame
        Origins (any geometry; its representative point is snapped to a node).
    minutes : sequence of float, default (10, 15, 30)
    edge_buffer_m : float, default 50
        Half-width of the band drawn around reached roads.
    per_facility : bool, default False
        One isochrone per facility and cutoff instead of one for all together.
    max_snap_m : float or None, default 500
        Facilities farther than this from the network reach nothing.
    progress : callable, optional
        Called with the fraction done.

    Returns
    -------
    IsochroneResult

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(
    ...     geometry=[LineString([(500000, 4400000), (501000, 4400000)])], crs=4546
    ... )
    >>> net = build_network(roads, profile="walk")
    >>> fac = gpd.GeoDataFrame(geometry=[Point(500000, 4400000)], crs=4546)
    >>> iso = compute_isochrones(net, fac, minutes=[5], edge_buffer_m=10)
    >>> round(float(iso.isochrones["reached_length_m"].iloc[0]))
    400
    """
    c.check_frame(facilities, "facilities")
    cutoffs = sorted(c.positive(m, "minutes") for m in minutes)
    if not cutoffs:
        raise InvalidParameter("give at least one cutoff in minutes")
    buffer_m = c.positive(edge_buffer_m, "edge_buffer_m")
    node, leg, snap_m = network.snap_legs(facilities, max_snap_m=max_snap_m)
    fac_ids = facilities.index.to_list()
    runs = (
        [(fid, slice(i, i + 1)) for i, fid in enumerate(fac_ids)]
        if per_facility
        else [(None, slice(None))]
    )
    rows = []
    for k, (fid, part) in enumerate(runs):
        times, _ = network.source_minutes(node[part], leg[part], limit_minutes=cutoffs[-1])
        for cutoff in cutoffs:
            lines = reached_lines(network, times, cutoff)
            rows.append(
                {
                    "minutes": cutoff,
                    "facility": fid,
                    "reached_length_m": reached_length(network, times, cutoff),
                    "geometry": band(lines, buffer_m),
                }
            )
        c.report(progress, (k + 1) / len(runs))
    iso = gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)
    iso["area_m2"] = iso.area
    table = pd.DataFrame({"node": node, "snap_m": snap_m}, index=facilities.index)
    return IsochroneResult(
        isochrones=iso,
        facilities=table,
        summary={
            "minutes": cutoffs,
            "profile": network.profile,
            "facilities": len(facilities),
            "facilities_off_network": int((node < 0).sum()),
            "edge_buffer_m": buffer_m,
            "crs": str(network.crs),
        },
    )


def travel_time_matrix(
    network: RoadNetwork,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    max_minutes: float | None = None,
    max_snap_m: float | None = 500.0,
    chunk_size: int = 64,
    progress: c.Progress = None,
) -> pd.DataFrame:
    """Network travel times between every origin and destination.

    Minutes follow the reach model: the access leg from the origin to its nearest
    node and the egress leg from the destination's node are walked at the
    network's ``access_speed_kmh`` and included.

    Parameters
    ----------
    network : RoadNetwork
    origins, destinations : geopandas.GeoDataFrame
        Any geometry; representative points are snapped to nodes.
    max_minutes : float, optional
        Leave out pairs slower than this (and search no farther).
    max_snap_m : float or None, default 500
        Features farther from the network are unreachable.
    chunk_size : int, default 64
        Origins searched at once (memory: chunk × nodes × 8 bytes).
    progress : callable, optional

    Returns
    -------
    pandas.DataFrame
        Long format: ``origin``, ``destination`` (index labels) and ``minutes``,
        for reachable pairs only.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(
    ...     geometry=[LineString([(500000, 4400000), (501000, 4400000)])], crs=4546
    ... )
    >>> net = build_network(roads, profile="walk")
    >>> a = gpd.GeoDataFrame(geometry=[Point(500000, 4400000)], crs=4546)
    >>> b = gpd.GeoDataFrame(geometry=[Point(501000, 4400000)], crs=4546)
    >>> float(travel_time_matrix(net, a, b)["minutes"].iloc[0])
    12.5
    """
    limit = np.inf if max_minutes is None else c.positive(max_minutes, "max_minutes")
    o_node, o_leg, _ = network.snap_legs(origins, max_snap_m=max_snap_m)
    d_node, d_leg, _ = network.snap_legs(destinations, max_snap_m=max_snap_m)
    o_ok, d_ok = np.nonzero(o_node >= 0)[0], np.nonzero(d_node >= 0)[0]
    frames = []
    step = max(1, int(chunk_size))
    for start in range(0, len(o_ok), step):
        rows = o_ok[start : start + step]
        times = dijkstra(network.matrix, directed=True, indices=o_node[rows], limit=limit)[
            :, d_node[d_ok]
        ]
        times = times + o_leg[rows][:, None] + d_leg[d_ok][None, :]
        oi, di = np.nonzero(np.isfinite(times) & (times <= limit))
        frames.append(
            pd.DataFrame(
                {
                    "origin": origins.index.to_numpy()[rows[oi]],
                    "destination": destinations.index.to_numpy()[d_ok[di]],
                    "minutes": times[oi, di],
                }
            )
        )
        c.report(progress, (start + len(rows)) / len(o_ok))
    if not frames:
        return pd.DataFrame({"origin": [], "destination": [], "minutes": []})
    return pd.concat(frames, ignore_index=True)
