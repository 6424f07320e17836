"""One router per OGC API part or concern."""
