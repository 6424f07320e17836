"""The printable one-page sheet of an idle site (产业地图 选址单).

An investor or the investment-promotion office prints one page per site: where
it is (a small location map drawn as SVG on the server, so the page prints the
same everywhere and needs no script), its area, use and status, the
constraints of the office's usual question ("at least 5 ha, within 10 km of the
equipment-manufacturing base and 2 km of a logistics park", adjustable) with
whether and by how much each is met, and the nearest logistics park and
business circle with their distances. Distances are straight-line in the study
area's metric CRS, measured only to features that have a position
(``rule:symbolic`` placements are not locations and are left out); each
target's placement is printed beside its distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from markupsafe import Markup, escape

from geoservice.analysis.site_search import Proximity, site_search
from geoservice.catalog.areas import AreaDef
from geoservice.catalog.registry import Catalog
from geoservice.errors import NotFoundError
from geoservice.storage.base import FeatureStore

SITES_LAYER = "idle_assets"
DEFAULT_MIN_AREA_HA = 5.0
DEFAULT_MAX_BASE_KM = 10.0
DEFAULT_MAX_PARK_KM = 2.0
BASE_FILTER = ("industrial_parks", "code", "PK-01")
"""The equipment-manufacturing base (装备制造基地) of the industrial_parks layer."""
SVG_W, SVG_H, SVG_PAD = 640, 420, 24
SYMBOLIC = "rule:symbolic"


@dataclass(frozen=True)
class Criteria:
    """The question the sheet answers for its site."""

    min_area_ha: float = DEFAULT_MIN_AREA_HA
    max_base_km: float = DEFAULT_MAX_BASE_KM
    max_park_km: float = DEFAULT_MAX_PARK_KM


@dataclass(frozen=True)
class Nearest:
    """The nearest feature of a kind, its distance and how it was placed."""

    name: str
    km: float
    placement_method: str
    geometry_quality: str


@dataclass(frozen=True)
class SiteSheet:
    """Everything the template prints (every string is data: the template escapes it)."""

    lang: str
    code: str
    properties: dict[str, Any]
    area_ha: float | None
    area_basis: str
    constraints: list[tuple[bool, str]]
    meets_all: bool
    nearest_park: Nearest | None
    nearest_circle: Nearest | None
    map_svg: Markup
    criteria: Criteria
    notes: list[str] = field(default_factory=list)

    def t(self, zh: str, en: str) -> str:
        """Return the sheet's text in its language."""
        return en if self.lang == "en" else zh


def product_area(catalog: Catalog, product: Any) -> AreaDef:
    """Return the study area a product's layers belong to (the default area if none is declared)."""
    for layer_id in product.layers:
        if layer_id in catalog:
            return catalog.area_of(catalog.get(layer_id))
    return catalog.area()


def build_sheet(
    catalog: Catalog, store: FeatureStore, code: str, criteria: Criteria, lang: str
) -> SiteSheet:
    """Read the site and its context from the store and measure it (404 if no such site)."""
    if SITES_LAYER not in catalog or not store.has_layer(SITES_LAYER):
        raise NotFoundError(f"no layer {SITES_LAYER!r} in this service")
    layer = catalog.get(SITES_LAYER)
    area = catalog.area_of(layer)
    sites = _read(catalog, store, SITES_LAYER)
    site = sites[sites["code"].astype(str) == code] if sites is not None else None
    if site is None or site.empty:
        raise NotFoundError(f"no site with code {code!r} in {SITES_LAYER}")
    crs = area.metric_crs_for(_bounds(sites))
    context = _context(catalog, store)
    proximity, notes = _proximity(context, criteria, lang)
    result = site_search(
        site, min_area_ha=criteria.min_area_ha, statuses=["available"], proximity=proximity,
        crs=crs,
    )  # fmt: skip
    row = result.sites.iloc[0]
    constraints = _constraint_lines(row, proximity, criteria, lang)
    site_m = site.to_crs(crs)
    props = {k: _plain(v) for k, v in site.drop(columns="geometry").iloc[0].items()}
    area_ha = None if not np.isfinite(row["area_ha"]) else float(row["area_ha"])
    return SiteSheet(
        lang=lang,
        code=code,
        properties=props,
        area_ha=area_ha,
        area_basis=str(row["area_basis"]),
        constraints=constraints,
        meets_all=bool(row["meets_all"]),
        nearest_park=_nearest(site_m, context.get("parks"), crs),
        nearest_circle=_nearest(site_m, context.get("circles"), crs),
        map_svg=location_svg(site_m, context, crs, lang),
        criteria=criteria,
        notes=notes,
    )


