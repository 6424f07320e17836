"""Feature edits (OGC API Features Part 4) as new layer versions, with ETag preconditions."""
