"""``farmland-grid-check``: one nesting check per level pair, merged into one result."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoservice.errors import InvalidParameter


def check_levels(inputs, cells, parents, crs) -> list[tuple]:
    """(pair, report) for every level pair the layers call for."""
    from geoservice.analysis.farmland import check_grid_nesting
    from geoservice.analysis.farmland.levels import level_pairs

    try:
        pairs = level_pairs(
            cells,
            parents,
            parent_column=inputs.parent_column,
            parent_code_column=inputs.parent_code_column,
        )
    except ValueError as exc:
        raise InvalidParameter(f"input 'parents': {exc}") from None
    out = []
    for pair in pairs:
        id_column = inputs.code_column if inputs.code_column in pair.cells.columns else None
        report = check_grid_nesting(
            pair.cells,
            pair.parents,
            code_column=inputs.code_column,
            parent_column=inputs.parent_column,
            parent_code_column=inputs.parent_code_column,
            id_column=id_column,
            code_rule=inputs.code_rule,
            tolerance_m2=inputs.tolerance_m2,
            crs=crs,
            outside_scheme=pair.outside_scheme,
        )
        out.append((pair, report, id_column))
    return out


def combined_summary(reports: list[tuple]) -> dict:
    """The first pair's figures at the top (as before), every pair under ``levels``."""
    levels = {pair.label: report.summary for pair, report, _ in reports}
    problems: dict[str, int] = {}
    for _, report, _ in reports:
        for kind, n in report.summary["problems"].items():
            problems[kind] = problems.get(kind, 0) + n
    first_pair, first, _ = reports[0]
    return {
        **first.summary,
        "ok": all(r.summary["ok"] for _, r, _ in reports),
        "problems": problems,
        "gap_area_m2": sum(r.summary["gap_area_m2"] for _, r, _ in reports),
        "overlap_area_m2": sum(r.summary["overlap_area_m2"] for _, r, _ in reports),
        "findings": [m for _, r, _ in reports for m in r.summary["findings"]],
        "parent_level": None if first_pair.parent_level is None else _text(first_pair.parent_level),
        "levels": levels,
    }


def _text(level) -> str:
    from geoservice.analysis.farmland.levels import level_text

    return level_text(level)


def all_problem_features(reports: list[tuple], parent_code_column: str, crs) -> gpd.GeoDataFrame:
    """Every pair's problems and findings as features, with the pair in ``levels``."""
    frames = []
    for pair, report, id_column in reports:
        frame = _problem_features(report, pair.cells, id_column, crs)
        frames.append(frame.assign(levels=pair.label))
        if not report.findings.empty:
            frames.append(_finding_features(report, pair, parent_code_column, crs))
    joined = pd.concat(frames, ignore_index=True)
    joined["area_m2"] = pd.to_numeric(joined["area_m2"], errors="coerce").astype(float)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=crs)


def _finding_features(report, pair, parent_code_column: str, crs) -> gpd.GeoDataFrame:
    """Each named finding as one feature: the union of its units."""
    outside = pair.outside_scheme.to_crs(crs)
    rows, shapes = [], []
    for f in report.findings.itertuples():
        codes = f.codes.split(",")
        shapes.append(
            outside[outside[parent_code_column].astype(str).isin(codes)].geometry.union_all()
        )
        rows.append(
            {
                "problem": f.finding,
                "feature_id": f.codes,
                "other_id": None,
                "parent_code": None,
                "area_m2": f.area_m2,
                "message": f.message,
                "levels": pair.label,
            }
        )
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=crs)


def _problem_features(report, cells, id_column, crs) -> gpd.GeoDataFrame:
    """Problems as features: gaps and overlaps with their own shapes, others with the cell's."""
    metric = cells.to_crs(crs)
    shapes = metric.set_index(id_column).geometry if id_column else metric.geometry
    shapes = shapes[~shapes.index.duplicated()]
    rows = report.problems.copy()
    geometry = [
        shapes.get(fid) if fid is not None and kind not in ("gap", "overlap") else None
        for fid, kind in zip(rows["feature_id"], rows["problem"], strict=True)
    ]
    gaps = rows.index[rows["problem"] == "gap"]
    overlaps = rows.index[rows["problem"] == "overlap"]
    for positions, shapes_of in ((gaps, report.gaps), (overlaps, report.overlaps)):
        for pos, shape in zip(positions, shapes_of.geometry, strict=True):
            geometry[pos] = shape
    rows["feature_id"] = rows["feature_id"].map(lambda v: None if v is None else str(v))
    rows["other_id"] = rows["other_id"].map(lambda v: None if v is None or pd.isna(v) else str(v))
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=crs)
