"""Built map pages, with a nonce slot per page, and an in-memory cache of them.

A :class:`MapPage` is built once and served many times; each response fills
its scripts' nonce afresh (the Content-Security-Policy runs no other inline
script).

The cache is keyed by what a page shows.

A page depends on the catalogue (swapped, never mutated), the current version of
every layer with data, the latest indicator jobs, the language and the base URL;
the key holds all of them, so an upload, edit or new analysis result gives a new
page and nothing needs invalidating.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from geoservice.catalog.registry import Catalog
from geoservice.storage.base import FeatureStore

SLOT_PREFIX = "gs-nonce-"


def new_slot() -> str:
    """Return a fresh, unguessable placeholder for a page's nonce.

    It is drawn when the page is built, after its data were stored, so no
    stored string can carry it: a ``<script>`` that arrived with the data (were
    it ever left unescaped) gets no nonce when the slot is filled.
    """
    return SLOT_PREFIX + secrets.token_hex(16)


def new_nonce() -> str:
    """Return a nonce for one response (CSP ``'nonce-…'``, base64url)."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class MapPage:
    """A built map page whose own inline scripts await a per-response nonce."""

    parts: tuple[str, ...]
    """The page split at its nonce slot."""

    @classmethod
    def of(cls, html: str, slot: str) -> MapPage:
        """Return the page ``html`` whose nonce attributes hold ``slot``."""
        return cls(tuple(html.split(slot)))

    def html(self, nonce: str) -> str:
        """Return the page with ``nonce`` on its scripts (cheaper than a replace: one join)."""
        return nonce.join(self.parts)


class PageCache:
    """The ``max_pages`` most recently used pages."""

    def __init__(self, max_pages: int = 32) -> None:
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, MapPage] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], MapPage]) -> MapPage:
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
