"""Grid maps (网格导图): what a printable page of each grid level shows.

The scheme asks for 「各级网格导图」: for the district, each level-2 unit and each
level-3 cell, a map with the boundary, the cells and their codes, and who is
responsible. The map is an inline SVG drawn here in the area's metric CRS (a
printed page needs no tiles, scripts or network), with a responsibility table
whose empty rows staff fill in by hand where the register has no one yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import shapely

from geoservice.analysis.crs import metric_crs_of
from geoservice.catalog.registry import Catalog
from geoservice.errors import NotFoundError
from geoservice.farmland.scheme import (
    BOARDS_LAYER,
    CELLS_LAYER,
    REGISTER_LAYER,
    ROLE_ORDER,
    ROLES,
    UNITS_LAYER,
)
from geoservice.storage.base import FeatureQuery, FeatureStore

WIDTH, HEIGHT, MARGIN = 800.0, 600.0, 12.0
MAX_CELL_LABELS = 150
"""More cells than this and a printed page could not read their codes: the table lists them."""
LEVEL_ROLES = {
    1: ("总监督人", "副总监督人", "监督总协调人", "总监管人"),
    2: ("总监督人", "总监管人"),
    3: ("监督人", "监管人", "网格员"),
}


@dataclass(frozen=True)
class Shape:
    """One outline on the map: an SVG path, a label, where it links."""

    path: str
    label: str
    x: float
    y: float
    css: str
    href: str | None = None
    code: str = ""


@dataclass(frozen=True)
class ResponsibleRow:
    """One row of the responsibility table (blank name: to be filled in)."""

    grid_code: str
    level: int
    role: str
    role_en: str
    name: str = ""
    position: str = ""
    phone: str = ""
    villager_group: str = ""


@dataclass
class GridMap:
    """What a grid-map page shows."""

    level: int
    code: str
    name_zh: str
    name_en: str
    parent_code: str | None
    shapes: list[Shape]
    responsible: list[ResponsibleRow]
    children: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    canvas: Canvas | None = None


def district_map(store: FeatureStore, catalog: Catalog, *, lang: str = "zh") -> GridMap:
    """Return the district overview: the level-1 grid and every level-2 unit."""
    units = _units(store, catalog)
    top = units[units["level"] == 1]
    if top.empty:
        raise NotFoundError("the farmland grid has no level-1 unit")
    district = top.iloc[0]
    level2 = units[units["level"] == 2].sort_values("code")
    boards = _boards(store, catalog, top.total_bounds, "parent_code", set(level2["code"]))
    frames = [
        (top, "boundary", None),
        (level2, "unit", lambda r: f"/farmland/maps/{r['code']}"),
        (boards, "board", None),
    ]
    shapes, canvas = _draw(frames, lang, label_column="name")
    children = [{**_child(r), "no": i} for i, (_, r) in enumerate(level2.iterrows(), start=1)]
    register = _register(store, catalog)
    rows = _rows(register, [(district["code"], 1)] + [(c, 2) for c in level2["code"]])
    return GridMap(
        1,
        district["code"],
        district["name_zh"],
        district["name_en"],
        None,
        shapes,
        rows,
        children,
        _sources(units),
        canvas,
    )


def unit_map(store: FeatureStore, catalog: Catalog, code: str, *, lang: str = "zh") -> GridMap:
    """Return a level-2 unit's map: boundary, level-3 cells and codes, who is responsible."""
    units = _units(store, catalog)
    unit = units[(units["code"] == code) & (units["level"] == 2)]
    if unit.empty:
        raise NotFoundError(f"no level-2 farmland grid unit {code!r}")
    cells = _cells(store, catalog, unit.geometry.iloc[0].bounds)
    cells = cells[cells["parent_code"] == code].sort_values("code")
    labelled = len(cells) <= MAX_CELL_LABELS
    boards = _boards(store, catalog, unit.total_bounds, "parent_code", {code})
    frames = [
        (cells, "cell", lambda r: f"/farmland/maps/{code}/{r['code']}"),
        (unit, "boundary", None),
        (boards, "board", None),
    ]
    shapes, canvas = _draw(frames, lang, label_column="short" if labelled else None)
    register = _register(store, catalog)
    rows = _rows(register, [(code, 2)] + [(c, 3) for c in cells["code"]], blanks_for={code})
    row = unit.iloc[0]
    children = [_child(r) for _, r in cells.iterrows()]
    return GridMap(
        2,
        code,
        row["name_zh"],
        row["name_en"],
        row["parent_code"],
        shapes,
        rows,
        children,
        _sources(unit, cells),
        canvas,
    )


