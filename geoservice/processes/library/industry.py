"""Processes ``site_search`` (idle sites meeting an investor's constraints) and
``match_park`` (the logistics park for each shipment): the industry map's and the
logistics e-map's questions (issue 17)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geoservice.errors import InvalidParameter
from geoservice.processes.context import ProcessContext
from geoservice.processes.inputs import FeatureInput, NetworkInputs
from geoservice.processes.library._shared import network_of, text
from geoservice.processes.outputs import LayerOutput
from geoservice.processes.registry import OutputSpec, Process


class NearInput(BaseModel):
    """One proximity constraint: within a distance or a travel time of a layer's features."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,30}$",
        description="Short name, the prefix of the result columns (e.g. 'equipment_base')",
    )
    layer: FeatureInput = Field(description="The features to be near")
    max_distance_m: float | None = Field(None, gt=0, description="Straight-line limit")
    max_minutes: float | None = Field(None, gt=0, description="Travel-time limit over roads")
    label: str | None = Field(None, max_length=200, description="How results name the targets")

    @model_validator(mode="after")
    def _one_limit(self) -> NearInput:
        if (self.max_distance_m is None) == (self.max_minutes is None):
            raise ValueError("give exactly one of max_distance_m and max_minutes")
        return self


class SiteSearchInputs(NetworkInputs):
    """Inputs of ``site_search``."""

    sites: FeatureInput = Field(description="Candidate sites (e.g. the idle_assets layer)")
    min_area_ha: float | None = Field(None, ge=0, description="Smallest area in hectares")
    max_area_ha: float | None = Field(None, gt=0, description="Largest area in hectares")
    uses: list[str] | None = Field(None, min_length=1, description="Accepted zoning/use values")
    statuses: list[str] | None = Field(
        None, min_length=1, description="Accepted status values (e.g. ['available'])"
    )
    near: list[NearInput] = Field(
        default_factory=list, max_length=10, description="Proximity constraints"
    )
    area_column: str = Field("area_ha", description="Recorded area (ha) of sites")
    use_column: str = Field("use", description="Zoning/use column of sites")
    status_column: str = Field("status", description="Status column of sites")
    max_snap_m: float = Field(
        500.0, gt=0, description="Farther from a road, a site or target is off the network"
    )

    @model_validator(mode="after")
    def _rules(self) -> SiteSearchInputs:
        if any(n.max_minutes is not None for n in self.near):
            self.network_needed(1.0)
        names = [n.name for n in self.near]
        if len(set(names)) != len(names):
            raise ValueError(f"input 'near': names must differ, got {names}")
        given = (self.min_area_ha, self.max_area_ha, self.uses, self.statuses)
        if not self.near and all(v is None for v in given):
            raise ValueError("give at least one constraint (area, use, status or near)")
        return self


