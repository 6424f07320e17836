"""The data-quality vocabulary: old values still read, features counted by how they were located."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Point

from geoservice import quality


@pytest.mark.parametrize(
    ("stored", "geometry_type", "read"),
    [
        ("surveyed", "Point", "sourced_point"),
        ("surveyed", "MultiPoint", "sourced_point"),
        ("surveyed", "MultiPolygon", "official_boundary"),
        ("approximate", "Point", "approximate"),
        ("symbolic", "Point", "symbolic"),
        (None, "Point", None),
    ],
)
def test_old_surveyed_values_are_read_in_the_current_vocabulary(stored, geometry_type, read):
    assert quality.normalise_quality(stored, geometry_type) == read


@pytest.mark.parametrize(
    ("geometry_quality", "placement_method", "expected"),
    [
        ("sourced_point", "sourced", "sourced"),
        ("approximate", "proxy", "proxy"),
        ("approximate", "proxy:seat", "proxy"),
        ("approximate", "rule:sector", "rule_placed"),
        ("approximate", "rule:symbolic", "symbolic"),
        ("symbolic", None, "symbolic"),
        ("field_survey", "surveyed", "sourced"),
        ("official_boundary", None, "sourced"),
        ("surveyed", None, "sourced"),
        ("approximate", None, "rule_placed"),
        (None, None, "unknown"),
    ],
)
def test_each_feature_falls_in_one_trust_class(geometry_quality, placement_method, expected):
    assert quality.trust_class(geometry_quality, placement_method) == expected


def frame(methods: list[str | None]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"placement_method": methods, "geometry_quality": [None] * len(methods)},
        geometry=[Point(i, 0) for i in range(len(methods))],
        crs=4326,
    )


@pytest.mark.parametrize(
    ("inputs", "weakest"),
    [
        (["official_boundary", "approximate"], "approximate"),
        (["surveyed", "official_boundary"], "official_boundary"),  # old word, polygons
        (["field_survey", "symbolic", "approximate"], "symbolic"),
        (["official_boundary", None], None),  # one input does not say: neither can the result
        (["official_boundary", "drawn by hand"], None),
        ([], None),
    ],
)
def test_a_geometry_cut_from_several_inputs_is_as_good_as_the_weakest(inputs, weakest):
    assert quality.weakest_quality(inputs, "Polygon") == weakest


def test_symbolic_positions_are_split_off_and_counted():
    layer = frame(["sourced", "rule:symbolic", "proxy", "rule:symbolic"])
    kept, counts = quality.split_symbolic(layer, include=False)
    assert kept["placement_method"].tolist() == ["sourced", "proxy"]
    assert counts == {"features": 4, "used": 2, "sourced": 1, "proxy": 1, "rule_placed": 0,
                      "symbolic": 2, "unknown": 0, "excluded_symbolic": 2,
                      "approximate_outlines": 0}  # fmt: skip


def test_included_symbolic_positions_are_counted_but_kept():
    layer = frame(["sourced", "rule:symbolic"])
    kept, counts = quality.split_symbolic(layer, include=True)
    assert len(kept) == 2 and counts["symbolic"] == 1 and counts["excluded_symbolic"] == 0
    summary = quality.combine({"facilities": counts}, include_symbolic=True)
    assert "not real" in summary["note"]


def test_a_layer_without_quality_attributes_is_unknown_never_sourced():
    layer = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326)
    _, counts = quality.split_symbolic(layer, include=False)
    assert counts["unknown"] == 1 and counts["sourced"] == 0
    assert (
        "do not say how they were located"
        in quality.combine({"demand": counts}, include_symbolic=False)["note"]
    )


def test_an_upload_still_saying_surveyed_is_stored_in_the_current_vocabulary():
    import pandas as pd

    from geoservice.catalog.loader import load_catalog
    from geoservice.ingest.attrcheck import check_attributes
    from geoservice.ingest.report import IngestReport
    from geoservice.settings import Settings

    settings = Settings()
    catalog = load_catalog(settings.layers_dir, settings.styles_dir)
    villages, district = catalog.get("villages"), catalog.get("district")
    for layer, expected in ((villages, "sourced_point"), (district, "official_boundary")):
        rows = pd.DataFrame({"geometry_quality": ["surveyed", "approximate"]})
        report = IngestReport(file="f.geojson", layer=layer.id)
        out = check_attributes(rows, layer, {"geometry_quality": "geometry_quality"}, report)
        assert out["geometry_quality"].tolist() == [expected, "approximate"]
        assert not report.of("error")


def test_results_on_approximate_polygons_say_their_areas_are_approximate():
    from shapely import box

    units = gpd.GeoDataFrame(
        {"geometry_quality": ["approximate", "official_boundary"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=4326,
    )
    _, counts = quality.split_symbolic(units, include=False)
    assert counts["approximate_outlines"] == 1
    note = quality.combine({"units": counts}, include_symbolic=False)["note"]
    assert "areas and shares measured on them are approximate" in note
