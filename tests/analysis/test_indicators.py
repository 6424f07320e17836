from pathlib import Path

import numpy as np
import pytest
import shapely
from analysis_helpers import X0, Y0, frame, grid

from geoservice.analysis.indicators import (
    evaluate_indicators,
    load_indicators,
    required_layers,
)
from geoservice.errors import CatalogError, InvalidParameter, LayerNotFound

INDICATOR_DIR = Path(__file__).resolve().parents[2] / "layers" / "dongsheng" / "indicators"
SEEDS = Path(__file__).resolve().parents[2] / "docs" / "seeds"


def source(**kw):
    return {"doc": "000", "line": 1, "quote": "测试", **kw}


@pytest.fixture
def layers(line_of_points):
    villages = line_of_points.assign(pop=[100.0] * 11)
    points = frame([shapely.Point(X0, Y0), shapely.Point(X0 + 1000, Y0)], brands=[4, 2])
    clusters = frame([shapely.Point(X0, Y0)] * 10, flagship=[True] * 8 + [False] * 2)
    clusters["name"] = [f"c{i}" for i in range(10)]
    units = grid(2, 500.0).assign(population=[1000.0, 2000.0, 3000.0, 4000.0])
    beds = frame([shapely.Point(X0, Y0)] * 2, beds=[300.0, 600.0])
    return {
        "villages": villages,
        "express": points,
        "clusters": clusters,
        "units": units,
        "beds": beds,
    }


def test_coverage_indicator_reports_the_uncovered_villages(layers):
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "every-village",
                "title": "express to every village",
                "type": "coverage_share",
                "facilities": {"layer": "express"},
                "demand": {"layer": "villages", "id_column": "name"},
                "measure": "features",
                "distance_m": 250,
                "target": {"op": ">=", "value": 1.0},
                "source": source(),
            }
        ],
    }
    (r,) = evaluate_indicators(defs, layers)
    # 0-200 m from the first point, 800-1000 m from the second: 6 of 11 covered
    assert r.value == pytest.approx(6 / 11)
    assert not r.met
    assert r.feature_ids == ["v3", "v4", "v5", "v6", "v7"]
    assert r.feature_role == "not_covered"
    assert r.comparison == "0.545455 >= 1"


def test_population_coverage_lists_largest_uncovered_population_first(layers):
    villages = layers["villages"].assign(pop=np.arange(11.0))
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "pop",
                "title": "population within 250 m",
                "type": "coverage_share",
                "facilities": {"layer": "express", "where": {"brands": 4}},
                "demand": {"layer": "villages", "id_column": "name"},
                "measure": "population",
                "population_column": "pop",
                "distance_m": 250,
                "target": {"op": ">=", "value": 0.1},
                "source": source(),
            }
        ],
    }
    (r,) = evaluate_indicators(defs, {**layers, "villages": villages})
    assert r.value == pytest.approx((0 + 1 + 2) / 55)
    assert r.met is False
    assert r.feature_ids[:3] == ["v10", "v9", "v8"]


def test_count_sum_and_ratio_indicators(layers):
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "flagships",
                "title": "≥ 9 flagship clusters",
                "type": "count",
                "features": {
                    "layer": "clusters",
                    "where": {"flagship": True},
                    "id_column": "name",
                },
                "target": {"op": ">=", "value": 9},
                "source": source(),
            },
            {
                "id": "beds",
                "title": "beds",
                "type": "attribute_sum",
                "features": {"layer": "beds", "column": "beds"},
                "target": {"op": ">=", "value": 900},
                "source": source(),
            },
            {
                "id": "beds-per-1000",
                "title": "beds per 1000",
                "type": "attribute_ratio",
                "numerator": {"layer": "beds", "column": "beds"},
                "denominator": {"layer": "units", "column": "population"},
                "scale": 1000,
                "target": {"op": ">=", "value": 90},
                "source": source(),
            },
        ],
    }
    count, total, ratio = evaluate_indicators(defs, layers)
    assert (count.value, count.met) == (8.0, False)
    assert count.feature_ids == [f"c{i}" for i in range(8)]
    assert (total.value, total.met) == (900.0, True)
    assert ratio.value == pytest.approx(90.0) and ratio.met
    assert ratio.details["denominator"] == 10_000


