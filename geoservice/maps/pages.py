"""A small in-memory cache of built map pages, keyed by what they show.

A page depends on the catalogue (swapped, never mutated), the current version of
every layer with data, the latest indicator jobs, the language and the base URL;
the key holds all of them, so an upload, edit or new analysis result gives a new
page and nothing needs invalidating.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from geoservice.catalog.registry import Catalog
from geoservice.storage.base import FeatureStore


class PageCache:
    """The ``max_pages`` most recently used pages."""

    def __init__(self, max_pages: int = 32) -> None:
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], str]) -> str:
        """Return the page for ``key``, building (outside the lock) when missing."""
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        page = build()
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return page


def page_key(
    catalog: Catalog, store: FeatureStore, *parts: Hashable, jobs: Any = None
) -> tuple[Hashable, ...]:
    """Return the key of a page: ``parts`` plus everything the page is drawn from."""
    versions = tuple(
        (layer_id, store.current_version(layer_id).version)
        for layer_id in sorted(store.layer_ids())
    )
    latest = None
    if jobs is not None:
        done = jobs.list(process_id="indicators", status="successful", limit=1)
        latest = done[0].job_id if done else None
    return (*parts, id(catalog), versions, latest)
