"""Read and check the folders of study areas, layer and style files.

A layers folder holds one folder per study area (``<area>/area.yaml``, the area's
layer files beside it, its indicator files in ``<area>/indicators/``); layer files
directly in the layers folder belong to the default area. Layers created at run
time (uploads, analysis results) are declared the same way in a second folder
under the data directory, never in the source tree. Every file is validated on
its own (unknown keys rejected), then the whole (every style a layer names
exists, a style's classified property is an attribute of each layer using it,
ids are unique, every area's boundary layer exists). All problems are collected,
so ``geoservice check-layers`` reports everything wrong at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from geoservice.catalog.areas import AreaDef
from geoservice.catalog.models import LayerDef, StyleDef, Text
from geoservice.catalog.registry import Catalog
from geoservice.errors import CatalogError

STANDARD_ATTRIBUTES = ("name_zh", "name_en", "source", "geometry_quality")
AREA_FILE = "area.yaml"
OUTPUTS_FILE = "outputs.yaml"
NOT_LAYER_FILES = frozenset({AREA_FILE, OUTPUTS_FILE})
"""Files of an area folder that declare the area and its outputs, not layers."""
INDICATORS_FOLDER = "indicators"
IMPLICIT_AREA = AreaDef(
    id="default",
    title=Text(zh="研究区", en="Study area"),
    default=True,
    description=Text(
        zh="未声明研究区时的默认研究区（在 layers/<研究区>/area.yaml 中声明研究区）。",
        en="The area layers belong to when no study area is declared "
        "(declare one in layers/<area>/area.yaml).",
    ),
)
"""The one area of a layers folder that declares none, so a flat folder still serves."""


def load_catalog(
    layers_dir: Path, styles_dir: Path, runtime_layers_dir: Path | None = None
) -> Catalog:
    """Load the study areas, their layers and the styles into a checked catalogue.

    Parameters
    ----------
    layers_dir : Path
        Curated declarations: area folders (and layer files of the default area).
    styles_dir : Path
        ``<id>.json`` style files, shared by every area.
    runtime_layers_dir : Path, optional
        Layers declared at run time, as ``<area>/<id>.yaml`` (uploads, results).

    Raises
    ------
    CatalogError
        With one line per problem found, each naming its file.
    """
    problems: list[str] = []
    styles = _load_folder(styles_dir, "*.json", StyleDef, json.loads, problems)
    areas, folders = _load_areas(layers_dir, problems)
    default = _default_area(areas, problems)
    # The default area leads every listing (/areas, the map index), then the rest by id.
    areas = dict(sorted(areas.items(), key=lambda item: (item[0] != default, item[0])))
    layers: dict[str, LayerDef] = {}
    for area_id, folder in _layer_folders(layers_dir, runtime_layers_dir, folders, default):
        if area_id not in areas:
            problems.append(
                f"{folder}: layers of study area {area_id!r}, which is not declared; "
                f"declare it in {layers_dir / area_id / AREA_FILE} or move the files"
            )
            continue
        for layer in _load_folder(folder, "*.yaml", LayerDef, yaml.safe_load, problems,
                                  area=area_id).values():  # fmt: skip
            if layer.id in layers:
                problems.append(
                    f"{folder / (layer.id + '.yaml')}: layer id {layer.id!r} is declared "
                    f"twice (also in study area {layers[layer.id].area!r}); ids are unique"
                )
                continue
            layers[layer.id] = layer
    for layer in layers.values():
        problems.extend(_cross_check(layer, styles, layers_dir))
    problems.extend(_area_problems(areas, layers))
    if problems:
        raise CatalogError(
            f"{len(problems)} problem(s) in the catalogue:\n" + "\n".join(problems),
            details=problems,
        )
    return Catalog(
        layers=layers, styles=styles, areas=areas, default_area=default, area_folders=folders
    )


def _load_areas(layers_dir: Path, problems: list[str]) -> tuple[dict[str, AreaDef], dict]:
    areas: dict[str, AreaDef] = {}
    folders: dict[str, Path] = {}
    if not layers_dir.is_dir():
        return areas, folders
    for path in sorted(layers_dir.glob(f"*/{AREA_FILE}")):
        area_id = path.parent.name
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            areas[area_id] = _parse(raw, area_id, AreaDef, f"{area_id}/{AREA_FILE}")
            folders[area_id] = path.parent
        except CatalogError as exc:
            problems.append(exc.message)
        except yaml.YAMLError as exc:
            problems.append(f"{area_id}/{AREA_FILE}: not valid YAML: {exc}")
    if not areas and not problems:
        areas[IMPLICIT_AREA.id] = IMPLICIT_AREA
    return areas, folders


def _default_area(areas: dict[str, AreaDef], problems: list[str]) -> str | None:
    marked = [a.id for a in areas.values() if a.default]
    if len(marked) > 1:
        problems.append(f"study areas {marked} are all marked 'default: true'; mark one")
    if marked:
        return marked[0]
    return min(areas) if areas else None


def _layer_folders(
    layers_dir: Path, runtime_dir: Path | None, folders: dict[str, Path], default: str | None
) -> Iterable[tuple[str, Path]]:
    """Yield (area id, folder of its layer files), curated folders first."""
    if default is not None:
        yield default, layers_dir
    yield from folders.items()
    if runtime_dir is not None and runtime_dir.is_dir():
        if default is not None:
            yield default, runtime_dir
        yield from ((sub.name, sub) for sub in sorted(runtime_dir.iterdir()) if sub.is_dir())


def _area_problems(areas: dict[str, AreaDef], layers: dict[str, LayerDef]) -> Iterable[str]:
    for area in areas.values():
        origin = f"{area.id}/{AREA_FILE}"
        for role, layer_id in (
            ("boundary.layer", area.boundary.layer if area.boundary else None),
            ("reference_layer", area.reference_layer),
            *(("one_map.layers", i) for i in area.one_map.layers or ()),
        ):
            if layer_id is not None and layer_id not in layers:
                yield f"{origin}: {role} names {layer_id!r}, which is not a declared layer"


def parse_layer(
    text: str, layer_id: str, origin: str = "<text>", *, area: str | None = None
) -> LayerDef:
    """Parse one layer document (YAML) whose id is ``layer_id``, in study area ``area``."""
    return _parse(yaml.safe_load(text), layer_id, LayerDef, origin, area=area)


def dump_layer(layer: LayerDef) -> str:
    """Serialise a layer to the YAML written in ``layers/`` (without its id)."""
    data = layer.model_dump(mode="json", exclude={"id", "area"}, exclude_defaults=True)
    data.setdefault("storage_crs", layer.storage_crs)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_layer_file(layer: LayerDef, layers_dir: Path) -> Path:
    """Write ``<layers_dir>/<area>/<id>.yaml`` atomically (temporary file, then rename).

    A layer without an area is written at the top of ``layers_dir`` (the default area).
    """
    folder = layers_dir / layer.area if layer.area else layers_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{layer.id}.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(dump_layer(layer), encoding="utf-8")
    tmp.replace(path)
    return path


def layer_problems(layer: LayerDef, styles: dict[str, StyleDef]) -> list[str]:
    """Return what is wrong with one layer against the styles (as check-layers would)."""
    return list(_cross_check(layer, styles, Path()))


def _load_folder(folder, pattern, model, parse, problems, **fixed):
    items = {}
    if not folder.is_dir():
        problems.append(f"{folder}: folder not found")
        return items
    for path in sorted(folder.glob(pattern)):
        if path.name in NOT_LAYER_FILES:
            continue
        origin = f"{fixed['area']}/{path.name}" if fixed.get("area") else path.name
        try:
            raw = parse(path.read_text(encoding="utf-8"))
            items[path.stem] = _parse(raw, path.stem, model, origin, **fixed)
        except CatalogError as exc:
            problems.append(exc.message)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            problems.append(f"{path.name}: not valid {pattern[2:].upper()}: {exc}")
    return items


def _parse(raw: Any, item_id: str, model: type, origin: str, **fixed: Any):
    if not isinstance(raw, dict):
        raise CatalogError(f"{origin}: expected a mapping at the top level")
    if "id" in raw and raw["id"] != item_id:
        raise CatalogError(
            f"{origin}: 'id: {raw['id']}' differs from the file name; the id is the "
            "file stem, remove the 'id' key or rename the file"
        )
    for key, value in fixed.items():
        if key in raw and raw[key] != value:
            raise CatalogError(
                f"{origin}: '{key}: {raw[key]}' differs from the folder the file is in "
                f"({value!r}); remove the '{key}' key or move the file"
            )
    try:
        return model.model_validate({**raw, **fixed, "id": item_id})
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
