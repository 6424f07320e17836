"""Coordinate reference systems for measuring: every distance and area is metric.

Analyses project their inputs with :func:`to_metric` before buffering or measuring,
and refuse a geographic target CRS instead of warning (geopandas only warns, and
users miss it: geopandas #2540).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

from geoservice.crs import gauss_kruger_crs
from geoservice.errors import CRSMismatchError, GeographicCRSError, MissingCRSError

EXAMPLE_METRIC_CRS = "EPSG:4546"
"""Named in messages as an example of a metric CRS (CGCS2000 GK CM 111E)."""


def metric_crs(crs: Any) -> CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`, refusing a geographic one.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        Anything :meth:`pyproj.CRS.from_user_input` accepts.

    Returns
    -------
    pyproj.CRS
        A projected CRS whose axis unit is the metre.

    Raises
    ------
    GeographicCRSError
        If the CRS is geographic (degrees) or its unit is not the metre.

    Examples
    --------
    >>> metric_crs("EPSG:4546").name
    'CGCS2000 / 3-degree Gauss-Kruger CM 111E'
    """
    parsed = CRS.from_user_input(crs)
    if parsed.is_geographic:
        raise GeographicCRSError(
            f"{parsed.name} is geographic (degrees); distances and areas need a "
            f"projected CRS in metres such as {EXAMPLE_METRIC_CRS}",
            details={"crs": parsed.to_string()},
        )
    units = {axis.unit_name for axis in parsed.axis_info}
    if units and units != {"metre"}:
        raise GeographicCRSError(
            f"{parsed.name} measures in {sorted(units)}, not metres",
            details={"crs": parsed.to_string()},
        )
    return parsed


def analysis_crs(crs: Any = None, network: Any = None, *layers: gpd.GeoDataFrame | None) -> Any:
    """Return the metric CRS an analysis measures in.

    A road network wins: its nodes, snapping distances and travel times are in
    its own CRS, so the other layers are projected to it. Otherwise ``crs`` (a
    process passes its study area's), else :func:`metric_crs_of` the layers.
    """
    if network is not None:
        return network.crs
    return crs or metric_crs_of(*layers)


def metric_crs_of(*layers: gpd.GeoDataFrame | None) -> Any:
    """Return a metric CRS for layers given none: theirs if projected in metres, else a
    CGCS2000 3-degree Gauss-Krüger zone.

    The zone is the one whose central meridian is nearest the centre of the
    layers' lon/lat extent (``crs.gauss_kruger_crs``), the CRS Chinese planning
    data are measured in; a first layer already in a metric CRS is measured as is.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> metric_crs_of(gpd.GeoDataFrame(geometry=[Point(106.0, 29.5)], crs=4326))
    'EPSG:4544'
    """
    given = [g for g in layers if g is not None and g.crs is not None]
    if not given:
        raise MissingCRSError("no layer with a CRS to choose a metric CRS from")
    first = CRS.from_user_input(given[0].crs)
    if first.is_projected and {a.unit_name for a in first.axis_info} == {"metre"}:
        return first
    boxes = [g.to_crs(4326).total_bounds for g in given if not g.empty]
    if not boxes:
        raise MissingCRSError("the layers are empty; give a metric CRS")
    return gauss_kruger_crs((min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2)


def to_metric(gdf: gpd.GeoDataFrame, crs: Any = None) -> gpd.GeoDataFrame:
    """Project a layer to a metric CRS for measuring; the input is not changed.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any layer with a CRS set.
    crs : str, int or pyproj.CRS, optional
        Target projected CRS in metres; :func:`metric_crs_of` the layer when None.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in ``crs`` (a shallow copy when already in it).

    Raises
    ------
    MissingCRSError
        If ``gdf`` has no CRS.
    GeographicCRSError
        If ``crs`` is geographic.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(109.98, 39.82)], crs=4326)
    >>> round(to_metric(g).geometry.x.iloc[0])
    412669
    """
    if gdf.crs is None:
        raise MissingCRSError("the layer has no CRS; set one before analysing it")
    target = metric_crs(crs if crs is not None else metric_crs_of(gdf))
    if CRS.from_user_input(gdf.crs) == target:
        return gdf.copy(deep=False)
    return gdf.to_crs(target)


def ensure_same_crs(**layers: gpd.GeoDataFrame | None) -> CRS:
    """Check that all given layers share one CRS and return it.

    Parameters
    ----------
    **layers : geopandas.GeoDataFrame or None
        Layers by name (the names appear in the error); ``None`` is skipped.

    Returns
    -------
    pyproj.CRS
        The common CRS.

    Raises
    ------
    MissingCRSError
        If a layer has no CRS.
    CRSMismatchError
        If two layers differ.

    Examples
    --------
    >>> import geopandas as gpd
    >>> a = gpd.GeoDataFrame(geometry=[], crs=4326)
    >>> ensure_same_crs(a=a, b=a.copy()).to_epsg()
    4326
    """
    found: dict[str, CRS] = {}
    for name, gdf in layers.items():
        if gdf is None:
            continue
        if gdf.crs is None:
            raise MissingCRSError(f"layer {name!r} has no CRS")
        found[name] = CRS.from_user_input(gdf.crs)
    if not found:
        raise MissingCRSError("no layer given")
    first_name, first = next(iter(found.items()))
    for name, crs in found.items():
        if crs != first:
            raise CRSMismatchError(
                f"layer {name!r} is in {crs.name} but {first_name!r} is in "
                f"{first.name}; reproject one of them first",
                details={name: crs.to_string(), first_name: first.to_string()},
            )
    return first
