"""Make child units tile their parent exactly: shared edges, no slivers, no overlaps.

Units drawn or derived separately (a district outline and town polygons cut on
a 1 cm grid, say) disagree along their borders by millimetres: overlaid, they
leave dozens of gaps and overlaps of a square metre or two, which the nesting
check rightly reports. Here every outline is snapped to one precision grid and
noded together once; the faces of that single arrangement are handed out to
the children, so two neighbours' common border is literally the same edges,
and the children's union is the parent. Metric CRS only.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

GRID_M = 0.01
"""Default precision grid (metres): 1 cm, far below any boundary's accuracy."""


def tile_exactly(
    parent: BaseGeometry, children: np.ndarray, *, grid_m: float = GRID_M
) -> tuple[np.ndarray, BaseGeometry]:
    """Return the children reshaped to tile ``parent`` exactly, and the parent's outline.

    The outlines are snapped to a ``grid_m`` grid and noded together; each face
    of the arrangement inside the parent goes to the first child (input order)
    covering it, and a face no child covers (a sliver between outlines) to the
    child sharing the longest border with it. Faces outside the parent are
    dropped. Every output edge is an edge of the one arrangement.

    Parameters
    ----------
    parent : shapely geometry
        Polygon or MultiPolygon, metric CRS.
    children : numpy.ndarray of shapely geometry
        Polygons meant to tile ``parent``.
    grid_m : float
        Precision grid in metres.

    Returns
    -------
    tuple
        ``(children, parent)``: one (Multi)Polygon per input child (empty if it
        got no face), and the union of all faces, i.e. ``parent`` on the grid.
    """
    parent = shapely.set_precision(parent, grid_m)
    snapped = shapely.set_precision(np.asarray(children, dtype=object), grid_m)
    lines = shapely.union_all(
        shapely.boundary(np.concatenate([[parent], snapped])), grid_size=grid_m
    )
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    points = shapely.point_on_surface(faces)
    faces = faces[shapely.contains(parent, points)]
    points = shapely.point_on_surface(faces)
    owner = np.full(len(faces), -1)
    for i, child in reversed(list(enumerate(snapped))):
        owner[shapely.contains(child, points)] = i
    _assign_leftovers(faces, owner)
    out = np.array(
        [shapely.coverage_union_all(faces[owner == i]) for i in range(len(snapped))],
        dtype=object,
    )
    return out, shapely.coverage_union_all(faces)


def _assign_leftovers(faces: np.ndarray, owner: np.ndarray) -> None:
    """Give each unowned face to the owned neighbour with the longest common border."""
    tree = shapely.STRtree(faces)
    while (owner < 0).any():
        progress = False
        for f in np.flatnonzero(owner < 0):
            near = tree.query(faces[f], predicate="intersects")
            near = near[owner[near] >= 0]
            if not len(near):
                continue
            shared = shapely.length(
                shapely.intersection(shapely.boundary(faces[f]), shapely.boundary(faces[near]))
            )
            if shared.max() <= 0:
                continue
            owner[f] = owner[near[np.argmax(shared)]]
            progress = True
        if not progress:  # islands touching nothing owned: the nearest owned face
            f = np.flatnonzero(owner < 0)[0]
            owned = np.flatnonzero(owner >= 0)
            if not len(owned):
                raise ValueError("no child overlaps the parent")
            owner[f] = owner[owned[np.argmin(shapely.distance(faces[f], faces[owned]))]]
