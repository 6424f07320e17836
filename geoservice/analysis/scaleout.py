"""Scale-out: run per-feature analyses partition by partition on a Dask cluster.

Coverage share per cell and nearest-facility assignment are independent per demand
feature, so the demand is sorted along a Hilbert curve (partitions become compact
areas), split with ``dask-geopandas``, and each partition is computed by the same
single-machine function on a ``dask.distributed`` worker. Facilities are small and
are sent to every partition; each partition keeps only the facilities that can
reach it.

The single-machine path stays the default: Dask is used only when a scheduler is
given (an address, or a ``distributed.Client``) and the demand has at least
``min_features`` features.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoservice.analysis import _common as c
from geoservice.analysis.catchment import assign_nearest
from geoservice.analysis.coverage import compute_coverage
from geoservice.analysis.crs import analysis_crs, ensure_same_crs, to_metric


@dataclass(frozen=True)
class PartitionedResult:
    """Demand with per-feature results, and how it was computed.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        The demand (metric CRS, input order) with the result columns.
    summary : dict
        ``engine`` ("local" or "dask"), ``partitions`` and totals.
    """

    demand: gpd.GeoDataFrame
    summary: dict[str, Any]


def coverage_share_partitioned(
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    distance_m: float,
    scheduler_address: str | None = None,
    client: Any = None,
    npartitions: int | None = None,
    min_features: int = 200_000,
    crs: Any = None,
) -> PartitionedResult:
    """Covered share of each demand feature within ``distance_m``, maybe on Dask.

    Parameters
    ----------
    facilities, demand : geopandas.GeoDataFrame
        As for :func:`~geoservice.analysis.coverage.compute_coverage`.
    distance_m : float
        Euclidean reach.
    scheduler_address : str, optional
        ``tcp://host:8786`` of a running Dask scheduler.
    client : distributed.Client, optional
        An existing client (e.g. on a ``LocalCluster``); wins over the address.
    npartitions : int, optional
        Default: two per worker thread, at least 1.
    min_features : int, default 200000
        Below this the single-machine path runs even with a scheduler.
    crs : optional
        Metric CRS; the inputs' metric CRS (``analysis.crs.metric_crs_of``) if None.

    Returns
    -------
    PartitionedResult
        ``covered_share`` and, for polygons, ``covered_area_m2``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=4546)
    >>> fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4546)
    >>> r = coverage_share_partitioned(fac, cells, distance_m=100)
    >>> r.summary["engine"], r.demand["covered_share"].tolist()
    ('local', [1.0])
    """
    c.positive(distance_m, "distance_m", allow_zero=True)
    return _run(
        _coverage_part,
        _coverage_meta,
        facilities,
        demand,
        {"distance_m": distance_m, "crs": crs},
        reach_m=distance_m,
        scheduler_address=scheduler_address,
        client=client,
        npartitions=npartitions,
        min_features=min_features,
        crs=crs,
    )


def assign_nearest_partitioned(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    max_distance_m: float | None = None,
    scheduler_address: str | None = None,
    client: Any = None,
    npartitions: int | None = None,
    min_features: int = 200_000,
    crs: Any = None,
) -> PartitionedResult:
    """Nearest facility (straight line) of each demand feature, maybe on Dask.

    Parameters are those of :func:`coverage_share_partitioned`, with
    ``max_distance_m`` as in :func:`~geoservice.analysis.catchment.assign_nearest`.
    Every partition sees every facility, so the answer is exact.

    Returns
    -------
    PartitionedResult
        ``facility`` and ``distance_m``.
    """
    return _run(
        _nearest_part,
        _nearest_meta,
        facilities,
        demand,
        {"max_distance_m": max_distance_m, "crs": crs},
        reach_m=None,
        scheduler_address=scheduler_address,
        client=client,
        npartitions=npartitions,
        min_features=min_features,
        crs=crs,
    )


def _coverage_part(part, facilities, distance_m, crs):
    if not len(part):
        return _coverage_meta(part)
    out = compute_coverage(facilities, part, distance_m=distance_m, crs=crs).demand
    if "covered_area_m2" not in out:
        out["covered_area_m2"] = np.nan
    return out[[*part.columns, "covered_share", "covered_area_m2"]]


def _coverage_meta(demand):
    return demand.iloc[:0].assign(covered_share=0.0, covered_area_m2=0.0)


def _nearest_part(part, facilities, max_distance_m, crs):
    if not len(part):
        return _nearest_meta(part)
    return assign_nearest(part, facilities, max_distance_m=max_distance_m, crs=crs).demand


def _nearest_meta(demand):
    return demand.iloc[:0].assign(facility=pd.Series(dtype="object"), distance_m=0.0)


def _run(
    func: Callable[..., gpd.GeoDataFrame],
    meta: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
    facilities,
    demand,
    kwargs,
    *,
    reach_m,
    scheduler_address,
    client,
    npartitions,
    min_features,
    crs,
):
    c.check_frame(facilities, "facilities")
    c.check_frame(demand, "demand")
    ensure_same_crs(facilities=facilities, demand=demand)
    crs = analysis_crs(crs, None, demand, facilities)
    fac_m, dem_m = to_metric(facilities, crs), to_metric(demand, crs)
    use_dask = (client is not None or scheduler_address) and len(dem_m) >= min_features
    if not use_dask:
        out = func(dem_m, fac_m, **kwargs)
        return PartitionedResult(out, {"engine": "local", "partitions": 1, "features": len(out)})
    with _client(client, scheduler_address) as active:
        out, nparts = _dask_map(func, meta, fac_m, dem_m, kwargs, reach_m, active, npartitions)
    return PartitionedResult(out, {"engine": "dask", "partitions": nparts, "features": len(out)})


@contextmanager
def _client(client, scheduler_address):
    if client is not None:
        yield client
        return
    from distributed import Client

    with Client(scheduler_address) as own:
        yield own


def _dask_map(func, meta, fac_m, dem_m, kwargs, reach_m, client, npartitions):
    import dask_geopandas

    if npartitions is None:
        threads = sum(client.nthreads().values()) or 1
        npartitions = max(1, 2 * threads)
    order = np.argsort(dem_m.geometry.hilbert_distance().to_numpy(), kind="stable")
    position = pd.Series(np.arange(len(dem_m)), index=dem_m.index, name="_pos")
    sorted_dem = dem_m.iloc[order].assign(_pos=position.iloc[order].to_numpy())
    ddf = dask_geopandas.from_geopandas(sorted_dem, npartitions=npartitions, sort=False)
    result = ddf.map_partitions(
        _with_local_facilities,
        func,
        fac_m,
        reach_m,
        kwargs,
        meta=meta(sorted_dem),
    )
    out = client.compute(result).result()
    out = out.sort_values("_pos").drop(columns="_pos")
    return gpd.GeoDataFrame(out, geometry=dem_m.geometry.name, crs=dem_m.crs), npartitions


def _with_local_facilities(part, func, fac_m, reach_m, kwargs):
    """Run ``func`` on a partition with only the facilities that can reach it."""
    if reach_m is not None and len(part):
        xmin, ymin, xmax, ymax = part.total_bounds
        window = shapely.box(xmin - reach_m, ymin - reach_m, xmax + reach_m, ymax + reach_m)
        fac_m = fac_m[fac_m.intersects(window)]
    return func(part, fac_m, **kwargs)
