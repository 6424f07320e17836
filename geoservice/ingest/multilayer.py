"""Several layers of one upload (a GeoPackage, a KML, a zip of shapefiles) as new layers.

``source_layer=*`` (or several names, comma-separated or repeated) on a new-layer
upload makes one new layer per source layer, named ``<id>_<source layer>``.
Every layer is checked first (a dry run each); only if all pass are they
written, each as its own atomic upload. A refused layer refuses the request
and nothing is stored; the answer lists each layer's finding.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pyogrio

from geoservice.catalog.models import MAX_LAYER_ID_LENGTH, layer_id_problem
from geoservice.errors import GeoserviceError, InvalidParameter, InvalidUpload
from geoservice.ingest.archive import unpack_zip
from geoservice.ingest.newlayer import NewLayerSpec
from geoservice.ingest.options import IngestOptions
from geoservice.ingest.service import IngestOutcome
from geoservice.ingest.sniff import SUFFIX_DRIVERS, detect_source
from geoservice.ingest.workdir import work_folder
from geoservice.settings import UploadSettings

MAX_LAYERS = 50
MULTI_LAYER_DRIVERS = ("GPKG", "KML", "LIBKML")


def wants_several(source_layer: str | None) -> bool:
    """Tell whether ``source_layer`` names every layer (``*``) or more than one."""
    return source_layer is not None and (source_layer.strip() == "*" or "," in source_layer)


def layers_in_upload(path: Path, name: str, limits: UploadSettings) -> list[str]:
    """Return the names of the datasets/layers an uploaded file holds, in file order."""
    with work_folder(limits.work_dir, "gs-ingest-") as work:
        head = path.open("rb").read(4)
        if head.startswith(b"PK"):
            files = unpack_zip(path, work / "unzipped", limits, name=name)
            stems = [f.stem for f in files if f.suffix.lower() in SUFFIX_DRIVERS]
            if len(stems) != 1:
                return stems
        source = detect_source(path, name, work, limits)
        if source.driver not in MULTI_LAYER_DRIVERS:
            return [Path(source.path).stem]
        try:
            return [str(n) for n in pyogrio.list_layers(str(source.path))[:, 0]]
        except Exception:  # GDAL reports damaged files with several error types
            raise InvalidUpload(f"{name}: cannot list its layers; is the file complete?") from None


def choose_layers(wanted: str, available: Sequence[str], name: str) -> list[str]:
    """Return the layers ``wanted`` names (``*``: all), or refuse unknown ones (400)."""
    if wanted.strip() == "*":
        chosen = list(available)
    else:
        chosen = [w.strip() for w in wanted.split(",") if w.strip()]
        unknown = [w for w in chosen if w not in available]
        if unknown:
            raise InvalidParameter(
                f"{name}: no layer(s) {unknown}; it holds: {', '.join(available)} "
                "[rule source-layer]"
            )
    if not chosen:
        raise InvalidParameter(f"{name}: holds no layer to upload")
    if len(chosen) > MAX_LAYERS:
        raise InvalidParameter(
            f"{name}: {len(chosen)} layers; at most {MAX_LAYERS} per request [rule layers]"
        )
    return list(dict.fromkeys(chosen))


def layer_ids(prefix: str, names: Sequence[str]) -> dict[str, str]:
    """Return {source layer: new layer id}: ``<prefix>_<name>``, made a valid id."""
    out: dict[str, str] = {}
    for i, name in enumerate(names, start=1):
        slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or f"layer{i}"
        layer_id = f"{prefix}_{slug}"[:MAX_LAYER_ID_LENGTH].rstrip("_")
        while layer_id in out.values():
            layer_id = f"{layer_id[: MAX_LAYER_ID_LENGTH - 4]}_{i}"
        problem = layer_id_problem(layer_id)
        if problem:
            raise InvalidParameter(f"source layer {name!r} would become {problem}")
        out[name] = layer_id
    return out


Ingest = Callable[[IngestOptions, NewLayerSpec], IngestOutcome]


def ingest_layers(
    chosen: dict[str, str], spec: NewLayerSpec, options: IngestOptions, run: Ingest
) -> list[IngestOutcome]:
    """Check every layer, then (unless a dry run) write every layer.

    ``chosen`` is {source layer: new layer id}; ``run(options, spec)`` ingests one.
    """
    checked, refused = [], {}
    for source, layer_id in chosen.items():
        one = dataclasses.replace(options, source_layer=source, dry_run=True)
        try:
            outcome = run(one, dataclasses.replace(spec, id=layer_id))
        except GeoserviceError as exc:
            refused[source] = exc
            continue
        if not outcome.report.accepted:  # a dry run reports what a write would refuse
            report = outcome.report
            refused[source] = InvalidUpload(report.summary(), details=report.as_dict())
        checked.append(outcome)
    if refused and not options.dry_run:
        raise _refusal(refused, len(chosen))
    if options.dry_run:
        return checked
    return [
        run(
            dataclasses.replace(options, source_layer=source),
            dataclasses.replace(spec, id=layer_id),
        )
        for source, layer_id in chosen.items()
    ]


def _refusal(refused: dict[str, GeoserviceError], total: int) -> GeoserviceError:
    listed = "; ".join(f"{source}: {exc.message}" for source, exc in refused.items())
    details = {
        "layers": {
            source: {"code": exc.code, "description": exc.message, "details": exc.details}
            for source, exc in refused.items()
        }
    }
    status_classes = {type(exc) for exc in refused.values()}
    kind = status_classes.pop() if len(status_classes) == 1 else InvalidUpload
    return kind(
        f"{len(refused)} of {total} layers refused, nothing stored: {listed}", details=details
    )
