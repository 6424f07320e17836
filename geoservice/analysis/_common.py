"""Small checks and helpers shared by the analysis modules (private)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.errors import InvalidParameter, MissingDataError

Progress = Callable[[float], None] | None
GeometryKind = Literal["point", "line", "polygon", "empty"]

_KINDS = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}

#: shapely type id -> geometry type name, for the kinds above
_TYPE_NAMES = {int(getattr(shapely.GeometryType, name.upper())): name for name in _KINDS}


def check_frame(gdf: Any, name: str) -> gpd.GeoDataFrame:
    """Raise unless ``gdf`` is a GeoDataFrame whose geometries are all present."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InvalidParameter(f"{name} must be a GeoDataFrame, not {type(gdf)!r}")
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        raise InvalidParameter(
            f"{name} has {int(missing.sum())} feature(s) without geometry",
            details={"ids": [str(i) for i in gdf.index[missing][:20]]},
        )
    return gdf


def require_columns(gdf: gpd.GeoDataFrame, name: str, *columns: str | None) -> None:
    """Raise :class:`InvalidParameter` naming the columns missing from ``gdf``."""
    missing = [c for c in columns if c is not None and c not in gdf.columns]
    if missing:
        raise MissingDataError(
            f"{name} has no column(s) {missing}",
            details={"available": [str(c) for c in gdf.columns]},
        )


def numeric_column(gdf: gpd.GeoDataFrame, name: str, column: str) -> np.ndarray:
    """Return a column as float64, refusing missing or negative values."""
    require_columns(gdf, name, column)
    values = np.asarray(gdf[column], dtype="float64")
    if np.isnan(values).any():
        raise MissingDataError(
            f"{name}.{column} has {int(np.isnan(values).sum())} missing value(s)",
            details={"column": column},
        )
    if (values < 0).any():
        raise InvalidParameter(f"{name}.{column} must be non-negative numbers without gaps")
    return values


def geometry_kind(gdf: gpd.GeoDataFrame, name: str) -> GeometryKind:
    """Classify a layer as points, lines or polygons; mixed kinds are refused."""
    if len(gdf) == 0:
        return "empty"
    # integer type ids: unique() over 10^5 type-name strings took longer than
    # some analyses
    ids = np.unique(shapely.get_type_id(np.asarray(gdf.geometry.array)))
    kinds = {_KINDS.get(_TYPE_NAMES.get(int(t), ""), "other") for t in ids}
    if len(kinds) != 1 or "other" in kinds:
        raise InvalidParameter(
            f"{name} mixes geometry kinds {sorted(kinds)}; split it into one layer per kind"
        )
    return kinds.pop()  # type: ignore[return-value]


def require_kind(gdf: gpd.GeoDataFrame, name: str, allowed: Iterable[GeometryKind]) -> GeometryKind:
    """Classify ``gdf`` and raise unless its kind is in ``allowed`` (or empty)."""
    kind = geometry_kind(gdf, name)
    allowed = set(allowed)
    if kind != "empty" and kind not in allowed:
        raise InvalidParameter(f"{name} must hold {sorted(allowed)}, not {kind}s")
    return kind


def positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising unless it is positive (or zero if allowed)."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"{name} must be a number, not {value!r}") from exc
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise InvalidParameter(f"{name} must be > 0, not {value!r}")
    return number


def one_of(**options: Any) -> str:
    """Return the name of the single option that is not None, else raise."""
    given = [k for k, v in options.items() if v is not None]
    if len(given) != 1:
        raise InvalidParameter(f"give exactly one of {sorted(options)}, not {given or 'none'}")
    return given[0]


def anchor_points(gdf: gpd.GeoDataFrame, how: str = "centroid") -> np.ndarray:
    """Return one point per feature: itself for points, else centroid or rep. point."""
    geoms = np.asarray(gdf.geometry.array)
    types = shapely.get_type_id(geoms)
    if (types == 0).all():
        return np.asarray(geoms)
    if how == "centroid":
        return shapely.centroid(geoms)
    if how == "representative_point":
        return shapely.point_on_surface(geoms)
    raise InvalidParameter(
        f"demand_point must be 'centroid' or 'representative_point', not {how!r}"
    )


