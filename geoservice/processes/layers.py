"""Where result collections are declared: the ``layers/`` folder of the deployment.

:class:`FolderRegistry` serves the CLI: it writes ``layers/<id>.yaml`` like an
upload creating a layer does, so a running server (which reloads the folder when
it changes) sees the new collection. The API uses the live catalogue of the app
instead (``geoservice.api.routers.processes.AppRegistry``).
"""

from __future__ import annotations

import threading
from pathlib import Path

from geoservice.catalog.loader import load_catalog, write_layer_file
from geoservice.catalog.models import LayerDef
from geoservice.catalog.registry import Catalog


class FolderRegistry:
    """The catalogue of a layers/ and styles/ folder, written through."""

    def __init__(self, layers_dir: Path, styles_dir: Path) -> None:
        self.layers_dir, self.styles_dir = Path(layers_dir), Path(styles_dir)
        self._lock = threading.Lock()
        self._catalog = load_catalog(self.layers_dir, self.styles_dir)

    def catalog(self) -> Catalog:
        """Return the catalogue as this registry last wrote or loaded it."""
        return self._catalog

    def publish(self, layer: LayerDef) -> None:
        """Write the layer's file and add it to the catalogue."""
        with self._lock:
            self._catalog = self._catalog.with_layer(layer)
            write_layer_file(layer, self.layers_dir)

    def unpublish(self, layer_id: str) -> None:
        """Delete the layer's file and drop it from the catalogue."""
        with self._lock:
            if layer_id in self._catalog:
                self._catalog = self._catalog.without(layer_id)
            (self.layers_dir / f"{layer_id}.yaml").unlink(missing_ok=True)
