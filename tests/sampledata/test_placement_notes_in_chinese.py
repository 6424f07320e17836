"""Every placement note the sample-data rules write exists in Chinese, from the same facts."""

from __future__ import annotations

import re

import pytest

from geoservice.sampledata.anchors import Placement

NOTED_LAYERS = [
    "logistics",
    "logistics_zones",
    "tourism_clusters",
    "tourist_routes",
    "tourist_stops",
    "commercial_districts",
    "industrial_parks",
    "enterprises",
    "roads",
]
TEMPLATE_ENGLISH = re.compile(
    r"NOT A LOCATION|Placed at|Direction only|Proxy|Point from|Schematic|urban-core|"
    r"exact location|gazetteer [A-Z]|named after|Cluster TC|no coordinate"
)
"""Words of the English templates and reasons; a Chinese note never contains them
(quoted citations aside: a gazetteer row's source is cited as recorded)."""
CJK = re.compile(r"[\u4e00-\u9fff]")


def without_citations(text: str) -> str:
    """Drop the quoted gazetteer sources (来源：…；可信度) that stay as recorded."""
    return re.sub(r"来源：.*?；可信度", "", text)


def facts(text: str) -> list[str]:
    """Return the numbers a note states (coordinates, distances, line numbers, ids)."""
    return sorted(re.findall(r"\d+(?:\.\d+)?", text))


@pytest.mark.parametrize("layer_id", NOTED_LAYERS)
def test_every_placement_note_has_a_chinese_twin_stating_the_same_numbers(layers, layer_id):
    frame = layers[layer_id]
    assert frame["placement_zh"].notna().all() and (frame["placement_zh"] != "").all()
    for en, zh in zip(frame["placement"], frame["placement_zh"], strict=True):
        assert CJK.search(zh), zh
        assert not TEMPLATE_ENGLISH.search(without_citations(zh)), zh
        assert facts(zh) == facts(en), (en, zh)


def test_symbolic_notes_say_in_chinese_that_they_are_not_locations(layers):
    for layer_id in NOTED_LAYERS:
        frame = layers[layer_id]
        if "placement_method" not in frame:
            continue
        symbolic = frame[frame["placement_method"] == "rule:symbolic"]
        assert symbolic["placement_zh"].str.startswith("不是实际位置").all(), layer_id


def test_direction_only_notes_give_direction_and_distance_in_chinese(layers):
    lg02 = layers["logistics"].set_index("code").loc["LG-02"]
    assert "仅知方位" in lg02["placement_zh"] and "向东5公里处" in lg02["placement_zh"]
    assert "5 km east" in lg02["placement"]


def test_a_reason_without_its_chinese_text_is_refused():
    with pytest.raises(ValueError, match="both languages"):
        Placement("proxy", "U-101", "Named after 罕台镇")
    with pytest.raises(ValueError, match="both languages"):
        Placement("proxy", "U-101", reason_zh="以罕台镇命名")
