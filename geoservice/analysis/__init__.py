"""Pure analysis functions on GeoDataFrames (metric CRS in, new frames out)."""
