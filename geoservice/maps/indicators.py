"""The indicator panel: each plan target with its value, target and status.

Results come from the latest successful ``indicators`` job of each indicator
file (what a planner last ran), or, when none was run, from evaluating the file
against the current layers (``evaluate_indicators`` with missing data
reported, never invented).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
from markupsafe import Markup, escape

from geoservice.maps.i18n import text

LayerReader = Callable[[str], gpd.GeoDataFrame | None]


@dataclass(frozen=True)
class PlanIndicators:
    """The evaluated targets of one indicator file."""

    plan: str
    rows: list[dict[str, Any]]
    evaluated: str | None
    titles_zh: Mapping[str, str]


def plan_indicators(
    indicators_dir: Path,
    *,
    area: str | None = None,
    default: bool = True,
    jobs: Any = None,
    read_layer: LayerReader | None = None,
) -> list[PlanIndicators]:
    """Return every indicator file's latest results (jobs first, else evaluated now).

    ``jobs`` is a :class:`~geoservice.processes.jobs.JobStore` or None; only jobs
    run in study area ``area`` count (a job naming no area ran in the default one,
    which ``default`` says this is). ``read_layer`` returns a layer's frame (None
    if absent) and enables live evaluation when no job has run.
    """
    from geoservice.analysis.indicators import load_indicators

    latest = _latest_jobs(jobs, area, default)
    plans = []
    for path in sorted(Path(indicators_dir).glob("*.yaml")):
        defs = load_indicators(path)
        titles = {i.id: i.title_zh for i in defs.indicators if i.title_zh}
        plan_zh = defs.plan_zh or defs.plan
        record = latest.get(path.stem)
        if record is not None:
            rows, when = record.results["indicators"], record.finished
        elif read_layer is not None:
            rows, when = _evaluate(defs, read_layer), None
        else:
            continue
        plans.append(PlanIndicators(defs.plan, rows, when, {"__plan__": plan_zh, **titles}))
    return plans


def indicators_html(plans: Sequence[PlanIndicators], lang: str) -> Markup:
    """Return the panel content: one table per plan (value, target, status)."""
    blocks = []
    head = "".join(
        f"<th>{escape(text(k, lang))}</th>" for k in ("indicator", "value", "target", "status")
    )
    for plan in plans:
        name = plan.titles_zh.get("__plan__", plan.plan) if lang != "en" else plan.plan
        rows = Markup("").join(_row(r, plan, lang) for r in plan.rows)
        when = f" · {text('evaluated', lang)} {plan.evaluated[:16]}" if plan.evaluated else ""
        blocks.append(
            Markup(
                f"<details><summary>{escape(name)}{escape(when)} · {_counts(plan, lang)}</summary>"
                f"<table><tr>{head}</tr>{rows}</table></details>"
            )
        )
    title = escape(text("indicators", lang))
    return (
        Markup(f"<details open><summary><b>{title}</b></summary>")
        + Markup("").join(blocks)
        + Markup("</details>")
    )


def _counts(plan: PlanIndicators, lang: str) -> Markup:
    statuses = [r.get("status", "met" if r.get("met") else "not_met") for r in plan.rows]
    parts = [
        f'<span class="gs-{s}">{escape(text(s, lang))} {statuses.count(s)}</span>'
        for s in ("met", "not_met", "not_evaluable")
        if statuses.count(s)
    ]
    return Markup(" · ".join(parts))


def _row(row: Mapping[str, Any], plan: PlanIndicators, lang: str) -> Markup:
    title = plan.titles_zh.get(row["id"], row["title"]) if lang != "en" else row["title"]
    status = row.get("status", "met" if row.get("met") else "not_met")
    value = _number(row.get("value"))
    target = f"{row['op']} {_number(row['target'])}"
    return Markup(
        f'<tr><td title="{escape(row.get("comparison", ""))}">{escape(title)}</td>'
        f"<td>{escape(value)}</td><td>{escape(target)}</td>"
        f'<td class="gs-{escape(status)}">{escape(text(status, lang))}</td></tr>'
    )


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _latest_jobs(jobs: Any, area: str | None, default: bool) -> dict[str, Any]:
    if jobs is None:
        return {}
    latest: dict[str, Any] = {}
    for record in jobs.list(process_id="indicators", status="successful", limit=50):
        ran_in = (record.inputs or {}).get("area")
        if area is not None and ran_in != area and not (ran_in is None and default):
            continue
        name = (record.inputs or {}).get("file")
        if name and name not in latest and record.results and "indicators" in record.results:
            latest[name] = record
    return latest


def _evaluate(defs: Any, read_layer: LayerReader) -> list[dict[str, Any]]:
    from geoservice.analysis.indicators import evaluate_indicators, required_layers

    layers = {}
    for layer_id in sorted(required_layers(defs)):
        frame = read_layer(layer_id)
        if frame is not None:
            layers[layer_id] = frame
    results = evaluate_indicators(defs, layers, on_missing="report")
    return [asdict(r) for r in results]
