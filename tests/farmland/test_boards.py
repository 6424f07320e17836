"""Board siting: one board per cell near a road, at the node most sampled paths pass."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix

from geoservice.analysis.farmland.boards import propose_boards, through_paths
from tests.farmland import fixture


def test_through_paths_of_a_path_graph_equal_a_hand_count():
    # 0-1-2-3-4 both ways; from every source, node 2 lies strictly inside the paths
    # 0-3, 0-4, 1-3, 1-4 and their reverses (8), node 1 inside 0-2, 0-3, 0-4 and reverses (6)
    rows, cols = [0, 1, 1, 2, 2, 3, 3, 4], [1, 0, 2, 1, 3, 2, 4, 3]
    graph = csr_matrix((np.ones(8), (rows, cols)), shape=(5, 5))
    assert through_paths(graph, sources=5).tolist() == pytest.approx([0, 6 / 5, 8 / 5, 6 / 5, 0])


def test_boards_sit_in_cells_near_the_road_at_the_busiest_node():
    _, cells = fixture.unit_frames()
    road = shapely.LineString([(413_000, 4_407_500), (419_000, 4_407_500)])
    roads = gpd.GeoDataFrame(
        {"road_class": ["国道"], "name_zh": ["测试路"]}, geometry=[road], crs=fixture.METRIC
    )
    boards, summary = propose_boards(cells, roads, max_distance_m=200, sources=1000)
    # the road runs along row 4407; row 4408 is 500 m away
    expected = sorted(
        fixture.cell(u, 4407, c)
        for u, cols in ((fixture.TOWN_A, (413, 414, 415)), (fixture.TOWN_B, (416, 417, 418)))
        for c in cols
    )
    assert boards["cell_code"].tolist() == expected
    assert summary["cells_without_road_within_m"] == 6
    # on a straight road the busiest node of each cell is the one nearest the middle
    # (x=416 km): at the cell's edge on that side, or one 50 m node inside (the fixture's
    # cells went through lon/lat and back, so a node on an edge falls on either side)
    for code, point in zip(boards["cell_code"], boards.geometry, strict=True):
        col = int(code.rsplit("-", 1)[1])
        edge = (col + 1) * 1000 if col < 416 else col * 1000
        assert abs(point.x - edge) <= 50.01 and point.y == pytest.approx(4_407_500, abs=0.01)
    assert len({(p.x, p.y) for p in boards.geometry}) == len(boards)
    assert set(boards["road"]) == {"测试路"}
    assert set(boards["placement_method"]) == {"rule:max_through_paths"}
    assert set(boards["geometry_quality"]) == {"approximate"}


@pytest.mark.parametrize("store_kind", ["geopackage"])
def test_grid_maps_show_boards_once_the_process_has_sited_them(farmland_settings):
    from fastapi.testclient import TestClient

    from geoservice.app import create_app
    from tests.conftest import create_key

    editor = {"X-API-Key": create_key(farmland_settings, "editor", "测试")}
    road = shapely.LineString([(413_000, 4_407_500), (419_000, 4_407_500)])
    roads = gpd.GeoDataFrame(
        {"road_class": ["国道"], "name_zh": ["测试路"]}, geometry=[road], crs=fixture.METRIC
    ).to_crs("OGC:CRS84")
    with TestClient(create_app(farmland_settings)) as client:
        page = client.get(f"/farmland/maps/{fixture.TOWN_A}")
        assert "公示牌尚未选址" in page.text and 'class="board"' not in page.text
        inputs = {
            "cells": {"collection": "farmland_grid"},
            "roads": roads.__geo_interface__,
            "out_layer": "farmland_boards",
        }
        r = client.post(
            "/processes/farmland-boards/execution", json={"inputs": inputs}, headers=editor
        )
        assert r.status_code == 200, r.text
        page = client.get(f"/farmland/maps/{fixture.TOWN_A}")
        assert page.text.count('class="board"') == 3
        page = client.get(f"/farmland/maps/{fixture.TOWN_A}/{fixture.A1}")
        assert page.text.count('class="board"') == 1
        assert client.get("/farmland/maps").text.count('class="board"') == 6
