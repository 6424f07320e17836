"""The indicator panel: each plan target with its value, target and status.

Results come from the latest successful ``indicators`` job of each indicator
file (what a planner last ran), or, when none was run, from evaluating the file
against the current layers (``evaluate_indicators`` with missing data
reported, never invented).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from markupsafe import Markup, escape

from geoservice.catalog.models import LayerDef
from geoservice.catalog.vocabulary import value_label
from geoservice.maps.i18n import input_name, text
from geoservice.maps.quality import quality_rows

LayerReader = Callable[[str], gpd.GeoDataFrame | None]


@dataclass(frozen=True)
class PlanIndicators:
    """The evaluated targets of one indicator file."""

    plan: str
    rows: list[dict[str, Any]]
    evaluated: str | None
    titles_zh: Mapping[str, str]
    layers: Mapping[str, LayerDef] = field(default_factory=dict)
    """The catalogue's layers by id: a method names a layer by its title in the page's
    language, and a ``where`` by its attribute's title and value label."""


def plan_indicators(
    indicators_dir: Path,
    *,
    area: str | None = None,
    default: bool = True,
    jobs: Any = None,
    read_layer: LayerReader | None = None,
    layers: Mapping[str, LayerDef] | None = None,
) -> list[PlanIndicators]:
    """Return every indicator file's latest results (jobs first, else evaluated now).

    ``jobs`` is a :class:`~geoservice.processes.jobs.JobStore` or None; only jobs
    run in study area ``area`` count (a job naming no area ran in the default one,
    which ``default`` says this is). ``read_layer`` returns a layer's frame (None
    if absent) and enables live evaluation when no job has run. ``layers`` (the
    catalogue's, by id) give the methods their layers' titles.
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
        titles = {"__plan__": plan_zh, **titles}
        plans.append(PlanIndicators(defs.plan, rows, when, titles, dict(layers or {})))
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
    if row.get("counted_items") == "planned" and row.get("value") is not None:
        value = f"{value} ({text('planned', lang)})"
    target = f"{row['op']} {_number(row['target'])}"
    return Markup(
        f'<tr><td title="{escape(row.get("comparison", ""))}">{escape(title)}'
        f"{_basis(row, plan, lang)}</td>"
        f'<td class="gs-ind-value">{escape(value)}</td><td>{escape(target)}</td>'
        f'<td class="gs-{escape(status)}">{escape(text(status, lang))}</td></tr>'
    )


def _basis(row: Mapping[str, Any], plan: PlanIndicators, lang: str) -> Markup:
    """Return what a value rests on: its method, its assumptions and its data's quality."""
    parts = []
    method = method_text(row.get("method") or {}, lang, plan.layers)
    if method:
        parts.append(Markup('<div class="gs-ind-method">{}: {}</div>').format(
            text("method", lang), method))  # fmt: skip
    for role, counts in (row.get("data_quality") or {}).items():
        line = quality_rows(counts, lang)
        if line:
            parts.append(Markup('<div class="gs-ind-quality">{} ({}): {}</div>').format(
                text("data_quality", lang), input_name(role, lang), line))  # fmt: skip
    assumptions = (row.get("details") or {}).get("assumptions") or []
    if assumptions:
        items = Markup("").join(Markup("<li>{}</li>").format(a) for a in assumptions)
        parts.append(Markup('<div class="gs-ind-assumptions">{}:<ul>{}</ul></div>').format(
            text("assumptions", lang), items))  # fmt: skip
    if not parts:
        return Markup("")
    return Markup('<details class="gs-ind-basis"><summary>{}</summary>{}</details>').format(
        method or text("method", lang), Markup("").join(parts)
    )


def method_text(
    method: Mapping[str, Any], lang: str, layers: Mapping[str, LayerDef] | None = None
) -> str:
    """Return an indicator's method in words (``analysis.indicators.method_of`` data).

    Layers are named by their titles in ``lang`` (by id when ``layers`` lacks them:
    a layer the indicator needs and the catalogue does not hold), a ``where`` by
    the attribute's title and the value's label.
    """
    layers = layers or {}

    def ref(r: Mapping[str, Any]) -> str:
        return _layer_title(r["layer"], layers, lang) + _where(r, layers, lang)

    def column(r: Mapping[str, Any]) -> str:
        name = _attribute_title(r["layer"], r.get("column", ""), layers, lang)
        return f"{_layer_title(r['layer'], layers, lang)}.{name}"

    kind = method.get("type")
    if kind == "count":
        features = method["features"]
        return text("m_count", lang, layer=_layer_title(features["layer"], layers, lang),
                    where=_where(features, layers, lang))  # fmt: skip
    if kind == "coverage_share":
        if method.get("distance_m") is not None:
            reach = f"{method['distance_m']:g} m"
        else:
            reach = text("m_minutes", lang, n=f"{method.get('minutes', 0):g}")
        return text(
            "m_coverage_share", lang,
            demand=ref(method["demand"]), facilities=ref(method["facilities"]),
            reach=reach, measure=text(f"m_{method.get('measure', 'features')}", lang),
        )  # fmt: skip
    if kind == "attribute_sum":
        features = method["features"]
        return text("m_attribute_sum", lang, layer=_layer_title(features["layer"], layers, lang),
                    column=_attribute_title(features["layer"], features.get("column", ""),
                                            layers, lang))  # fmt: skip
    if kind == "attribute_ratio":
        return text(
            "m_attribute_ratio", lang, scale=f"{method.get('scale', 1):g}",
            numerator=column(method["numerator"]), denominator=column(method["denominator"]),
        )  # fmt: skip
    return ""


def _layer_title(layer_id: str, layers: Mapping[str, LayerDef], lang: str) -> str:
    layer = layers.get(layer_id)
    return layer.title.get(lang) if layer is not None else layer_id


def _attribute_title(layer_id: str, name: str, layers: Mapping[str, LayerDef], lang: str) -> str:
    layer = layers.get(layer_id)
    attribute = layer.attribute(name) if layer is not None and name else None
    return attribute.title.get(lang) if attribute is not None and attribute.title else name


def _where(ref: Mapping[str, Any], layers: Mapping[str, LayerDef], lang: str) -> str:
    where = ref.get("where") or {}
    if not where:
        return ""
    layer_id = ref["layer"]
    parts = [
        f"{_attribute_title(layer_id, k, layers, lang)}={value_label(v, lang, k)}"
        for k, v in where.items()
    ]
    return " [" + ", ".join(parts) + "]"


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
