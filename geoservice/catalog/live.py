"""The live catalogue of a running service or command: swapped on change, reloaded when
another process changed the files.

Curated declarations (study areas, their layers, styles) live in the repository's
``layers/`` and ``styles/``; layers created at run time (uploads, analysis results)
are declared under the data directory (``<data_dir>/layers/<area>/<id>.yaml``), so
a running service never writes into the source tree. Creating or deleting a layer
writes or removes its file atomically and swaps a new immutable :class:`Catalog`
in. Other processes (uvicorn workers, a CLI run) notice because a folder's
modification time changed and reload on their next look: at most one scan of the
folders a second, no messaging between processes. The app and the CLI both use
this class, so both see and publish layers the same way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from geoservice.catalog.loader import load_catalog, write_layer_file
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import CatalogError

log = logging.getLogger(__name__)


class LiveCatalog:
    """The current :class:`Catalog` of a deployment's folders, and its one writer.

    Parameters
    ----------
    layers_dir, styles_dir : Path
        Curated declarations (read only here).
    runtime_dir : Path
        Where layers created at run time are declared (created if missing).
    check_interval_s : float
        How often the folders are looked at for changes made by other processes.
    """

    def __init__(
        self,
        layers_dir: Path,
        styles_dir: Path,
        runtime_dir: Path,
        *,
        check_interval_s: float = 1.0,
    ) -> None:
        self.layers_dir, self.styles_dir = Path(layers_dir), Path(styles_dir)
        self.runtime_dir = Path(runtime_dir)
        self.check_interval_s = check_interval_s
        self._lock = threading.Lock()
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        self._stamp = self._folder_stamp()
        self._catalog = self._load()
        self._checked = time.monotonic()

    def catalog(self, *, force: bool = False) -> Catalog:
        """Return the catalogue, reloaded if the folders changed since it was loaded.

        The folders are looked at no more than every ``check_interval_s`` seconds
        (a scan per request showed up in profiles), unless ``force`` is set, as it
        is when a request names a layer this process does not know yet.
        """
        now = time.monotonic()
        if not force and now - self._checked < self.check_interval_s:
            return self._catalog
        self._checked = now
        if self._folder_stamp() == self._stamp:
            return self._catalog
        with self._lock:
            return self._refreshed()

    def publish(self, layer: LayerDef) -> Catalog:
        """Declare a run-time layer (in its area, the default one if it names none)."""
        with self._lock:
            catalog = self._refreshed().with_layer(layer)
            write_layer_file(catalog.get(layer.id), self.runtime_dir)
            self._catalog, self._stamp = catalog, self._folder_stamp()
        return catalog

    def unpublish(self, layer_id: str) -> None:
        """Remove a run-time layer's declaration (curated files are never touched)."""
        with self._lock:
            catalog = self._refreshed()
            if layer_id not in catalog:
                return
            path = self._runtime_file(catalog.get(layer_id))
            if path is None:
                raise CatalogError(
                    f"layer {layer_id!r} is declared in the repository's layers folder; "
                    "remove its file there to retire it"
                )
            path.unlink(missing_ok=True)
            self._catalog, self._stamp = catalog.without(layer_id), self._folder_stamp()

    def is_curated(self, layer_id: str) -> bool:
        """Tell whether a layer is declared in the repository rather than at run time."""
        catalog = self.catalog()
        return layer_id in catalog and self._runtime_file(catalog.get(layer_id)) is None

    def _runtime_file(self, layer: LayerDef) -> Path | None:
        for folder in (self.runtime_dir / (layer.area or ""), self.runtime_dir):
            path = folder / f"{layer.id}.yaml"
            if path.is_file():
                return path
        return None

    def _load(self) -> Catalog:
        return load_catalog(self.layers_dir, self.styles_dir, self.runtime_dir)

    def _refreshed(self) -> Catalog:
        stamp = self._folder_stamp()
        if stamp != self._stamp:
            try:
                self._catalog = self._load()
            except CatalogError as exc:  # keep serving the last good catalogue
                log.error("catalogue reload failed, keeping the previous one: %s", exc)
            self._stamp = stamp
        return self._catalog

    def _folder_stamp(self) -> tuple[int, ...]:
        """Modification times of every folder a declaration can appear or vanish in."""
        stamps = []
        for root in (self.layers_dir, self.styles_dir, self.runtime_dir):
            stamps.append(_mtime(root))
            if root != self.styles_dir:
                stamps.extend(_subfolder_mtimes(root))
        return tuple(stamps)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _subfolder_mtimes(root: Path) -> list[int]:
    try:
        with os.scandir(root) as entries:
            return sorted(
                e.stat().st_mtime_ns for e in entries if e.is_dir() and e.name != "__pycache__"
            )
    except OSError:
        return []
