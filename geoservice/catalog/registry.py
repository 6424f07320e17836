"""The immutable catalogue of layers and styles.

A change (an upload creating a layer, a reload) builds a new :class:`Catalog` and
swaps it in, so when the service sees a new layer is explicit (tipg #37).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from geoservice.catalog.models import LayerDef, StyleDef
from geoservice.errors import CatalogError, LayerNotFound


@dataclass(frozen=True)
class Catalog:
    """Layers and styles by id."""

    layers: Mapping[str, LayerDef] = field(default_factory=dict)
    styles: Mapping[str, StyleDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", MappingProxyType(dict(self.layers)))
        object.__setattr__(self, "styles", MappingProxyType(dict(self.styles)))

    def get(self, layer_id: str) -> LayerDef:
        """Return the layer ``layer_id`` or raise :class:`LayerNotFound`."""
        try:
            return self.layers[layer_id]
        except KeyError:
            raise LayerNotFound(
                f"collection {layer_id!r} not found; see /collections for the list"
            ) from None

    def style_of(self, layer: LayerDef) -> StyleDef:
        """Return the style a layer names (checked to exist at load time)."""
        return self.styles[layer.style]

    def __iter__(self) -> Iterator[LayerDef]:
        return iter(self.layers.values())

    def __len__(self) -> int:
        return len(self.layers)

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self.layers

    def with_layer(self, layer: LayerDef) -> Catalog:
        """Return a new catalogue with ``layer`` added or replaced."""
        if layer.style not in self.styles:
            raise CatalogError(f"style {layer.style!r} not found in styles/")
        return Catalog({**self.layers, layer.id: layer}, self.styles)

    def without(self, layer_id: str) -> Catalog:
        """Return a new catalogue without ``layer_id``."""
        self.get(layer_id)
        return Catalog({k: v for k, v in self.layers.items() if k != layer_id}, self.styles)
