"""Every free-text note the sample-data rules write (placement notes, a street's or town's
partition and seat source) exists in Chinese, from the same facts."""

from __future__ import annotations

import re

import pytest

from geoservice.catalog.vocabulary import TRANSLATED
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
UNIT_NOTES = ["partition", "seat_source"]
"""The streets_towns attributes written in English with a Chinese twin."""
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
"""Two English words in a row: a phrase, not an id (``SEAT-100``) or a code."""
ENGLISH_CITATION = re.compile(r"gazetteer ([\w-]+): (.*?) \[confidence")


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


@pytest.mark.parametrize("attribute", UNIT_NOTES)
def test_every_street_and_town_note_has_a_chinese_twin_in_chinese_words(layers, attribute):
    frame = layers["streets_towns"]
    twin = TRANSLATED[attribute]
    assert twin == f"{attribute}_zh"
    assert frame[twin].notna().all() and (frame[twin] != "").all()
    for en, zh in zip(frame[attribute], frame[twin], strict=True):
        assert CJK.search(zh), zh
        assert not ENGLISH_PHRASE.search(without_citations(zh)), zh
        assert facts(zh) == facts(en), (en, zh)


def test_seat_sources_in_chinese_quote_the_cited_sources_as_recorded(layers):
    frame = layers["streets_towns"]
    cited = 0
    for en, zh in zip(frame["seat_source"], frame["seat_source_zh"], strict=True):
        for row_id, source in ENGLISH_CITATION.findall(en):
            assert f"地名表 {row_id}（来源：{source}；可信度：" in zh, (en, zh)
            cited += 1
    assert cited >= len(frame) - 1  # every unit but the largest-gap one cites a point


def test_rule_seats_say_in_chinese_why_they_are_not_the_office(layers):
    units = layers["streets_towns"].set_index("name_zh")
    assert units.loc["公园街道", "seat_source_zh"].startswith("其所辖育才社区和园林社区")
    assert "不是街道办事处所在地" in units.loc["公园街道", "seat_source_zh"]
    assert "该位置不说明街道的实际所在" in units.loc["兴胜街道", "seat_source_zh"]
    assert units.loc["兴胜街道", "seat_source_zh"].endswith("所用点位：无")
    assert units["partition_zh"].str.endswith("不是官方界线").all()
