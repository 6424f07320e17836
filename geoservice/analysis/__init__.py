"""Planning analyses: pure functions on GeoDataFrames, measured in a metric CRS.

Modules (each function takes keyword-only options with units in their names and
returns a frozen dataclass of frames plus a ``summary`` dict; inputs are never
changed; distances and areas are computed in the ``crs`` given, else in the
CGCS2000 3-degree Gauss-Krüger zone of the inputs, never in degrees):

- :mod:`~geoservice.analysis.crs`: ``to_metric``, ``ensure_same_crs``.
- :mod:`~geoservice.analysis.coverage`: ``compute_coverage``.
- :mod:`~geoservice.analysis.network`: ``build_network``, ``compute_isochrones``,
  ``travel_time_matrix``.
- :mod:`~geoservice.analysis.catchment`: ``assign_nearest``,
  ``voronoi_catchments``, ``huff_model``.
- :mod:`~geoservice.analysis.accessibility`: ``two_step_fca``.
- :mod:`~geoservice.analysis.siting`: ``maximal_covering``, ``p_median``,
  ``candidate_grid``.
- :mod:`~geoservice.analysis.indicators`: ``load_indicators``,
  ``evaluate_indicators``, ``required_layers``.
- :mod:`~geoservice.analysis.farmland`: ``generate_farmland_grid``,
  ``check_grid_nesting``, ``grid_statistics``, ``compare_grids``.
- :mod:`~geoservice.analysis.scaleout`: ``coverage_share_partitioned``,
  ``assign_nearest_partitioned`` (dask-geopandas on dask.distributed).

Heavy dependencies (SciPy, spopt, Dask) are the ``analysis`` extra; nothing is
imported here so that ``import geoservice.analysis`` stays cheap.
"""
