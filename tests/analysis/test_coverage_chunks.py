"""Coverage measured chunk by chunk gives exactly the one-pass answer."""

import itertools

import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid

from geoservice.analysis._grid import row_cuts
from geoservice.analysis._tiles import ReachIndex
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.network import build_network

SIDE = 60  # 3 600 cells of 50 m: 3 km square


def _facilities(kind):
    """Random facilities, plus a row of them on each third of the area's height,
    where chunk borders fall for the chunk sizes used below."""
    rng = np.random.default_rng(15)
    x = X0 + rng.uniform(-200, 3200, 40)
    y = Y0 + rng.uniform(-200, 3200, 40)
    bx = X0 + np.arange(100, 3000, 400.0)
    x = np.r_[x, bx, bx]
    y = np.r_[y, np.full(bx.size, Y0 + 1000.0), np.full(bx.size, Y0 + 2010.0)]
    points = shapely.points(x, y)
    if kind == "points":
        return frame(points)
    if kind == "polygons":  # reach from their edges
        return frame(shapely.buffer(points, rng.uniform(10, 120, x.size), quad_segs=3))
    return frame(shapely.linestrings(np.stack([np.c_[x, y], np.c_[x + 150, y + 80]], axis=1)))


def _irregular_cells():
    """Rotated, uneven quadrilaterals: no lattice, many straddle tiles."""
    rng = np.random.default_rng(7)
    cells = np.asarray(grid(SIDE, 50.0).geometry.array)
    scale = rng.uniform(0.5, 1.6, cells.size)
    angle = rng.uniform(0, 90, cells.size)
    return frame(
        [
            shapely.affinity.rotate(shapely.affinity.scale(c, s, s), a)
            for c, s, a in zip(cells, scale, angle, strict=True)
        ]
    )


@pytest.mark.parametrize("fac_kind", ["points", "polygons", "lines"])
@pytest.mark.parametrize("demand_kind", ["lattice", "irregular", "points"])
@pytest.mark.parametrize("distance_m", [0.0, 120.0, 400.0])
def test_chunked_coverage_equals_the_unchunked_answer(fac_kind, demand_kind, distance_m):
    if demand_kind == "lattice":
        demand = grid(SIDE, 50.0)
    elif demand_kind == "irregular":
        demand = _irregular_cells()
    else:
        demand = frame(shapely.centroid(np.asarray(grid(SIDE, 50.0).geometry.array)))
    demand = demand.sample(frac=1.0, random_state=3)  # not in spatial order
    fac = _facilities(fac_kind)
    one = compute_coverage(fac, demand, distance_m=distance_m, chunk_size=10**9).demand
    chunked = compute_coverage(fac, demand, distance_m=distance_m, chunk_size=250).demand
    assert chunked.index.equals(demand.index)  # input order kept
    np.testing.assert_array_equal(chunked["covered_share"], one["covered_share"])
    if demand_kind != "points":
        np.testing.assert_array_equal(chunked["covered_area_m2"], one["covered_area_m2"])
    if distance_m > 0:
        assert 0 < (one["covered_share"] > 0).mean() < 1


def test_chunked_network_coverage_of_cells_equals_the_unchunked_answer():
    streets = [shapely.LineString([(X0, Y0 + y), (X0 + 3000, Y0 + y)]) for y in (500, 1500)]
    streets += [shapely.LineString([(X0 + x, Y0), (X0 + x, Y0 + 3000)]) for x in (700, 2100)]
    net = build_network(frame(streets, highway=["residential"] * 4), profile="walk")
    cells = grid(SIDE, 50.0)
    fac = frame([shapely.Point(X0 + 700, Y0 + 980), shapely.Point(X0 + 2000, Y0 + 1500)])
    one = compute_coverage(fac, cells, minutes=6, network=net, chunk_size=10**9).demand
    chunked = compute_coverage(fac, cells, minutes=6, network=net, chunk_size=300).demand
    assert 0 < (one["covered_share"] > 0).mean() < 1
    np.testing.assert_array_equal(chunked["covered_area_m2"], one["covered_area_m2"])


def test_chunks_are_runs_of_whole_tile_rows_with_reach_crossing_their_borders():
    cells = np.asarray(grid(SIDE, 50.0).geometry.array)
    fac = np.asarray(_facilities("points").geometry.array)
    index = ReachIndex(shapely.buffer(fac, 300.0), demand_bounds=shapely.bounds(cells))
    bounds = shapely.bounds(cells)
    runs = list(index.chunks(bounds, 400))
    positions = np.concatenate([pos for pos, _ in runs])
    assert np.array_equal(np.sort(positions), np.arange(cells.size))  # each once
    assert len(runs) >= 5
    rows = [set(index.grid.ranges(bounds[pos])[2].tolist()) for pos, _ in runs]
    assert all(a.isdisjoint(b) for a, b in itertools.pairwise(rows))
    # some reach polygons span two chunks' windows, and each window measures them
    windows = [(t.y0, t.y0 + t.ny - 1) for _, t in runs]
    part_rows = index.grid.ranges(shapely.bounds(index.parts))
    crossing = [((part_rows[2] <= hi) & (part_rows[3] > hi)).sum() for _, hi in windows[:-1]]
    assert sum(crossing) > 0
    one = index.covered_area(cells)
    for pos, tiles in runs:
        np.testing.assert_array_equal(tiles.covered_area(cells[pos]), one[pos])


def test_a_tile_row_holding_more_than_twice_the_chunk_is_cut_every_chunk():
    rows = np.r_[np.zeros(3, int), np.ones(1000, int), np.full(5, 2)]
    cuts = row_cuts(rows, 100)
    runs = np.split(np.arange(rows.size), cuts)
    assert max(len(r) for r in runs) < 200
    assert sum(len(r) for r in runs) == rows.size
    # rows of 10 are never split, and runs stay near the chunk size
    rows = np.repeat(np.arange(50), 10)
    cuts = row_cuts(rows, 25)
    assert (rows[cuts] != rows[cuts - 1]).all()
    assert all(20 <= len(r) <= 35 for r in np.split(rows, cuts)[:-1])


def test_demand_outside_every_reach_is_uncovered_in_any_chunk():
    cells = grid(20, 50.0)
    far = frame([shapely.Point(X0 + 50_000, Y0)])
    chunked = compute_coverage(far, cells, distance_m=100, chunk_size=30).demand
    assert (chunked["covered_share"] == 0).all()
