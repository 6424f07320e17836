"""Route planner between tourist stops over the road layer, for the scenic e-guide.

The page must work with no connection beyond the service (a visitor in a
scenic area), so every route between two stops that have a position is
computed when the page is built and embedded: the quickest path by car over
the road layer (reach model of :mod:`geoservice.analysis.network`), its
length and its minutes. The straight legs between a stop and its nearest road
node are timed at :data:`ACCESS_KMH` (the sample has no local roads) and
reported apart. Symbolic stops are not locations and get no route; a stop too
far from every road gets none either, and the planner says so.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geoservice.maps.elements import script_json

ACCESS_KMH = 30.0
"""Speed of the straight leg between a stop and the road network (a local road, assumed)."""
MAX_SNAP_M = 5_000.0
SIMPLIFY_DEG = 0.0003
"""About 30 m: keeps the drawn path on its road while the page stays small."""
SYMBOLIC = "rule:symbolic"


def stop_routes(
    stops: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, crs: Any, max_snap_m: float = MAX_SNAP_M
) -> dict[str, Any]:
    """Return the stops and the quickest path by car between every pair of them.

    Parameters
    ----------
    stops : geopandas.GeoDataFrame
        Points with ``code``, ``name_zh``, ``name_en`` and ``placement_method``.
    roads : geopandas.GeoDataFrame
        Lines with ``road_class`` and ``speed_kmh``.
    crs : metric CRS to route in.

    Returns
    -------
    dict
        ``stops``: one entry per stop with a position (``code``, ``name_zh``,
        ``name_en``, ``on_network``); ``paths``: ``"<code a>|<code b>"`` (a before
        b in ``stops``) → ``minutes``, ``road_km``, ``access_km`` and ``coords``
        ([lat, lon] pairs from a to b).
    """
    from scipy.sparse.csgraph import dijkstra

    from geoservice.analysis.network import build_network

    placed = stops[stops["placement_method"] != SYMBOLIC].drop_duplicates("code")
    placed = placed.reset_index(drop=True)
    entries = [
        {"code": str(r.code), "name_zh": str(r.name_zh), "name_en": str(r.name_en)}
        for r in placed.itertuples()
    ]
    if placed.empty or roads.empty:
        return {"stops": entries, "paths": {}}
    network = build_network(
        roads, profile="drive", class_col="road_class", speed_col="speed_kmh",
        split_crossings=True, access_speed_kmh=ACCESS_KMH, crs=crs,
    )  # fmt: skip
    node, leg, dist = network.snap_legs(placed, max_snap_m=max_snap_m)
    for entry, n in zip(entries, node, strict=True):
        entry["on_network"] = bool(n >= 0)
    on = np.nonzero(node >= 0)[0]
    if not len(on):
        return {"stops": entries, "paths": {}}
    minutes, pred = dijkstra(network.matrix, indices=node[on], return_predecessors=True)
    xy = shapely.get_coordinates(network.nodes.geometry.values)
    stop_xy = shapely.get_coordinates(placed.to_crs(network.crs).geometry.values)
    paths: dict[str, Any] = {}
    for a_pos, a in enumerate(on):
        for b in on[a_pos + 1 :]:
            road_minutes = minutes[a_pos, node[b]]
            if not np.isfinite(road_minutes):
                continue
            chain = _node_chain(pred[a_pos], node[a], node[b])
            road = xy[chain]
            line = shapely.LineString(np.vstack([stop_xy[a], road, stop_xy[b]]))
            lonlat = gpd.GeoSeries([line], crs=network.crs).to_crs("EPSG:4326").iloc[0]
            coords = np.asarray(shapely.simplify(lonlat, SIMPLIFY_DEG).coords)
            segments = np.diff(road, axis=0)
            paths[f"{entries[a]['code']}|{entries[b]['code']}"] = {
                "minutes": round(float(leg[a] + road_minutes + leg[b]), 1),
                "road_km": round(float(np.hypot(*segments.T).sum()) / 1000, 1),
                "access_km": round(float(dist[a] + dist[b]) / 1000, 1),
                "coords": [[round(lat, 5), round(lon, 5)] for lon, lat in coords[:, :2]],
            }
    return {"stops": entries, "paths": paths}


def _node_chain(predecessors: np.ndarray, start: int, end: int) -> list[int]:
    chain = [int(end)]
    while chain[-1] != start:
        chain.append(int(predecessors[chain[-1]]))
    return chain[::-1]


TEXT = {
    "zh": {
        "title": "线路规划（沿示意路网驾车）",
        "from": "起点",
        "to": "终点",
        "choose": "请选择",
        "result": "{km} 公里，约 {min} 分钟（其中站点到道路直线 {access} 公里）",
        "none": "两站之间无法经路网到达（站点离道路过远）",
        "note": "路网为示意线位；无位置的站点不参与规划。",
    },
    "en": {
        "title": "Route planner (by car on the schematic roads)",
        "from": "From",
        "to": "To",
        "choose": "Choose",
        "result": "{km} km, about {min} min (of which {access} km straight to the road)",
        "none": "No route over the roads between these stops (a stop is too far from them)",
        "note": "The roads are schematic; stops with no position are left out.",
    },
}


class RoutePlanner(MacroElement):
    """A control with two stop menus; the chosen route is drawn and its time shown.

    Stop names are data: the menus are filled with ``textContent``, never HTML.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, data, t) {
            var control = L.control({position: "bottomright"});
            var drawn = null;
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "gs-box gs-route-planner");
                var title = L.DomUtil.create("b", "", div);
                title.textContent = t.title;
                function menu(label) {
                    var row = L.DomUtil.create("div", "", div);
                    var name = L.DomUtil.create("span", "", row);
                    name.textContent = label + " ";
                    var select = L.DomUtil.create("select", "", row);
                    var blank = document.createElement("option");
                    blank.value = ""; blank.textContent = t.choose;
                    select.appendChild(blank);
                    data.stops.forEach(function (s) {
                        var o = document.createElement("option");
                        o.value = s.code; o.textContent = s[t.name];
                        select.appendChild(o);
                    });
                    return select;
                }
                var from = menu(t.from), to = menu(t.to);
                from.className = "gs-route-from"; to.className = "gs-route-to";
                var result = L.DomUtil.create("div", "gs-route-result", div);
                var note = L.DomUtil.create("div", "gs-route-note", div);
                note.textContent = t.note;
                function show() {
                    if (drawn) { map.removeLayer(drawn); drawn = null; }
                    result.textContent = "";
                    var a = from.value, b = to.value;
                    if (!a || !b || a === b) { return; }
                    var path = data.paths[a + "|" + b], reverse = false;
                    if (!path) { path = data.paths[b + "|" + a]; reverse = true; }
                    if (!path) { result.textContent = t.none; return; }
                    var coords = reverse ? path.coords.slice().reverse() : path.coords;
                    drawn = L.polyline(coords, {color: "#e7298a", weight: 6, opacity: 0.85,
                                                className: "gs-route"}).addTo(map);
                    map.fitBounds(drawn.getBounds(), {animate: false, padding: [20, 20]});
                    result.textContent = t.result.replace("{km}", path.road_km)
                        .replace("{min}", Math.round(path.minutes))
                        .replace("{access}", path.access_km);
                }
                L.DomEvent.on(from, "change", show);
                L.DomEvent.on(to, "change", show);
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
        })({{ this._parent.get_name() }}, {{ this.data_json }}, {{ this.text_json }});
        {% endmacro %}
        """
    )

    def __init__(self, routes: dict[str, Any], lang: str) -> None:
        super().__init__()
        self._name = "RoutePlanner"
        self.data_json = script_json(routes)
        words = dict(TEXT["en" if lang == "en" else "zh"])
        words["name"] = "name_en" if lang == "en" else "name_zh"
        self.text_json = script_json(words)
