"""The tiled reach index measures what shapely measures, by its faster paths."""

import numpy as np
import pytest
import shapely

from geoservice.analysis._tiles import ReachIndex, clip_to_boxes, intersection_area


@pytest.fixture
def random_pairs():
    rng = np.random.default_rng(15)
    n = 300
    geoms = shapely.buffer(
        shapely.points(rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)),
        rng.uniform(20, 300, n),
        quad_segs=16,
    )
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    bounds = np.column_stack([x, y, x + rng.uniform(1, 200, n), y + rng.uniform(1, 200, n)])
    return geoms, bounds


def test_clipping_many_rectangles_at_once_equals_clipping_one_by_one(random_pairs):
    geoms, bounds = random_pairs
    together = clip_to_boxes(geoms, bounds)
    one_by_one = [shapely.clip_by_rect(g, *b) for g, b in zip(geoms, bounds, strict=True)]
    assert shapely.equals_exact(together, np.array(one_by_one, dtype=object)).all()
    assert clip_to_boxes(geoms[:0], bounds[:0]).shape == (0,)


def test_intersection_area_of_rectangles_and_other_shapes_matches_shapely(random_pairs):
    geoms, bounds = random_pairs
    boxes = shapely.box(*bounds.T)
    # every other one a triangle, which takes the general intersection
    polys = np.where(
        np.arange(len(boxes)) % 2 == 0,
        boxes,
        shapely.polygons([[(b[0], b[1]), (b[2], b[1]), (b[0], b[3])] for b in bounds.tolist()]),
    )
    expected = shapely.area(shapely.intersection(polys, geoms))
    np.testing.assert_allclose(intersection_area(polys, geoms), expected, rtol=1e-9, atol=1e-6)


def test_covered_area_of_grid_cells_equals_the_area_under_the_union():
    rng = np.random.default_rng(7)
    disks = shapely.buffer(shapely.points(rng.uniform(0, 2000, (40, 2))), 250, quad_segs=16)
    x, y = np.meshgrid(np.arange(0, 2000, 100.0), np.arange(0, 2000, 100.0))
    cells = shapely.box(x.ravel(), y.ravel(), x.ravel() + 100, y.ravel() + 100)
    index = ReachIndex(disks, demand_bounds=shapely.bounds(cells))
    expected = shapely.area(shapely.intersection(cells, shapely.union_all(disks)))
    np.testing.assert_allclose(index.covered_area(cells), expected, rtol=1e-9, atol=1e-6)
