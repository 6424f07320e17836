"""Read and check the folders of layer and style files.

Every file is validated on its own (unknown keys rejected), then the folder as a
whole (every style a layer names exists, and a style's classified property is an
attribute of each layer using it). All problems are collected, so ``geoservice
check-layers`` reports everything wrong at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from geoservice.catalog.models import LayerDef, StyleDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import CatalogError

STANDARD_ATTRIBUTES = ("name_zh", "name_en", "source", "geometry_quality")


def load_catalog(layers_dir: Path, styles_dir: Path) -> Catalog:
    """Load every ``layers/*.yaml`` and ``styles/*.json`` into a checked catalogue.

    Raises
    ------
    CatalogError
        With one line per problem found, each naming its file.
    """
    problems: list[str] = []
    styles = _load_folder(styles_dir, "*.json", StyleDef, json.loads, problems)
    layers = _load_folder(layers_dir, "*.yaml", LayerDef, yaml.safe_load, problems)
    for layer in layers.values():
        problems.extend(_cross_check(layer, styles, layers_dir))
    if problems:
        raise CatalogError(
            f"{len(problems)} problem(s) in the catalogue:\n" + "\n".join(problems),
            details=problems,
        )
    return Catalog(layers=layers, styles=styles)


def parse_layer(text: str, layer_id: str, origin: str = "<text>") -> LayerDef:
    """Parse one layer document (YAML) whose id is ``layer_id``."""
    return _parse(yaml.safe_load(text), layer_id, LayerDef, origin)


def dump_layer(layer: LayerDef) -> str:
    """Serialise a layer to the YAML written in ``layers/`` (without its id)."""
    data = layer.model_dump(mode="json", exclude={"id"}, exclude_defaults=True)
    data.setdefault("storage_crs", layer.storage_crs)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_layer_file(layer: LayerDef, layers_dir: Path) -> Path:
    """Write ``layers/<id>.yaml`` atomically (temporary file, then rename)."""
    path = layers_dir / f"{layer.id}.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(dump_layer(layer), encoding="utf-8")
    tmp.replace(path)
    return path


def layer_problems(layer: LayerDef, styles: dict[str, StyleDef]) -> list[str]:
    """Return what is wrong with one layer against the styles (as check-layers would)."""
    return list(_cross_check(layer, styles, Path()))


def _load_folder(folder, pattern, model, parse, problems):
    items = {}
    if not folder.is_dir():
        problems.append(f"{folder}: folder not found")
        return items
    for path in sorted(folder.glob(pattern)):
        try:
            raw = parse(path.read_text(encoding="utf-8"))
            items[path.stem] = _parse(raw, path.stem, model, path.name)
        except CatalogError as exc:
            problems.append(exc.message)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            problems.append(f"{path.name}: not valid {pattern[2:].upper()}: {exc}")
    return items


def _parse(raw: Any, item_id: str, model: type, origin: str):
    if not isinstance(raw, dict):
        raise CatalogError(f"{origin}: expected a mapping at the top level")
    if "id" in raw and raw["id"] != item_id:
        raise CatalogError(
            f"{origin}: 'id: {raw['id']}' differs from the file name; the id is the "
            "file stem, remove the 'id' key or rename the file"
        )
    try:
        return model.model_validate({**raw, "id": item_id})
    except ValidationError as exc:
        lines = [
            f"{origin}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CatalogError("\n".join(lines)) from None


def _cross_check(layer: LayerDef, styles: dict[str, StyleDef], layers_dir: Path):
    origin = f"{layer.id}.yaml"
    style = styles.get(layer.style)
    if style is None:
        yield f"{origin}: style {layer.style!r} not found in styles/ ({sorted(styles)})"
        return
    names = set(layer.attribute_names)
    if style.classify and style.classify.property not in names:
        yield (
            f"{origin}: style {style.id!r} classifies by {style.classify.property!r}, "
            "which is not an attribute of this layer"
        )
    if style.label and style.label.property not in names:
        yield (
            f"{origin}: style {style.id!r} labels with {style.label.property!r}, "
            "which is not an attribute of this layer"
        )
    if layer.kind != "analysis_result":
        missing = [a for a in STANDARD_ATTRIBUTES if a not in names]
        if missing:
            yield f"{origin}: planning layers must declare {missing}"