def _proximity(context: dict, criteria: Criteria, lang: str) -> tuple[list[Proximity], list[str]]:
    """The sheet's distance constraints; a missing target layer is said, not skipped silently."""
    wanted = (
        ("equipment_base", "base", criteria.max_base_km,
         _t(lang, "装备制造基地", "equipment-manufacturing base")),
        ("logistics_park", "parks", criteria.max_park_km, _t(lang, "物流园区", "logistics park")),
    )  # fmt: skip
    proximity, notes = [], []
    for name, key, km, label in wanted:
        targets = context.get(key)
        if targets is None or targets.empty:
            notes.append(
                _t(lang, f"无已定位的{label}，未检查该条件", f"No placed {label}: not checked")
            )
            continue
        proximity.append(Proximity(name, targets, km * 1000, label=label))
    return proximity, notes


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    west, south, east, north = frame.to_crs("EPSG:4326").total_bounds.tolist()
    return west, south, east, north


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _read(catalog: Catalog, store: FeatureStore, layer_id: str) -> gpd.GeoDataFrame | None:
    if layer_id not in catalog or not store.has_layer(layer_id):
        return None
    layer = catalog.get(layer_id)
    frame = store.read_frame(layer)
    if frame.crs is None:
        frame = frame.set_crs(layer.storage_crs)
    return frame


