"""Typed settings of the profile's ``grid``, ``risk`` and ``completeness`` sections.

:mod:`shequ.profile_schema` checks a profile's forms and ranges (pydantic); this module turns the
checked sections into plain frozen dataclasses with the bare values (no ``{value, src}``
wrappers), so a job reads ``profile.grid.tolerance`` instead of digging in the raw YAML. Sources
and confidence stay in ``Profile.raw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shequ.profile_schema import Completeness, Grid, PoiCategories, Risk


@dataclass(frozen=True)
class GridSettings:
    """Management grids (``shequ grids``), from the profile's ``grid`` section.

    Attributes
    ----------
    households_per_grid : float
        Target households per grid (> 0).
    tolerance : float
        Allowed deviation from the target, a share in [0, 1).
    split_block_above_share, building_group_share : float
        Shares of the target: street-block pieces above the first are divided along paths;
        building groups hold at most the second.
    zones_crossed_by : tuple of str
        Border classes that make a ``landuse=residential`` polygon a zone, not one compound.
    border_cost : dict
        Cost per metre of each border class the profile names (the planner's defaults fill the
        classes it does not name).
    workload_weights : dict
        Households-equivalents of one key person (``elderly_alone``, ``disabled``,
        ``mental_illness``, ``rented``): a homes file with such counts gets
        ``workload = households + Σ weight × count``, and grids balance on it.
    code_pattern : str
        Grid code pattern over ``admin``, ``jiedao``, ``community`` and ``seq``.
    code_admin, code_jiedao : int
        The administrative and 街道 parts of the code.
    """

    households_per_grid: float
    tolerance: float
    split_block_above_share: float
    building_group_share: float
    zones_crossed_by: tuple[str, ...]
    border_cost: dict[str, float] = field(hash=False)
    workload_weights: dict[str, float] = field(hash=False)
    code_pattern: str
    code_admin: int
    code_jiedao: int

    @classmethod
    def from_schema(cls, grid: Grid) -> GridSettings:
        """The settings of a validated ``grid`` section."""
        return cls(
            households_per_grid=float(grid.households_per_grid.value),
            tolerance=float(grid.tolerance.value),
            split_block_above_share=float(grid.split_block_above_share.value),
            building_group_share=float(grid.building_group_share.value),
            zones_crossed_by=tuple(grid.zones_crossed_by.values),
            border_cost={k: float(v) for k, v in grid.border_cost.values.items()},
            workload_weights={k: float(v) for k, v in grid.workload_weights.values.items()},
            code_pattern=str(grid.code.pattern),
            code_admin=int(grid.code.admin),
            code_jiedao=int(grid.code.jiedao),
        )


@dataclass(frozen=True)
class RiskSettings:
    """Risk hotspots (``shequ hotspots``), from the profile's ``risk`` section.

    Attributes
    ----------
    min_incidents : int
        Fewest incidents the local statistics are computed for.
    weights_rings : int
        H3 neighbour rings of the spatial weights.
    weights_distance_m : float or None
        A distance band between cell centres instead of rings; None: rings.
    permutations : int
        Conditional permutations of the pseudo p-values.
    fdr_alpha : float
        False-discovery-rate level.
    time_slices : int
        Equal time slices of the Mann-Kendall trend.
    factor_weights : dict
        Weight of each factor of the composite risk index.
    level_scheme : str
        Warning-level scheme (``four_level``).
    top_share : dict
        Share of cells given ``red``, ``orange`` and ``yellow``.
    osm_features : dict
        Distance factor column -> OSM tag alternatives of the features measured to.
    distance_cap_m : float
        Distance factors saturate at this many metres (farther is out of reach).
    """

    min_incidents: int
    weights_rings: int
    weights_distance_m: float | None
    permutations: int
    fdr_alpha: float
    time_slices: int
    factor_weights: dict[str, float] = field(hash=False)
    level_scheme: str
    top_share: dict[str, float] = field(hash=False)
    osm_features: dict[str, list[dict[str, Any]]] = field(hash=False)
    distance_cap_m: float = 3000.0

    @classmethod
    def from_schema(cls, risk: Risk) -> RiskSettings:
        """The settings of a validated ``risk`` section."""
        distance = risk.weights_distance_m
        shares = risk.levels.top_share
        return cls(
            min_incidents=int(risk.min_incidents.value),
            weights_rings=int(risk.weights_rings.value),
            weights_distance_m=None if distance is None else float(distance.value),
            permutations=int(risk.permutations.value),
            fdr_alpha=float(risk.fdr_alpha.value),
            time_slices=int(risk.time_slices.value),
            factor_weights={k: float(v) for k, v in risk.factor_weights.values.items()},
            level_scheme=str(risk.levels.scheme),
            top_share={"red": shares.red, "orange": shares.orange, "yellow": shares.yellow},
            osm_features={k: [dict(m) for m in v] for k, v in risk.osm_features.items()},
            distance_cap_m=float(risk.distance_cap_m.value),
        )


@dataclass(frozen=True)
class CompletenessSettings:
    """Data completeness checks (``shequ access``), from the profile's ``completeness`` section.

    Attributes
    ----------
    households_per_ha : float
        Households per ha that residential land with no building mapped inside would hold: what
        the run says is missing from the audit there.
    min_households_per_km2 : float
        Households per km² of built residential land below which the run notes that buildings
        or storeys are probably missing from the data.
    min_levels_tagged_share : float
        Share of residential buildings with ``building:levels``/``height`` below which the run
        notes that household estimates rest on the profile's default storeys.
    """

    households_per_ha: float
    min_households_per_km2: float
    min_levels_tagged_share: float

    @classmethod
    def from_schema(cls, completeness: Completeness) -> CompletenessSettings:
        """The settings of a validated ``completeness`` section."""
        return cls(
            households_per_ha=float(completeness.households_per_ha.value),
            min_households_per_km2=float(completeness.min_households_per_km2.value),
            min_levels_tagged_share=float(completeness.min_levels_tagged_share.value),
        )


@dataclass(frozen=True)
class PoiCategoryTable:
    """Categories of Amap (高德) and Baidu (百度) POI exports → facility kinds (``poi_categories``).

    An Amap ``type`` is one or more category paths (``科教文化服务;学校;幼儿园``), joined by
    ``|`` when a POI has several; a Baidu ``tag`` is one path (``教育培训;幼儿园``). The first
    path with a category of the table decides: an excluded category (animal hospitals,
    training schools) makes the POI no facility of any kind; a kind's category makes it of
    that kind. Categories are compared whole (宠物诊所 is not 诊所).

    Attributes
    ----------
    kinds : dict
        Kind id → the categories (path segments) of that kind.
    exclude : tuple of str
        Categories that are no facility of any kind.
    """

    kinds: dict[str, tuple[str, ...]] = field(hash=False)
    exclude: tuple[str, ...]
    by_category: dict[str, str] = field(init=False, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # category -> kind, built once (classify runs for every distinct path of a file)
        lookup = {c: k for k, cats in self.kinds.items() for c in cats}
        object.__setattr__(self, "by_category", lookup)

    @classmethod
    def from_schema(cls, table: PoiCategories) -> PoiCategoryTable:
        """The table of a validated ``poi_categories`` section."""
        return cls(
            kinds={k: tuple(v) for k, v in table.kinds.items()}, exclude=tuple(table.exclude)
        )

    def classify(self, value: str) -> tuple[str | None, str | None]:
        """``(kind, None)``, ``(None, excluded category)`` or ``(None, None)`` (not listed)."""
        for path in str(value).split("|"):
            segments = [s.strip() for s in path.split(";") if s.strip()]
            for segment in segments:
                if segment in self.exclude:
                    return None, segment
            for segment in reversed(segments):  # the finest category first
                if segment in self.by_category:
                    return self.by_category[segment], None
        return None, None
