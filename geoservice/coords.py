"""Conversions between WGS84, GCJ-02 and BD-09 longitude/latitude.

Chinese web maps publish coordinates in two obfuscated systems: GCJ-02 (AMap,
Tencent, Google China; the "Mars" offset required by the national surveying
rules) and BD-09 (Baidu, a further rotation of GCJ-02). Neither has an EPSG
code, so pyproj cannot convert them; the public formulas below are the de-facto
standard (Krasovsky 1940 ellipsoid constants ``a`` and ``ee``).

Every sourced coordinate or boundary in this project that comes from AMap or
Baidu passes through this module, and nothing else implements these formulas.
All functions are vectorised over numpy arrays; scalars in give floats out.

The GCJ-02 offset is a smooth function, so the inverse (GCJ-02 → WGS84) has no
closed form but converges by fixed-point iteration in three or four steps.
Points outside the rough box around China are returned unchanged, as every
implementation of the formula does (the offset is not applied abroad).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

import geopandas
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

A_KRASOVSKY = 6378245.0
"""Semi-major axis (m) of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula."""
EE_KRASOVSKY = 0.00669342162296594323
"""First eccentricity squared of the Krasovsky 1940 ellipsoid."""
X_PI = np.pi * 3000.0 / 180.0
"""Angular constant of the BD-09 rotation."""
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
"""(min lon, min lat, max lon, max lat) outside which no offset is applied."""

System = Literal["wgs84", "gcj02", "bd09"]
Coords = tuple[NDArray[np.float64], NDArray[np.float64]]
GeomT = TypeVar("GeomT")


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where a point lies outside the box in which offsets apply.

    The box is the conventional rough rectangle used by every published
    implementation; it is deliberately coarse, so results match theirs.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BOX
    return ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))


def _offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Coords:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS84 ``lon, lat``."""
    x, y = lon - 105.0, lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    shared = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2 / 3
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += shared
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2 / 3
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2 / 3
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += shared
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2 / 3
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2 / 3
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - EE_KRASOVSKY * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A_KRASOVSKY * (1.0 - EE_KRASOVSKY)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (A_KRASOVSKY / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> Coords:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.copy(), lat_a.copy()


def _like_input(lon_in: ArrayLike, result: Coords):
    """Return plain floats when the caller passed scalars."""
    if np.ndim(lon_in) == 0:
        return float(result[0]), float(result[1])
    return result


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """Convert WGS84 lon/lat to GCJ-02 (the forward, closed-form offset).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees; any broadcastable shapes.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02, floats for scalar input, else arrays.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = ~out_of_china(lon_a, lat_a)
    dlon, dlat = _offset(lon_a[inside], lat_a[inside])
    lon_a[inside] += dlon
    lat_a[inside] += dlat
    return _like_input(lon, (lon_a, lat_a))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 30):
    """Convert GCJ-02 lon/lat to WGS84 by fixed-point iteration.

    Starting from the GCJ-02 point itself, each step moves the estimate by the
    residual ``wgs84_to_gcj02(estimate) - target``. The offset changes by well
    under 1 % per degree, so the map is a strong contraction and the residual
    falls below ``tol`` in a few steps; the one-step inverse most libraries
    use is only good to 1–2 m.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.
    tol : float
        Stop when the largest residual in degrees is below this (1e-9° is
        about 0.1 mm).
    max_iter : int
        Safety bound; never reached for points inside China.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84; points outside China are returned unchanged.
    """
    target_lon, target_lat = _as_arrays(lon, lat)
    est_lon, est_lat = target_lon.copy(), target_lat.copy()
    inside = ~out_of_china(target_lon, target_lat)
    for _ in range(max_iter):
        fwd_lon, fwd_lat = wgs84_to_gcj02(est_lon, est_lat)
        res_lon = np.where(inside, fwd_lon - target_lon, 0.0)
        res_lat = np.where(inside, fwd_lat - target_lat, 0.0)
        est_lon -= res_lon
        est_lat -= res_lat
        if max(np.abs(res_lon).max(initial=0.0), np.abs(res_lat).max(initial=0.0)) < tol:
            break
    return _like_input(lon, (est_lon, est_lat))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """Convert GCJ-02 lon/lat to Baidu BD-09 (closed form)."""
    x, y = _as_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return _like_input(lon, (z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike):
    """Convert Baidu BD-09 lon/lat to GCJ-02 (the standard closed-form inverse).

    Kept as published, so results match every reference table; it is itself
    approximate, undoing :func:`gcj02_to_bd09` only to about 1e-6° (≈ 0.1 m).
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    x, y = lon_a - 0.0065, lat_a - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return _like_input(lon, (z * np.cos(theta), z * np.sin(theta)))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike):
    """Convert Baidu BD-09 lon/lat to WGS84 (via GCJ-02)."""
    return _like_input(lon, gcj02_to_wgs84(*bd09_to_gcj02(*_as_arrays(lon, lat))))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike):
    """Convert WGS84 lon/lat to Baidu BD-09 (via GCJ-02)."""
    return _like_input(lon, gcj02_to_bd09(*wgs84_to_gcj02(*_as_arrays(lon, lat))))


