"""The immutable catalogue of study areas, layers and styles.

A change (an upload creating a layer, a reload) builds a new :class:`Catalog` and
swaps it in, so when the service sees a new layer is explicit (tipg #37).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.models import LayerDef, StyleDef
from geoservice.errors import AreaNotFound, CatalogError, LayerNotFound


@dataclass(frozen=True)
class Catalog:
    """Study areas, layers and styles by id.

    ``area_folders`` are the folders the areas were declared in (their indicator
    files live there); ``default_area`` is the area of URLs and layers naming none.
    """

    layers: Mapping[str, LayerDef] = field(default_factory=dict)
    styles: Mapping[str, StyleDef] = field(default_factory=dict)
    areas: Mapping[str, AreaDef] = field(default_factory=dict)
    default_area: str | None = None
    area_folders: Mapping[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("layers", "styles", "areas", "area_folders"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

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

    def area(self, area_id: str | None = None) -> AreaDef:
        """Return the study area ``area_id`` (the default one for None).

        Raises
        ------
        AreaNotFound
            For an id no area folder declares.
        """
        key = self.default_area if area_id is None else area_id
        try:
            return self.areas[key]  # type: ignore[index]
        except KeyError:
            raise AreaNotFound(
                f"study area {area_id!r} not found; see /areas for the list",
                details={"areas": sorted(self.areas)},
            ) from None

    def area_of(self, layer: LayerDef) -> AreaDef:
        """Return the study area a layer belongs to."""
        return self.area(layer.area)

    def layers_in(self, area_id: str) -> list[LayerDef]:
        """Return the layers of one study area, in catalogue order."""
        return [layer for layer in self.layers.values() if layer.area == area_id]

    def indicator_folder(self, area_id: str) -> Path | None:
        """Return the folder of an area's indicator files (None if it has no folder)."""
        folder = self.area_folders.get(area_id)
        return folder / "indicators" if folder is not None else None

    def with_layer(self, layer: LayerDef) -> Catalog:
        """Return a new catalogue with ``layer`` added or replaced.

        A layer naming no area joins the default one.
        """
        if layer.style not in self.styles:
            raise CatalogError(f"style {layer.style!r} not found in styles/")
        if layer.area is None:
            layer = layer.model_copy(update={"area": self.default_area})
        else:
            self.area(layer.area)
        return replace(self, layers={**self.layers, layer.id: layer})

    def without(self, layer_id: str) -> Catalog:
        """Return a new catalogue without ``layer_id``."""
        self.get(layer_id)
        return replace(self, layers={k: v for k, v in self.layers.items() if k != layer_id})