def cell_map(
    store: FeatureStore, catalog: Catalog, unit_code: str, code: str, *, lang: str = "zh"
) -> GridMap:
    """Return a level-3 cell's map: the cell among its neighbours, who is responsible."""
    cells_layer = catalog.get(CELLS_LAYER)
    query = FeatureQuery(equals={"code": code}, limit=2, crs=cells_layer.storage_crs, count_cap=0)
    cell = store.query(cells_layer, query).rows.to_frame()
    if len(cell) != 1 or cell["parent_code"].iloc[0] != unit_code:
        raise NotFoundError(f"no level-3 farmland grid cell {code!r} in unit {unit_code!r}")
    bounds = shapely.box(*cell.total_bounds).buffer(_pad(cell.total_bounds)).bounds
    around = _cells(store, catalog, bounds)
    around = around[(around["code"] != code) & (around["parent_code"] == unit_code)]
    boards = _boards(store, catalog, bounds, "cell_code", {code})
    frames = [
        (around, "neighbour", lambda r: f"/farmland/maps/{unit_code}/{r['code']}"),
        (cell, "boundary", None),
        (boards, "board", None),
    ]
    shapes, canvas = _draw(frames, lang, label_column="short", label_boundary=True)
    rows = _rows(_register(store, catalog), [(code, 3)], blanks_for={code})
    row = cell.iloc[0]
    return GridMap(
        3, code, row["name_zh"], row["name_en"], unit_code, shapes, rows, [], _sources(cell), canvas
    )


def _boards(store, catalog, bounds, column: str, codes: set) -> gpd.GeoDataFrame:
    """Return the proposed (or edited) boards of the given units or cells, if sited."""
    if BOARDS_LAYER not in catalog or not store.has_layer(BOARDS_LAYER):
        return gpd.GeoDataFrame({"cell_code": []}, geometry=[], crs="EPSG:4326")
    layer = catalog.get(BOARDS_LAYER)
    frame = store.read_frame(layer, bbox=_storage_bounds(bounds, layer.storage_crs))
    if column not in frame.columns or frame.empty:
        return frame.iloc[0:0]
    frame = frame[frame[column].isin(codes)]
    return frame.to_crs("EPSG:4326")


def _storage_bounds(bounds, storage_crs: str) -> tuple:
    from geoservice.crs import reproject_bbox

    return tuple(reproject_bbox(tuple(bounds), "EPSG:4326", storage_crs))


def register_frame(store: FeatureStore, catalog: Catalog) -> gpd.GeoDataFrame:
    """Return the register (an empty frame while no one has been entered)."""
    return _register(store, catalog)


def _units(store, catalog) -> gpd.GeoDataFrame:
    layer = catalog.get(UNITS_LAYER)
    return store.read_frame(layer)


def _cells(store, catalog, bounds) -> gpd.GeoDataFrame:
    layer = catalog.get(CELLS_LAYER)
    return store.read_frame(
        layer, bbox=bounds, columns=["code", "parent_code", "name_zh", "name_en", "source"]
    )


def _register(store, catalog) -> gpd.GeoDataFrame:
    layer = catalog.get(REGISTER_LAYER)
    if not store.has_layer(layer.id):
        return gpd.GeoDataFrame({a: [] for a in layer.attribute_names}, geometry=[])
    return store.read_frame(layer)


def _rows(register, grids: list[tuple[str, int]], blanks_for: set[str] = frozenset()):
    """Return the table: the register's entries per grid, and blank rows for missing roles.

    Blank rows are added only for the page's own grid (``blanks_for``), so a unit's
    table is not padded with three empty rows for each of its cells.
    """
    order = {role: i for i, role in enumerate(ROLE_ORDER)}
    rows = []
    for code, level in grids:
        entries = register[register["grid_code"] == code] if len(register) else register
        mine = [
            ResponsibleRow(
                code,
                level,
                e["role"],
                ROLES[e["role"]]["en"],
                _s(e["person_name"]),
                _s(e.get("position")),
                _s(e.get("phone")),
                _s(e.get("villager_group")),
            )
            for _, e in entries.iterrows()
        ]
        if code in blanks_for or level == 1:
            present = {r.role for r in mine}
            mine += [
                ResponsibleRow(code, level, r, ROLES[r]["en"])
                for r in LEVEL_ROLES[level]
                if r not in present
            ]
        rows += sorted(mine, key=lambda r: (order[r.role], r.name == "", r.name))
    return rows


