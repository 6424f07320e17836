"""The farmland-protection grid supervision platform (耕地保护网格化监管平台).

Dongsheng's scheme (东政办发〔2023〕61号, seed 003) asks for more than a grid:
a responsibility register per grid level, wardens who patrol (巡田) and keep
logs, incidents followed to their rectification, grid maps for every level,
monthly reports and a yearly assessment of each town/street on 100 points.
This package is that domain, on top of the grid layers (``analysis.farmland``)
and the versioned store; the HTTP routes are ``api/routers/farmland*.py``.

* :mod:`~geoservice.farmland.scheme`: what the scheme fixes (roles, categories,
  statuses, scoring items and ratings).
* :mod:`~geoservice.farmland.records`: patrols, incidents, status changes and
  photo attachments, each a new version; a warden key only in its own cells.
* :mod:`~geoservice.farmland.photos`: photo checks (type, signature, size) and files.
* :mod:`~geoservice.farmland.gridmap`: the printable grid maps (网格导图).
* :mod:`~geoservice.farmland.report`: the monthly report.
* :mod:`~geoservice.farmland.scoring`: the yearly scoring.
"""