def test_minutes_coverage_uses_the_named_road_layer(layers):
    roads = frame([shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])], highway=["residential"])
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "walk",
                "title": "villages within 2.5 min walk",
                "type": "coverage_share",
                "facilities": {"layer": "express"},
                "demand": {"layer": "villages"},
                "minutes": 2.5,
                "network": {"layer": "roads", "profile": "walk"},
                "target": {"op": ">=", "value": 0.5},
                "source": source(),
            }
        ],
    }
    (r,) = evaluate_indicators(defs, {**layers, "roads": roads})
    # 2.5 min at 80 m/min = 200 m from each end: villages 0-2 and 8-10
    assert r.value == pytest.approx(6 / 11) and r.met


def test_missing_layers_are_named(layers):
    defs = load_indicators(INDICATOR_DIR / "dongsheng-services-plan.yaml")
    with pytest.raises(LayerNotFound) as err:
        evaluate_indicators(defs, layers)
    assert "cultural_venues" in err.value.details["missing"]


def test_unknown_fields_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "plan: t\nindicators:\n  - {id: a, title: a, type: count, features: {layer: x},"
        " target: {op: '>=', value: 1}, source: {doc: '000', quote: q}, colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="colour"):
        load_indicators(path)


def test_minutes_without_network_is_refused():
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "x",
                "title": "x",
                "type": "coverage_share",
                "facilities": {"layer": "a"},
                "demand": {"layer": "b"},
                "minutes": 10,
                "target": {"op": ">=", "value": 1},
                "source": source(),
            }
        ],
    }
    with pytest.raises(InvalidParameter, match="network"):
        evaluate_indicators(defs, {})


@pytest.mark.parametrize("path", sorted(INDICATOR_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_indicator_files_are_valid_and_cite_their_seeds(path):
    defs = load_indicators(path)
    assert defs.indicators and required_layers(defs)
    for ind in defs.indicators:
        seed = next(SEEDS.glob(f"{ind.source.doc}_*.txt"), None)
        assert seed is not None, f"{ind.id}: no seed text {ind.source.doc}_*.txt in docs/seeds"
        assert ind.source.line is not None, f"{ind.id}: the source names no line"
        line = seed.read_text(encoding="utf-8").splitlines()[ind.source.line - 1]
        # the quoted passage (first words) is on the cited line
        assert ind.source.quote.split()[0].strip("。") in line, ind.id


def test_dongsheng_file_evaluates_on_sample_layers():
    defs = load_indicators(INDICATOR_DIR / "inner-mongolia-express-delivery.yaml")
    villages = frame(
        shapely.points(X0 + np.array([0.0, 2500.0, 9000.0]), np.full(3, Y0)),
        name_zh=["甲村", "乙村", "丙村"],
    )
    express = frame([shapely.Point(X0, Y0)], brands_4plus=[True])
    every, four = evaluate_indicators(defs, {"villages": villages, "express_points": express})
    assert every.value == pytest.approx(2 / 3) and every.feature_ids == ["丙村"]
    assert four.value == pytest.approx(1 / 3) and four.feature_ids == ["乙村", "丙村"]
    assert every.details["assumptions"]


def test_with_report_missing_data_makes_an_indicator_not_evaluable(layers):
    defs = load_indicators(INDICATOR_DIR / "dongsheng-services-plan.yaml")
    results = {r.id: r for r in evaluate_indicators(defs, layers, on_missing="report")}
    circle = results["cultural-10min-circle"]
    assert circle.status == "not_evaluable" and circle.value is None and not circle.met
    assert {"cultural_venues", "population_cells"} <= set(circle.missing["layers"])
    assert "not evaluable" in circle.comparison


def test_a_missing_column_is_named_when_reported(layers):
    defs = {
        "plan": "t",
        "indicators": [
            {
                "id": "beds",
                "title": "beds",
                "type": "attribute_sum",
                "features": {"layer": "beds", "column": "doctors"},
                "target": {"op": ">=", "value": 1},
                "source": source(),
            }
        ],
    }
    (r,) = evaluate_indicators(defs, layers, on_missing="report")
    assert r.status == "not_evaluable" and "doctors" in r.missing["data"]
    with pytest.raises(InvalidParameter, match="doctors"):
        evaluate_indicators(defs, layers)