def run_site_search(inputs: SiteSearchInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.site_search.site_search`."""
    from geoservice.analysis.site_search import Proximity, site_search

    sites = ctx.features("sites", inputs.sites)
    if sites is None or sites.empty:
        raise InvalidParameter("input 'sites': the layer (or filter) selects no site")
    proximity = []
    for i, near in enumerate(inputs.near):
        targets = ctx.features(f"near[{i}].layer", near.layer)
        if targets is None or targets.empty:
            raise InvalidParameter(f"input 'near' ({near.name}): the layer selects no feature")
        label = near.label or near.name
        limits = {"max_distance_m": near.max_distance_m, "max_minutes": near.max_minutes}
        proximity.append(Proximity(near.name, targets, label=label, **limits))
    needs_network = any(p.by_time for p in proximity)
    network = network_of(inputs, ctx, start=10, end=30) if needs_network else None
    ctx.report(40, "measuring the sites against the constraints")
    result = site_search(
        sites,
        min_area_ha=inputs.min_area_ha,
        max_area_ha=inputs.max_area_ha,
        uses=inputs.uses,
        statuses=inputs.statuses,
        proximity=proximity,
        network=network,
        area_col=inputs.area_column,
        use_col=inputs.use_column,
        status_col=inputs.status_column,
        crs=ctx.metric_crs,
        max_snap_m=inputs.max_snap_m,
    )
    return {
        "sites": LayerOutput(
            result.sites,
            text("Site search results", "选址查询结果"),
            "Every candidate ranked (rank 1 = best): meets_all, n_met, and per constraint "
            "its measured value, limit, margin and whether it is met",
            primary=True,
        ),
        "summary": result.summary,
    }


class MatchParkInputs(NetworkInputs):
    """Inputs of ``match_park``."""

    shipments: FeatureInput = Field(
        description="Origin points with a goods category and a tonnage (uploaded or inline)"
    )
    parks: FeatureInput = Field(
        description="Parks or zones keyed by park_key (default: the logistics_zones layer)",
    )
    functions: dict[str, list[str]] | None = Field(
        None,
        description="Goods category → park keys handling it. Default: the Dongsheng plan's "
        "assignment to logistics_zones (seed 000 l.231): daily_necessities → LZ-E, agri_food "
        "→ LZ-W, building_materials and general_merchandise → LZ-S, express_ecommerce → LZ-N, "
        "automotive and mining_supplies → LZ-T",
    )
    goods_column: str = Field("goods", description="Goods category column of shipments")
    tonnage_column: str | None = Field("tonnage", description="Tonnage column of shipments")
    park_key: str = Field("code", description="Key column of parks")
    park_name_column: str | None = Field("name_zh", description="Name column of parks")
    profile: Literal["walk", "drive"] = Field("drive", description="drive (default): road speeds")
    max_snap_m: float = Field(
        2000.0, gt=0, description="Farther from a road, an origin or park is off the network"
    )


def run_match_park(inputs: MatchParkInputs, ctx: ProcessContext) -> dict:
    """Run :func:`~geoservice.analysis.park_match.match_parks`."""
    from geoservice.analysis.park_match import DONGSHENG_FUNCTIONS, match_parks

    shipments = ctx.features("shipments", inputs.shipments)
    parks = ctx.features("parks", inputs.parks)
    if shipments is None or shipments.empty:
        raise InvalidParameter("input 'shipments': no shipment given")
    network = network_of(inputs, ctx, start=10, end=30)
    ctx.report(40, "matching shipments to parks")
    result = match_parks(
        shipments,
        parks,
        functions=inputs.functions if inputs.functions is not None else DONGSHENG_FUNCTIONS,
        goods_col=inputs.goods_column,
        tonnage_col=inputs.tonnage_column,
        park_key=inputs.park_key,
        park_name_col=inputs.park_name_column,
        network=network,
        crs=ctx.metric_crs,
        max_snap_m=inputs.max_snap_m,
    )
    return {
        "shipments": LayerOutput(
            result.shipments,
            text("Shipments matched to parks", "货物与园区匹配结果"),
            "Each shipment with its park, whether the park handles its goods, the time or "
            "distance, and the reasons",
            primary=True,
        ),
        "links": LayerOutput(
            result.links,
            text("Shipment → park links", "货物—园区连线"),
            "A straight line from each origin to its park (a drawing aid, not the route)",
        ),
        "summary": result.summary,
    }


PROCESSES = [
    Process(
        id="site_search",
        title="Site search (idle land and buildings)",
        title_zh="闲置土地楼宇选址查询",
        description="Rank candidate sites against constraints on area, use, status and "
        "straight-line distance or travel time over roads to any layer's features; each "
        "site says which constraints it meets and by how much.",
        inputs=SiteSearchInputs,
        outputs={
            "sites": OutputSpec("Ranked sites", "Result collection"),
            "summary": OutputSpec("Summary", "Counts and the constraints as given", "json"),
        },
        run=run_site_search,
        keywords=("site search", "industry map", "产业地图", "招商"),
    ),
    Process(
        id="match_park",
        title="Match shipments to logistics parks",
        title_zh="货物与物流园区匹配",
        description="For each shipment (origin, goods category, tonnage) choose the park "
        "that handles its goods (the plan's assignment by default) and is quickest to reach "
        "by road (straight line without roads), with the reasons.",
        inputs=MatchParkInputs,
        outputs={
            "shipments": OutputSpec("Shipments with their park", "Result collection"),
            "links": OutputSpec("Origin → park lines", "Result collection"),
            "summary": OutputSpec("Summary", "Counts and tonnage per park", "json"),
        },
        run=run_match_park,
        keywords=("logistics", "supply chain e-map", "供应链电子地图", "物流"),
    ),
]