def report(progress: Progress, fraction: float) -> None:
    """Call the progress callback, if any, with a fraction clipped to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))))


def object_array(values: list[Any]) -> np.ndarray:
    """A 1-d object array of ``values`` (never a 2-d array of tuples)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def take_labels(index: pd.Index, pos: np.ndarray) -> Any:
    """Labels of ``index`` at positions ``pos``; missing (None/<NA>) where pos < 0.

    Integer labels stay integers (nullable ``Int64`` when some are missing).
    """
    pos = np.asarray(pos, dtype=np.int64)
    missing = pos < 0
    if not len(index):
        return object_array([None] * len(pos))
    values = index.to_numpy()[np.where(missing, 0, pos)]
    if not missing.any():
        return values
    if pd.api.types.is_integer_dtype(index.dtype):
        return pd.arrays.IntegerArray(values.astype(np.int64), missing)
    out = values.astype(object)
    out[missing] = None
    return out


def index_values(gdf: gpd.GeoDataFrame, id_column: str | None = None) -> list[Any]:
    """Feature ids: ``id_column`` values if given, else the frame's index."""
    if id_column is None:
        return gdf.index.tolist()
    require_columns(gdf, "layer", id_column)
    return gdf[id_column].tolist()


def anchor_xy(gdf: gpd.GeoDataFrame, how: str = "centroid") -> np.ndarray:
    """Coordinates (n × 2) of :func:`anchor_points`, without building points.

    Centroids of Polygons are computed from coordinates rather than by GEOS, which
    is several times faster for many small cells: a polygon that fills its
    bounding box (a grid cell) has the box centre as centroid; other polygons
    without holes use the shoelace formula; the rest go to GEOS.
    """
    geoms = np.asarray(gdf.geometry.array)
    types = shapely.get_type_id(geoms)
    if not (how == "centroid" and len(geoms) and (types == 3).all()):
        return shapely.get_coordinates(anchor_points(gdf, how))
    b = shapely.bounds(geoms)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    rect = np.abs(shapely.area(geoms) - box_area) <= 1e-9 * box_area
    out = np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])
    rest = np.nonzero(~rect)[0]
    if len(rest):
        simple = shapely.get_num_interior_rings(geoms[rest]) == 0
        out[rest[simple]] = simple_polygon_centroids(geoms[rest[simple]])
        holed = rest[~simple]
        out[holed] = shapely.get_coordinates(shapely.centroid(geoms[holed]))
    return out


def simple_polygon_centroids(polys: np.ndarray) -> np.ndarray:
    """Centroid coordinates of Polygons without holes (shoelace formula).

    Each ring is shifted to its first vertex for precision; degenerate polygons
    (zero area) fall back to GEOS.
    """
    xy, ring = shapely.get_coordinates(polys, return_index=True)
    first = np.r_[0, np.nonzero(ring[1:] != ring[:-1])[0] + 1]
    origin = xy[first]
    x, y = (xy - origin[ring]).T
    same = ring[1:] == ring[:-1]
    cross = np.where(same, x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    n = len(polys)
    area = np.bincount(ring[:-1], weights=cross, minlength=n) / 2
    mx = np.bincount(ring[:-1], weights=(x[:-1] + x[1:]) * cross, minlength=n) / 6
    my = np.bincount(ring[:-1], weights=(y[:-1] + y[1:]) * cross, minlength=n) / 6
    out = np.empty((n, 2))
    ok = area != 0
    out[ok, 0] = origin[ok, 0] + mx[ok] / area[ok]
    out[ok, 1] = origin[ok, 1] + my[ok] / area[ok]
    if not ok.all():
        out[~ok] = shapely.get_coordinates(shapely.centroid(polys[~ok]))
    return out
