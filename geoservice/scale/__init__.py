"""Region-scale analyses on ``dask.distributed``.

The app and the CLI own one :class:`~geoservice.scale.cluster.DaskCluster` (through
the Runtime); jobs with ``engine=dask`` hand it partitions exchanged as GeoParquet
under ``<data_dir>/scale/<job>``: a region grid built tile by tile
(:mod:`~geoservice.scale.grid`), coverage and nearest facility per Hilbert-ordered
partition of the demand (:mod:`~geoservice.scale.ops`).
"""