def _s(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _child(row) -> dict:
    return {
        "code": row["code"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "n_cells": row.get("n_cells"),
    }


def _sources(*frames) -> list[str]:
    return sorted({s for f in frames for s in f["source"].dropna().unique()})


def _pad(bounds) -> float:
    return max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 1.5


@dataclass(frozen=True)
class Canvas:
    """The SVG box a map was fitted to, and a scale bar of a round length."""

    width: float
    height: float
    metres_per_unit: float
    bar_m: float
    bar_px: float


BAR_LENGTHS_M = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
NAME_SUFFIXES = (
    "耕地保护二级网格",
    "耕地保护一级网格",
    " farmland grid, level 2",
    " farmland grid, level 1",
)
"""Dropped from unit names in map labels (the page title says what the grid is)."""


def _draw(
    frames, lang: str, *, label_column: str | None, label_boundary: bool = False
) -> tuple[list[Shape], Canvas]:
    """Project every frame to the metric CRS and fit it to the SVG box (north up).

    The box keeps the map's own proportions (at most ``WIDTH`` × ``HEIGHT``). The
    page's own outline (css ``boundary``) is labelled only on a cell's page: on the
    others its name is the page's title, and a label would sit on its children's.
    A label that does not fit its shape is left out (cells) or replaced by the
    unit's number in the list under the map (units).
    """
    metric = metric_crs_of(*[f for f, _, _ in frames if len(f)])
    projected = [(f.to_crs(metric), css, href) for f, css, href in frames if len(f)]
    minx, miny, maxx, maxy = gpd.GeoSeries(
        [g for f, _, _ in projected for g in f.geometry], crs=metric
    ).total_bounds
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    scale = min((WIDTH - 2 * MARGIN) / dx, (HEIGHT - 2 * MARGIN) / dy)
    width, height = dx * scale + 2 * MARGIN, dy * scale + 2 * MARGIN + BAR_ROOM

    def xy(x, y):
        return MARGIN + (x - minx) * scale, height - BAR_ROOM - MARGIN - (y - miny) * scale

    shapes = []
    for frame, css, href in projected:
        for number, (_, row) in enumerate(frame.iterrows(), start=1):
            anchor = row.geometry.representative_point()
            x, y = xy(anchor.x, anchor.y)
            unlabelled = css == "board" or (css == "boundary" and not label_boundary)
            column = None if unlabelled else label_column
            label = _fitted(_label(row, column, lang), row.geometry, scale, column, number)
            link = href(row) if href else None
            code = row.get("code", row.get("cell_code", ""))
            shapes.append(Shape(_path(row.geometry, xy), label, x, y, css, link, code))
    bar_m = max([b for b in BAR_LENGTHS_M if b * scale <= width / 4] or [BAR_LENGTHS_M[0]])
    return shapes, Canvas(width, height, 1.0 / scale, bar_m, bar_m * scale)


BAR_ROOM = 24.0
"""Room under the map for the scale bar."""


def _fitted(label: str, geometry, scale: float, column: str | None, number: int) -> str:
    if not label:
        return label
    size = 13.0 if column == "name" else 9.0
    text_px = sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in label)
    minx, miny, maxx, maxy = geometry.bounds
    if (maxx - minx) * scale >= text_px and (maxy - miny) * scale >= size:
        return label
    return str(number) if column == "name" else ""


def _label(row, column: str | None, lang: str) -> str:
    if column is None:
        return ""
    if column == "name":
        name = row["name_en"] if lang == "en" else row["name_zh"]
        for suffix in NAME_SUFFIXES:
            name = name.removesuffix(suffix)
        return name
    parts = row["code"].rsplit("-", 2)
    return f"{int(parts[1])}-{int(parts[2])}" if len(parts) == 3 else row["code"]


BOARD_RADIUS = 4.0


def _path(geometry, xy) -> str:
    if geometry.geom_type == "Point":  # a board: a small circle
        x, y = xy(geometry.x, geometry.y)
        r = BOARD_RADIUS
        return f"M{x - r:.1f} {y:.1f} a{r} {r} 0 1 0 {2 * r} 0 a{r} {r} 0 1 0 {-2 * r} 0 Z"
    parts = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            points = [xy(x, y) for x, y in ring.coords]
            parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points) + " Z")
    return " ".join(parts)
