"""geoservice: planning layers for regional service-industry plans, analysed and served."""

__version__ = "0.1.0"
