"""Helpers shared by the process definitions: road networks, rasters, reach options."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoservice.catalog.models import Text
from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import NetworkInputs

MAX_RASTER_CELLS = 4_000_000


def network_of(inputs: NetworkInputs, ctx: ProcessContext, *, start: float, end: float) -> Any:
    """Build the road network of ``inputs.roads`` (None when no roads are given)."""
    roads = ctx.features("roads", inputs.roads)
    if roads is None:
        return None
    from geoservice.analysis.network import build_network

    ctx.report(start, "building the road network")
    columns = [c for c in (inputs.class_column, inputs.speed_column) if c is not None]
    missing = [c for c in columns if c not in roads.columns]
    if inputs.speed_column in missing or (inputs.profile == "drive" and missing):
        raise InvalidParameter(f"input 'roads': no column(s) {missing}")
    class_col = inputs.class_column if inputs.class_column in roads.columns else None
    network = build_network(
        roads,
        profile=inputs.profile,
        class_col=class_col,
        speed_col=inputs.speed_column,
        split_crossings=inputs.split_crossings,
        crs=ctx.metric_crs,
    )
    ctx.report(end, "road network built")
    return network


def text(en: str, zh: str) -> Text:
    """A bilingual title."""
    return Text(en=en, zh=zh)


def raster_grid(bounds, cell_m: float) -> tuple[np.ndarray, np.ndarray, Any]:
    """Cell-centre coordinates (rows × cols) over ``bounds`` and the affine transform."""
    from affine import Affine

    xmin, ymin, xmax, ymax = bounds
    cols = max(1, int(np.ceil((xmax - xmin) / cell_m)))
    rows = max(1, int(np.ceil((ymax - ymin) / cell_m)))
    if rows * cols > MAX_RASTER_CELLS:
        raise InvalidParameter(
            f"input 'raster_cell_m': {rows} × {cols} cells exceed {MAX_RASTER_CELLS}; "
            "use larger cells"
        )
    xs = xmin + (np.arange(cols) + 0.5) * cell_m
    ys = ymax - (np.arange(rows) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, Affine(cell_m, 0.0, xmin, 0.0, -cell_m, ymax)


def reach_text(distance_m: float | None, minutes: float | None, profile: str) -> str:
    """Describe a reach for titles: '3000 m' or '10 min walk'."""
    if distance_m is not None:
        return f"{distance_m:g} m"
    return f"{minutes:g} min {profile}"


def one_reach(distance_m: float | None, minutes: float | None) -> None:
    """Raise (as a validator) unless exactly one of distance_m and minutes is given."""
    if (distance_m is None) == (minutes is None):
        raise ValueError("inputs 'distance_m' and 'minutes': give exactly one of them")


NAME_COLUMNS = ("name_zh", "name_en")


def facility_names(*frames: tuple[Any, str]) -> dict[str, dict[str, str]]:
    """Return ``{label: {"zh": name, "en": name}}`` of facilities, by their label in a result.

    ``frames`` are (frame, label prefix) pairs: a result names a facility by its
    index label (``"3"``, or ``"existing:3"`` for an existing site), which means
    nothing to a planner; maps and legends show these names instead.
    """
    names: dict[str, dict[str, str]] = {}
    for frame, prefix in frames:
        if frame is None or not any(c in frame for c in NAME_COLUMNS):
            continue
        for label, row in frame.iterrows():
            entry = {c[-2:]: row[c] for c in NAME_COLUMNS if c in frame and isinstance(row[c], str)}
            if entry:
                names[f"{prefix}{label}"] = entry
    return names


def with_names(frame: Any, id_column: str, names: dict, prefix: str) -> Any:
    """Return ``frame`` with ``<prefix>_zh``/``_en``: the names of the ids in ``id_column``."""
    if not names or id_column not in frame:
        return frame
    ids = frame[id_column].tolist()
    return frame.assign(
        **{
            f"{prefix}_{lang}": [
                names.get(str(i), {}).get(lang) if i is not None else None for i in ids
            ]
            for lang in ("zh", "en")
        }
    )