_CONVERTERS: dict[tuple[System, System], Callable[..., Coords]] = {
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
    ("wgs84", "bd09"): wgs84_to_bd09,
}


def convert_coords(lon: ArrayLike, lat: ArrayLike, *, src: System, dst: System):
    """Convert lon/lat arrays between any two of ``wgs84``, ``gcj02``, ``bd09``."""
    if src == dst:
        return _like_input(lon, _as_arrays(lon, lat))
    try:
        func = _CONVERTERS[(src, dst)]
    except KeyError:
        raise ValueError(f"unknown coordinate systems {src!r} → {dst!r}") from None
    return func(lon, lat)


def convert_geometry(geometry: GeomT, *, src: System, dst: System) -> GeomT:
    """Convert every vertex of shapely geometries (scalar or array) in one pass.

    Uses ``shapely.transform``, so the conversion runs once over the stacked
    coordinates of all geometries rather than per vertex in Python. Z values
    are kept as they are.
    """

    def _xy(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = convert_coords(coords[:, 0], coords[:, 1], src=src, dst=dst)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, _xy)


def gcj02_to_wgs84_geometry(geometry: GeomT) -> GeomT:
    """Convert shapely geometries from GCJ-02 (AMap) to WGS84."""
    return convert_geometry(geometry, src="gcj02", dst="wgs84")


def wgs84_to_gcj02_geometry(geometry: GeomT) -> GeomT:
    """Convert shapely geometries from WGS84 to GCJ-02 (for AMap basemaps)."""
    return convert_geometry(geometry, src="wgs84", dst="gcj02")


def bd09_to_wgs84_geometry(geometry: GeomT) -> GeomT:
    """Convert shapely geometries from Baidu BD-09 to WGS84."""
    return convert_geometry(geometry, src="bd09", dst="wgs84")


def convert_frame(frame, *, src: System, dst: System):
    """Return a copy of a GeoDataFrame/GeoSeries with its geometry converted.

    GCJ-02 and BD-09 have no EPSG code; by convention such data are labelled
    EPSG:4326 (or carry no CRS). The result is labelled EPSG:4326 because its
    axes are lon/lat degrees; only the datum offset differs between systems.

    Raises
    ------
    ValueError
        If the input has a CRS that is not geographic lon/lat (e.g. projected
        metres), because the formulas only apply to degrees.
    """
    if frame.crs is not None and not frame.crs.is_geographic:
        raise ValueError(f"convert_frame needs lon/lat degrees, got {frame.crs.to_string()}")
    geometry = convert_geometry(np.asarray(frame.geometry.values), src=src, dst=dst)
    if isinstance(frame, geopandas.GeoSeries):
        return geopandas.GeoSeries(geometry, index=frame.index, crs="EPSG:4326", name=frame.name)
    out = frame.copy()
    out[frame.geometry.name] = geopandas.GeoSeries(geometry, index=frame.index, crs="EPSG:4326")
    return out.set_crs("EPSG:4326", allow_override=True)
