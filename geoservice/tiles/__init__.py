"""Map tiles: tile matrix sets, vector (MVT) and PNG tiles, cache, TileJSON and styles.

No FastAPI here; ``api/routers/tiles.py`` and ``api/routers/maps.py`` serve them.
"""
