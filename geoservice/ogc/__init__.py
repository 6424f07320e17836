"""OGC API documents and request parsing, free of any web framework."""