def _placed(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or "placement_method" not in frame.columns:
        return frame
    return frame[frame["placement_method"] != SYMBOLIC]


def _context(catalog: Catalog, store: FeatureStore) -> dict[str, gpd.GeoDataFrame | None]:
    """The layers the sheet measures against and draws, placed features only."""
    layer_id, column, value = BASE_FILTER
    parks_layer = _read(catalog, store, layer_id)
    base = None
    if parks_layer is not None and column in parks_layer.columns:
        base = _placed(parks_layer[parks_layer[column] == value])
    logistics = _placed(_read(catalog, store, "logistics"))
    parks = None
    if logistics is not None and "category" in logistics.columns:
        parks = logistics[logistics["category"] == "park"]
    shops = _placed(_read(catalog, store, "commercial_districts"))
    circles = None
    if shops is not None and "category" in shops.columns:
        circles = shops[shops["category"] == "business_circle"]
    district = _read(catalog, store, "district")
    if district is not None and "is_study_area" in district.columns:
        district = district[district["is_study_area"].astype(bool)]
    return {
        "base": base,
        "parks": parks,
        "circles": circles,
        "district": district,
        "roads": _read(catalog, store, "roads"),
    }


def _constraint_lines(row, proximity, criteria: Criteria, lang: str) -> list[tuple[bool, str]]:
    lines: list[tuple[bool, str]] = []
    area = row["area_ha"]
    if np.isfinite(area):
        margin = row["area_margin_ha"]
        how = (_t(lang, f"富余 {margin:.2f} 公顷", f"{margin:.2f} ha to spare") if row["area_met"]
               else _t(lang, f"差 {-margin:.2f} 公顷", f"short by {-margin:.2f} ha"))  # fmt: skip
        text = _t(lang, f"面积 {area:.2f} 公顷 ≥ {criteria.min_area_ha:g} 公顷：",
                  f"Area {area:.2f} ha ≥ {criteria.min_area_ha:g} ha: ")  # fmt: skip
        lines.append((bool(row["area_met"]), text + how))
    else:
        lines.append((False, _t(lang, "面积未知", "Area unknown")))
    status = row.get("status")
    lines.append((bool(row["status_met"]),
                  _t(lang, f"状态 {status}（需为 available 可供）",
                     f"Status {status} (must be available)")))  # fmt: skip
    for p in proximity:
        value, met, nearest = row[f"{p.name}_value"], row[f"{p.name}_met"], row[f"{p.name}_nearest"]
        limit_km = p.limit / 1000
        if not np.isfinite(value):
            lines.append((False, f"{p.label}: " + _t(lang, "无法测量", "not measurable")))
            continue
        km = value / 1000
        spare = limit_km - km
        how = (_t(lang, f"富余 {spare:.2f} 公里", f"{spare:.2f} km to spare") if met
               else _t(lang, f"超出 {-spare:.2f} 公里", f"{-spare:.2f} km too far"))  # fmt: skip
        lines.append((bool(met), f"{p.label}（{nearest}）{km:.2f} km ≤ {limit_km:g} km：{how}"))
    return lines


def _nearest(site_m: gpd.GeoDataFrame, targets: gpd.GeoDataFrame | None, crs) -> Nearest | None:
    if targets is None or targets.empty:
        return None
    t = targets.to_crs(crs)
    distances = shapely.distance(np.asarray(t.geometry.array), site_m.geometry.iloc[0])
    i = int(np.argmin(distances))
    row = t.iloc[i]
    return Nearest(
        name=str(row.get("name_zh", "")),
        km=round(float(distances[i]) / 1000, 2),
        placement_method=str(row.get("placement_method", "")),
        geometry_quality=str(row.get("geometry_quality", "")),
    )


class _Canvas:
    """Metric coordinates → SVG pixels around a centre, north up."""

    def __init__(self, geometries: list, *, min_span_m: float = 2_000.0) -> None:
        x0, y0, x1, y1 = shapely.bounds(shapely.GeometryCollection(geometries)).tolist()
        self.span = max(x1 - x0, y1 - y0, min_span_m) * 1.15
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        inner = min(SVG_W, SVG_H) - 2 * SVG_PAD
        self.scale = inner / self.span
        self.view = shapely.box(self.cx - self.span, self.cy - self.span,
                                self.cx + self.span, self.cy + self.span)  # fmt: skip

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return SVG_W / 2 + (x - self.cx) * self.scale, SVG_H / 2 - (y - self.cy) * self.scale

    def path(self, geom, **attrs: str) -> str:
        d = []
        for part in shapely.get_parts(shapely.intersection(geom, self.view)):
            polygon = part.geom_type == "Polygon"
            for ring in [part.exterior, *part.interiors] if polygon else [part]:
                pts = [self.xy(x, y) for x, y in np.asarray(ring.coords)[:, :2]]
                d.append(
                    "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in pts) + ("Z" if polygon else "")
                )
        extra = " ".join(f'{k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
        return f'<path d="{" ".join(d)}" {extra}/>' if d else ""

    def points(self, frame: gpd.GeoDataFrame, colour: str) -> list[str]:
        out = []
        for name, g in zip(frame["name_zh"], frame.geometry, strict=True):
            px, py = self.xy(g.centroid.x, g.centroid.y)
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{colour}" '
                       'stroke="#ffffff" stroke-width="1.5"/>')  # fmt: skip
            out.append(_label(px + 7, py + 4, str(name)[:24], colour))
        return out


MARKERS = (("base", "#3f007d"), ("parks", "#08519c"), ("circles", "#7a0177"))


def location_svg(site_m: gpd.GeoDataFrame, context: dict, crs, lang: str) -> Markup:
    """Draw the site in its surroundings as SVG: district, roads, parks, circles, scale bar.

    Labels are feature names, so they are escaped; colours and coordinates are
    presentation attributes (the plain pages' policy allows no inline CSS).
    """
    site = site_m.geometry.iloc[0]
    layers = {key: _nonempty(context.get(key), crs) for key in ("base", "parks", "circles")}
    focus = [site, *(g for f in layers.values() if f is not None for g in f.geometry)]
    canvas = _Canvas(focus)
    parts = [f'<rect width="{SVG_W}" height="{SVG_H}" fill="#f6f5f0"/>']
    district = _nonempty(context.get("district"), crs)
    if district is not None:
        boundary = shapely.boundary(shapely.union_all(district.geometry))
        parts.append(canvas.path(boundary, fill="none", stroke="#7b3294", stroke_width="1.5",
                                 stroke_dasharray="4 3"))  # fmt: skip
    roads = _nonempty(context.get("roads"), crs)
    if roads is not None:
        parts.append(canvas.path(shapely.union_all(roads.geometry), fill="none",
                                 stroke="#999999", stroke_width="1.5"))  # fmt: skip
    parts.append(canvas.path(site, fill="#d7301f", fill_opacity="0.6", stroke="#7f0000",
                             stroke_width="2"))  # fmt: skip
    sx, sy = canvas.xy(site.centroid.x, site.centroid.y)
    parts.append(_label(sx, sy - 10, _t(lang, "本地块", "This site"), "#7f0000"))
    for key, colour in MARKERS:
        if layers[key] is not None:
            parts.extend(canvas.points(layers[key], colour))
    parts.append(_scale_bar(canvas.scale))
    parts.append(_label(SVG_W - 30, 28, "N ↑", "#222222"))
    title = escape(_t(lang, "地块位置示意图", "Site location map"))
    body = "\n".join(p for p in parts if p)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {SVG_H}" '
        f'role="img" aria-label="{title}" class="site-map">\n{body}\n</svg>'
    )


def _nonempty(frame: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame | None:
    return None if frame is None or frame.empty else frame.to_crs(crs)


def _label(x: float, y: float, text: str, colour: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" fill="{colour}" '
            f'font-family="sans-serif">{escape(text)}</text>')  # fmt: skip


def _scale_bar(scale: float) -> str:
    """A bar of a round length (1, 2, 5 × 10ⁿ m) about a fifth of the map wide."""
    target = (SVG_W / 5) / scale
    power = 10 ** math.floor(math.log10(target))
    length = max(m * power for m in (1, 2, 5) if m * power <= target)
    width = length * scale
    x, y = SVG_PAD, SVG_H - SVG_PAD
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    return (f'<line x1="{x}" y1="{y}" x2="{x + width:.1f}" y2="{y}" stroke="#222222" '
            f'stroke-width="3"/>' + _label(x, y - 6, label, "#222222"))  # fmt: skip
