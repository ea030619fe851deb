"""Facility siting end to end: area inputs → candidates → sparse problem → model → outputs.

The Python API behind ``shequ site``: :func:`compute_siting` runs in memory and
:func:`write_siting_outputs` writes ``shequ.gpkg`` (candidates, proposed sites, homes, service
areas and the network exactly as solved), ``site_summary.csv``, ``site_curve.csv``,
``rejects.csv`` and ``map.html``. Homes, network and attachments are the living-circle audit's
(:mod:`shequ.jobs.inputs`), so "covered" here means the same walk as there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from shequ.analyses.coverage_models import LSCP, MCLP, SitingError, coverage_curve
from shequ.analyses.greedy_siting import GreedyLSCP, GreedyMCLP
from shequ.analyses.isochrones import facility_isochrones
from shequ.analyses.pmedian import PMedian
from shequ.analyses.siting_problem import SitingProblem, build_problem
from shequ.analyses.siting_result import Headline, SitingResult, status_note
from shequ.errors import InputError
from shequ.geo.basemap import Basemap
from shequ.geo.candidates import (
    candidates_along_streets,
    candidates_from_layer,
    candidates_from_osm,
    combine_candidates,
    exclusion_features,
    exclusion_reasons,
)
from shequ.geo.checks import Warning_
from shequ.geo.completeness import Completeness
from shequ.geo.facilities import facilities_from_osm
from shequ.geo.network import WalkNetwork
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.study_area import StudyArea
from shequ.i18n import Note
from shequ.jobs.inputs import (
    AreaInputs,
    InputOptions,
    Progress,
    area_completeness,
    attach,
    layer_checks,
    load_inputs,
    network_layers,
    no_progress,
    no_street_reason,
    read_user_points,
    reject_unattached,
    require_homes,
)
from shequ.machine import check_fits
from shequ.profile import FacilityKind, Profile
from shequ.siting_profile import SitingSpec, siting_spec

MODELS = ("mclp", "lscp", "pmedian")
DEFAULT_CURVE_MAX = 50
UNITS = {"mclp": "unit.covered_weight", "lscp": "unit.new_sites", "pmedian": "unit.walk_minutes"}


@dataclass(frozen=True)
class SiteOptions(InputOptions):
    """Inputs of a siting run (every flag of ``shequ site``).

    The area fields (``osm``, ``homes``, ``facilities``, ``profile``, ``crs``, ``metric``,
    ``osm_facilities``, ``population_rasters``, ``raster_column``) are those of
    :class:`~shequ.jobs.inputs.InputOptions`; ``kinds`` is ignored (the run loads ``kind``).

    Parameters
    ----------
    kind : str
        The facility kind to site (a profile kind id, e.g. ``canteen``, ``childcare``).
    model : {"mclp", "pmedian", "lscp"}, default "mclp"
        The model used with ``p``: maximal cover or p-median; ``cover_all`` implies set cover
        and ``budget`` maximal cover.
    p : int, optional
        Number of new sites (≥ 1). Give exactly one of ``p``, ``cover_all`` and ``budget``.
    cover_all : bool, default False
        The fewest new sites covering every coverable home (set cover).
    budget : float, optional
        Total cost of the new sites (> 0); candidates need a ``cost``.
    candidates : list of Path
        Candidate site files (points; optional ``cost`` and ``capacity`` columns).
    osm_candidates : bool, default True
        Add the profile's OSM candidates (parking, vacant land, community buildings).
    street_candidates : bool, default False
        Add a candidate every ``spacing_m`` metres along the walk network.
    spacing_m : float, optional
        Street candidate spacing in metres (≥ 1; default: the profile's).
    capacitated : bool, default False
        Respect site capacities (candidates without one are excluded).
    max_walk_min : float, optional
        p-median only: every home must be assigned within this walk (minutes, > 0).
    curve_max : int, optional
        The coverage curve runs p = 1 … ``curve_max`` (0 = no curve; default: the plan's p,
        at least 10, at most 50).
    time_limit_s : float, default 600
        HiGHS time limit per solve (seconds, > 0).
    mip_gap : float, default 0
        Relative gap at which HiGHS stops, from 0 to below 1.
    heuristic : bool, default False
        Greedy with a proven bound instead of the exact MILP (uncapacitated MCLP and LSCP).
    """

    kind: str = ""
    model: str = "mclp"  # mclp | pmedian with p; lscp with cover_all
    p: int | None = None
    cover_all: bool = False
    budget: float | None = None
    candidates: list[Path] = field(default_factory=list)
    osm_candidates: bool = True
    street_candidates: bool = False
    spacing_m: float | None = None  # street candidate spacing (default: profile)
    capacitated: bool = False
    max_walk_min: float | None = None  # p-median hard limit
    curve_max: int | None = None  # p = 1 … curve_max (0 = no curve)
    time_limit_s: float = 600.0
    mip_gap: float = 0.0
    heuristic: bool = False  # greedy with a proven bound instead of the exact MILP


@dataclass
class SiteResult:
    """Everything a siting run computed, in memory (:func:`write_siting_outputs` writes it).

    Attributes
    ----------
    profile : Profile
        The profile the run used.
    kind : FacilityKind
        The facility kind sited.
    spec : SitingSpec
        The kind's siting settings (demand column and factor, capacity, exclusion rule).
    network : WalkNetwork
        The walk network exactly as solved (with the attachment nodes).
    homes : GeoDataFrame
        Homes with ``demand_<kind>``, ``served_by`` (site id, -1 none), ``served_share``,
        ``served_within_share`` (the share served within the walk threshold),
        ``walk_min_after``, ``covered_before_<kind>``, ``covered_after_<kind>`` (served in
        full) and ``unserved_reason`` ("" when served; else a :class:`~shequ.i18n.Note`).
    sites : GeoDataFrame
        Existing facilities then candidates: ``site_id``, ``existing``, ``excluded`` ("" when
        usable; else the reason, a note or the exclusion rule's text), ``chosen``,
        ``capacity_used``, ``cost``, ``capacity``, ``node_id``, ``access_m`` ….
    proposed : GeoDataFrame
        The chosen new sites in rank order with ``rank`` and ``marginal_weight``.
    service_areas : GeoDataFrame
        Walk-area polygons of every open site (``site_id``, ``existing``, ``minutes``).
    problem : SitingProblem
        The sparse problem the model solved (its sites are the usable rows of ``sites``).
    result : SitingResult
        The fitted model's result.
    curve : DataFrame
        The coverage curve: ``p``, ``covered_weight``, ``covered_share``, ``bound``, ``gap``,
        ``status``, ``seconds`` (p = 0: existing sites only).
    summary : DataFrame
        One row: model, kind, objective, bound, gap, status, coverage before/after, the
        headline figures (:class:`~shequ.analyses.siting_result.Headline`: ``demand_served``
        and its share, ``homes_fully_served``, ``homes_partly_served``, ``places_filled`` of
        ``places_total`` under capacities), timings. ``covered_after`` is the demand served
        (under capacities partial service counts; a home may be split over sites).
    rejects : DataFrame
        Input rows that were left out, with their reasons.
    warnings : list of Warning_
        Input warnings (points outside the area, a likely coordinate-system mix-up …).
    notes : list of str
        Notes for the user (:class:`~shequ.i18n.Note`), the model's message last.
    study_area : StudyArea, optional
        The run's study area: candidates outside it are excluded.
    """

    profile: Profile
    kind: FacilityKind
    spec: SitingSpec
    network: WalkNetwork
    homes: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame  # existing + candidates, with excluded reasons
    proposed: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    problem: SitingProblem
    result: SitingResult
    curve: pd.DataFrame
    summary: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[Warning_]
    notes: list[str]
    study_area: StudyArea | None = None
    input_files: list[dict] = field(default_factory=list)
    completeness: Completeness | None = None
    basemap: Basemap | None = None  # drawn under the map (geo/basemap.py)


def _positive(value: float | None, flag: str) -> None:
    if value is not None and not (isinstance(value, int | float) and 0 < value < np.inf):
        raise InputError(Note("e.site_positive", flag=flag, value=repr(value)))


def _whole(value: int | None, flag: str, least: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer)):
        raise InputError(Note("e.site_whole", flag=flag, value=repr(value)))
    if value is not None and value < least:
        raise InputError(Note("e.site_at_least", flag=flag, least=least, value=value))


def _check_numbers(opts: SiteOptions) -> None:
    """Numeric options in range, before any file is read (the CLI checks them while parsing)."""
    _whole(opts.p, "--p", 1)
    _whole(opts.curve_max, "--curve", 0)
    _positive(opts.budget, "--budget")
    _positive(opts.max_walk_min, "--max-walk")
    _positive(opts.time_limit_s, "--time-limit")
    _positive(opts.spacing_m, "--spacing")
    if not (isinstance(opts.mip_gap, int | float) and 0 <= opts.mip_gap < 1):
        raise InputError(Note("e.site_gap", value=repr(opts.mip_gap)))


def _check_options(opts: SiteOptions) -> str:
    if not opts.kind:
        raise InputError(Note("e.site_no_kind"))
    chosen = [opts.p is not None, opts.cover_all, opts.budget is not None]
    if sum(chosen) != 1:
        raise InputError(Note("e.site_one_goal"))
    if opts.model not in MODELS:
        raise InputError(Note("e.site_model", models=", ".join(MODELS), value=repr(opts.model)))
    _check_numbers(opts)
    if opts.cover_all:
        return "lscp"
    if opts.budget is not None:
        if opts.model == "pmedian":
            raise InputError(Note("e.site_budget_model"))
        return "mclp"
    if opts.model == "lscp":
        raise InputError(Note("e.site_lscp_p"))
    return opts.model


def compute_siting(opts: SiteOptions, progress: Progress = no_progress) -> SiteResult:
    """Run the siting job in memory: inputs → candidates → sparse problem → model → tables.

    The options are checked before any file is read; homes, network and attachments are the
    living-circle audit's (:func:`~shequ.jobs.inputs.load_inputs`), so "covered" means the same
    door-to-door walk. Existing facilities of the kind are open and free; candidates are
    excluded (with the reason) when they are off the street network, break the kind's
    exclusion rule, or lack the cost (``budget``) or capacity (``capacitated``) the run needs.
    ``opts`` is not changed.

    Parameters
    ----------
    opts : SiteOptions
        The run's inputs and model settings.
    progress : callable, optional
        ``progress(step_key, total)`` returns an ``update(n)`` callable (the CLI's progress
        bars); by default nothing is shown.

    Returns
    -------
    SiteResult
        Homes, sites, proposed sites, service areas, the problem, the model's result, the
        coverage curve, the summary row, rejects, warnings and notes.

    Raises
    ------
    InputError
        For bad options, unreadable or unusable inputs, no usable candidate, ``p`` above the
        usable candidates, or a model that cannot be posed on the data (its message names
        the parameter).

    Examples
    --------
    >>> from pathlib import Path
    >>> opts = SiteOptions(osm=Path("nanjing_xinjiekou_small.osm"), kind="canteen", p=3)
    >>> result = compute_siting(opts)  # doctest: +SKIP
    >>> result.summary.loc[0, ["model", "p", "status"]].tolist()  # doctest: +SKIP
    ['mclp', 3, 'optimal']
    """
    model_name = _check_options(opts)
    area = load_inputs(replace(opts, kinds=[opts.kind]), progress)  # caller's opts untouched
    require_homes(area.homes, opts)  # no homes: every share would be 0 % of nothing
    profile = area.profile
    kind = profile.kind(opts.kind)
    spec = siting_spec(profile, kind.id)
    speed = profile.speed(kind)
    radius_m = kind.max_walk_min * speed * 60.0

    step = progress("step.candidates", 1)
    candidates = _candidates(opts, area, spec)
    step(1)
    existing = area.facilities
    sites = _sites_table(existing, candidates, spec, area)
    net, (homes, sites) = attach(area.network, [area.homes, sites], profile.max_access_m)
    existing_far = sites["existing"].to_numpy() & (sites["node_id"].to_numpy() < 0)
    if existing_far.any():
        reject_unattached(
            sites[existing_far].assign(kind=kind.id),
            "facilities",
            kind.id,
            area.rejects,
            profile.max_access_m,
        )
        sites = sites[~existing_far].reset_index(drop=True)
        sites["site_id"] = np.arange(len(sites), dtype=np.int64)
    far = (sites["node_id"].to_numpy() < 0) & (sites["excluded"] == "").to_numpy()
    if far.any():  # inside the study area, "no street within N m" without the outside guess
        reasons = no_street_reason(sites[far], profile.max_access_m)
        sites.loc[far, "excluded"] = pd.Series(list(reasons), index=sites.index[far], dtype=object)
    _exclude_unpriced(sites, opts)
    _check_candidates(sites, opts)

    homes = homes.reset_index(drop=True)
    weight = _demand(homes, spec)
    usable = (sites["excluded"] == "").to_numpy()
    site_idx = np.flatnonzero(usable)  # problem site k = sites row site_idx[k]
    sub = sites.iloc[site_idx]
    search_m = radius_m
    if model_name == "pmedian":
        search_m = radius_m * spec.pmedian_search_factor
        if opts.max_walk_min is not None:
            search_m = max(search_m, opts.max_walk_min * speed * 60.0)
    step = progress("step.problem", len(site_idx))
    problem = build_problem(
        net.csr,
        kind=kind.id,
        radius_m=radius_m,
        speed_mps=speed,
        client_node=homes["node_id"].to_numpy(),
        client_access_m=np.nan_to_num(homes["access_m"].to_numpy(dtype=float)),
        weight=weight,
        site_node=sub["node_id"].to_numpy(),
        site_access_m=sub["access_m"].to_numpy(dtype=float),
        site_fixed=sub["existing"].to_numpy(dtype=bool),
        site_cost=sub["cost"].to_numpy(dtype=float),
        site_capacity=sub["capacity"].to_numpy(dtype=float),
        search_m=search_m,
        progress=step,
    )
    step = progress("step.solve", 1)
    result = _solve(model_name, opts, problem)
    step(1)
    curve = _curve(opts, problem, result, progress)
    homes = _home_columns(homes, kind.id, weight, problem, result, site_idx, sites)
    sites, proposed = _site_columns(sites, site_idx, problem, result)
    open_rows = sites[sites["existing"] | sites["chosen"]]
    service_areas = _service_areas(net, kind, speed, open_rows, profile)
    summary = _summary(model_name, kind, speed, problem, result, sites, opts)
    completeness = area_completeness(area, area.homes, area.facilities, [kind.id])
    notes = list(area.notes)
    if result.message:
        notes.append(result.message)
    if result.capacitated:  # the terminal's own line says "covered"; this says what is filled
        notes.append(headline_note(result.headline))
    return SiteResult(
        profile=profile,
        kind=kind,
        spec=spec,
        network=net,
        homes=homes,
        sites=sites,
        proposed=proposed,
        service_areas=service_areas,
        problem=problem,
        result=result,
        curve=curve,
        summary=summary,
        rejects=area.rejects.frame(),
        warnings=area.warnings,
        notes=notes,
        study_area=area.study_area,
        input_files=area.files,
        completeness=completeness,
        basemap=area.basemap,
    )


def _candidates(opts: SiteOptions, area: AreaInputs, spec: SitingSpec) -> gpd.GeoDataFrame:
    parts = []
    for path in opts.candidates:
        layer = read_user_points(path, opts.crs, area.rejects, "candidates", area.notes, area.files)
        part = candidates_from_layer(layer, area.crs, area.rejects)
        if part.empty:
            raise InputError(Note("e.site_candidate_file_empty"), path=path)
        area.warnings.extend(layer_checks(layer, area.network))
        parts.append(part)
    if opts.osm_candidates:
        parts.append(candidates_from_osm(area.osm, area.crs, list(spec.osm_candidates)))
    if opts.street_candidates:
        spacing = spec.candidate_spacing_m if opts.spacing_m is None else opts.spacing_m
        _check_spacing(spacing, area.network)
        parts.append(candidates_along_streets(area.network, spacing))
    candidates = combine_candidates(parts, area.crs)
    if candidates.empty:
        raise InputError(Note("e.site_no_candidates"))
    return candidates


# Peak memory per street candidate: 2.4 KB measured on the Beijing extract (site --p 3, spacing
# 100 → 5 m: 478 → 11,420 candidates, +26 MB), doubled for the service areas and the map.
BYTES_PER_STREET_CANDIDATE = 5_000
MIN_SPACING_M = 1.0  # finer than any site can be placed: a charging shed is metres wide


def _check_spacing(spacing: float, network: WalkNetwork) -> None:
    """Refuse a street-candidate spacing that is not positive, below a metre, or too many."""
    if not (np.isfinite(spacing) and spacing >= MIN_SPACING_M):
        raise InputError(Note("e.site_spacing", least=f"{MIN_SPACING_M:g}", value=repr(spacing)))
    streets_m = float(shapely.length(network.edge_geoms).sum())
    check_fits(
        f"--spacing {spacing:g}",
        streets_m / spacing,
        BYTES_PER_STREET_CANDIDATE,
        Note("site.street_candidates"),
        Note("site.larger_spacing", km=f"{streets_m / 1000:,.1f}"),
    )


def _inside_study_area(candidates: gpd.GeoDataFrame, study: StudyArea) -> gpd.GeoDataFrame:
    """The candidates less the street points outside the study area.

    Points placed along the streets are the program's, and an extract's streets run past its
    bounds (a motorway to the next district): those outside are not sites of this study and
    are not listed. A user's or OSM candidate outside stays, excluded with its reason.
    """
    xy = np.column_stack([candidates.geometry.x, candidates.geometry.y])
    generated_outside = (candidates["origin"] == "street").to_numpy() & ~study.contains(xy)
    return candidates[~generated_outside].reset_index(drop=True)


def _sites_table(
    existing: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, spec: SitingSpec, area: AreaInputs
) -> gpd.GeoDataFrame:
    """Existing facilities (always open) then candidates; exclusions recorded per candidate."""
    ex_cap = (
        pd.to_numeric(existing["capacity"], errors="coerce").to_numpy(dtype=float)
        if "capacity" in existing.columns
        else np.full(len(existing), np.nan)
    )
    old = gpd.GeoDataFrame(
        {
            "name": existing["name"].to_numpy(),
            "origin": "existing",
            "source": existing["source"].to_numpy(),
            "source_ref": existing["source_ref"].to_numpy(),
            "cost": 0.0,
            "capacity": ex_cap,
            "existing": True,
            "excluded": "",
        },
        geometry=existing.geometry.to_numpy(),
        crs=area.crs,
    )
    new = _inside_study_area(candidates, area.study_area)
    new["existing"] = False
    new["excluded"] = ""
    outside = ~area.study_area.contains(np.column_stack([new.geometry.x, new.geometry.y]))
    if spec.exclusion is not None:
        rule = spec.exclusion
        near_kinds = [area.profile.kind(k) for k in rule.kinds]
        extra = facilities_from_osm(area.osm, area.crs, near_kinds) if near_kinds else None
        feats = exclusion_features(area.osm, area.crs, list(rule.osm), extra)
        reasons = exclusion_reasons(new, feats, rule.within_m, rule.rule)
        new["excluded"] = pd.Series([r or "" for r in reasons], index=new.index, dtype=object)
    new["excluded"] = new["excluded"].astype(object)
    new.loc[outside, "excluded"] = Note("excluded.outside_area")
    sites = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs=area.crs)
    sites["excluded"] = sites["excluded"].astype(object)  # reasons are notes: keep the objects
    for column in TEXT_COLUMNS:
        if column in sites.columns and not _numbers(sites[column]):
            sites[column] = _text_or_none(sites[column])
    if spec.capacity_per_site is not None:
        sites["capacity"] = sites["capacity"].fillna(spec.capacity_per_site)
    sites.insert(0, "site_id", np.arange(len(sites), dtype=np.int64))
    return sites


TEXT_COLUMNS = ("name", "source", "source_ref")
"""Site columns holding text from the data: a missing value stays missing (NULL), never "nan"."""


def _text_or_none(values: pd.Series) -> pd.Series:
    """Text values as they are, missing ones (NaN, None, pd.NA, blank) as None.

    The GeoPackage writer turns every object value into text, so a NaN name (most OSM
    parking lots have none) would reach the file as the word "nan"; None is written as NULL
    and the map shows "no name".
    """
    cleaned = [None if _missing_text(v) else v for v in values.tolist()]
    return pd.Series(cleaned, index=values.index, dtype=object)


def _numbers(values: pd.Series) -> bool:
    """A numeric column with some value (ids read as numbers stay numbers in the files)."""
    return pd.api.types.is_numeric_dtype(values) and bool(values.notna().any())


def _missing_text(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return not np.isfinite(value)
    return isinstance(value, str) and not value.strip()


def headline_note(figures: Headline) -> Note:
    """The capacitated headline as a note (the terminal prints it, ``run.json`` keeps it):
    places filled, demand served and homes fully and partly served, as in ``site_summary.csv``.

    Parameters
    ----------
    figures : Headline
        The result's headline figures.

    Returns
    -------
    Note
        ``site.headline_capacitated``, numbers rounded for display only.
    """
    filled_share = figures.places_filled_share
    served_share = figures.demand_served_share
    return Note(
        "site.headline_capacitated",
        filled=figures.places_filled,
        places=figures.places_total,
        filled_share=filled_share if np.isfinite(filled_share) else 0.0,
        served=figures.demand_served,
        total=figures.demand_total,
        served_share=served_share if np.isfinite(served_share) else 0.0,
        full=figures.homes_fully_served,
        homes=figures.homes_with_demand,
        partly=figures.homes_partly_served,
    )


def _exclude_unpriced(sites: gpd.GeoDataFrame, opts: SiteOptions) -> None:
    """A budget needs every candidate's cost, a capacitated model its capacity: candidates
    without one are excluded, with the reason, rather than stopping the whole run."""
    needs = [("cost", opts.budget is not None, "excluded.no_cost")]
    needs.append(("capacity", opts.capacitated, "excluded.no_capacity"))
    for column, needed, reason in needs:
        if not needed:
            continue
        value = pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype=float)
        open_ = (~sites["existing"].to_numpy(dtype=bool)) & (sites["excluded"] == "").to_numpy()
        missing = open_ & ~np.isfinite(value)
        sites.loc[missing, "excluded"] = Note(reason)


def _check_candidates(sites: gpd.GeoDataFrame, opts: SiteOptions) -> None:
    cand = sites[~sites["existing"]]
    usable = int((cand["excluded"] == "").sum())
    if usable == 0:
        why = _reason_counts(cand["excluded"].tolist())
        raise InputError(Note("e.site_none_usable", n=len(cand), why=why))
    if opts.p is not None and opts.p > usable:
        raise InputError(
            Note("e.site_p_too_large", p=opts.p, usable=usable, excluded=len(cand) - usable)
        )


def _reason_counts(reasons: list[str], top: int = 3) -> Note:
    """The ``top`` most frequent reasons with their counts, "n × reason; …", as one note.

    A reason that is a note renders in the user's language; one from data (an exclusion
    rule's text) is quoted as such in Chinese.
    """
    first: dict[str, str] = {}
    for reason in reasons:
        first.setdefault(str(reason), reason)
    counts = pd.Series([str(r) for r in reasons], dtype=object).value_counts().head(top)
    parts = [
        Note(
            "site.reason_count" if isinstance(first[text], Note) else "site.reason_count_data",
            n=int(n),
            reason=first[text],
        )
        for text, n in counts.items()
    ]
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = Note("site.reasons", head=part, tail=joined)
    return joined


def _demand(homes: gpd.GeoDataFrame, spec: SitingSpec) -> np.ndarray:
    if spec.demand not in homes.columns:
        raise InputError(Note("e.site_demand_column", column=repr(spec.demand), kind=spec.kind))
    values = pd.to_numeric(homes[spec.demand], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(values, nan=0.0) * spec.factor


def _solve(model_name: str, opts: SiteOptions, problem: SitingProblem) -> SitingResult:
    common = {"time_limit_s": opts.time_limit_s, "mip_gap": opts.mip_gap}
    try:
        if opts.heuristic:
            return _heuristic(model_name, opts, problem)
        if model_name == "lscp":
            model = LSCP(capacitated=opts.capacitated, **common)
        elif model_name == "pmedian":
            model = PMedian(
                opts.p, max_walk_min=opts.max_walk_min, capacitated=opts.capacitated, **common
            )
        else:
            model = MCLP(opts.p, budget=opts.budget, capacitated=opts.capacitated, **common)
        return model.fit(problem).result_
    except SitingError as exc:
        raise InputError(exc.message) from None


def _heuristic(model_name: str, opts: SiteOptions, problem: SitingProblem) -> SitingResult:
    if opts.capacitated or opts.budget is not None or model_name == "pmedian":
        raise InputError(Note("e.site_heuristic"))
    if model_name == "lscp":
        return GreedyLSCP(time_limit_s=opts.time_limit_s).fit(problem).result_
    return GreedyMCLP(opts.p).fit(problem).result_


def _curve(
    opts: SiteOptions, problem: SitingProblem, result: SitingResult, progress: Progress
) -> pd.DataFrame:
    n_free = int((~problem.site_fixed).sum())
    default = min(max(result.p, 10), DEFAULT_CURVE_MAX)
    max_p = min(opts.curve_max if opts.curve_max is not None else default, n_free)
    columns = ["p", "covered_weight", "covered_share", "bound", "gap", "status", "seconds"]
    total = float(problem.weight.sum())
    base = float(problem.weight[problem.covered_by(problem.site_fixed)].sum())
    rows = [[0, base, base / total if total else np.nan, base, 0.0, status_note("existing"), 0.0]]
    if max_p >= 1:
        step = progress("step.curve", max_p)
        for k, res in enumerate(
            coverage_curve(problem, max_p, time_limit_s=opts.time_limit_s, progress=step), 1
        ):
            share = res.objective / total if total else np.nan
            rows.append(
                [k, res.objective, share, res.bound, res.gap, res.status, res.seconds["solve"]]
            )
    curve = pd.DataFrame(rows, columns=columns)
    curve["status"] = pd.Series([row[5] for row in rows], dtype=object)  # notes: keep them
    return curve


def _home_columns(
    homes: gpd.GeoDataFrame,
    kind_id: str,
    weight: np.ndarray,
    problem: SitingProblem,
    result: SitingResult,
    site_idx: np.ndarray,
    sites: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    homes = homes.copy()
    site_ids = sites["site_id"].to_numpy()
    served = result.served_by
    homes[f"demand_{kind_id}"] = weight
    homes["served_by"] = np.where(served >= 0, site_ids[site_idx[np.maximum(served, 0)]], -1)
    homes["served_share"] = result.served_share
    homes["served_within_share"] = result.served_within  # Σ demand × this = demand served
    homes["walk_min_after"] = np.where(
        np.isfinite(result.served_m), result.served_m / problem.speed_mps / 60.0, np.nan
    )
    homes[f"covered_before_{kind_id}"] = result.covered_before
    homes[f"covered_after_{kind_id}"] = result.covered_after
    homes["unserved_reason"] = pd.Series(
        [r or "" for r in result.unserved_reason], index=homes.index, dtype=object
    )  # notes: English in the GeoPackage, the map's language on the map
    return homes


def _site_columns(
    sites: gpd.GeoDataFrame, site_idx: np.ndarray, problem: SitingProblem, result: SitingResult
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    sites = sites.copy()
    n = len(sites)
    chosen = np.zeros(n, dtype=bool)
    chosen[site_idx[result.new_sites]] = True
    load = np.zeros(n)
    load[site_idx] = result.site_load
    rank = np.zeros(n, dtype=np.int64)
    rank[site_idx[result.new_sites]] = np.arange(1, len(result.new_sites) + 1)
    marginal = np.zeros(n)
    marginal[site_idx[result.new_sites]] = result.marginal_weight
    sites["chosen"] = chosen
    sites["capacity_used"] = load
    proposed = sites.iloc[site_idx[result.new_sites]].copy()
    proposed["rank"] = rank[site_idx[result.new_sites]]
    proposed["marginal_weight"] = marginal[site_idx[result.new_sites]]
    cols = ["site_id", "rank", "marginal_weight", "capacity_used", "capacity", "name", "origin"]
    cols += ["source", "source_ref", "cost", "node_id", "access_m", "geometry"]
    proposed = gpd.GeoDataFrame(proposed[cols].reset_index(drop=True), crs=sites.crs)
    return sites, proposed


def _service_areas(
    net: WalkNetwork,
    kind: FacilityKind,
    speed: float,
    open_rows: gpd.GeoDataFrame,
    profile: Profile,
) -> gpd.GeoDataFrame:
    if open_rows.empty:
        return gpd.GeoDataFrame(
            {"site_id": [], "existing": [], "minutes": []},
            geometry=gpd.GeoSeries([], crs=net.crs),
            crs=net.crs,
        )
    areas = facility_isochrones(
        net,
        kind.id,
        speed,
        open_rows["site_id"].to_numpy(),
        open_rows["node_id"].to_numpy(),
        open_rows["access_m"].to_numpy(dtype=float),
        np.column_stack([open_rows.geometry.x, open_rows.geometry.y]),
        [kind.max_walk_min],
        profile.isochrone_buffer_m,
    )
    areas = areas.rename(columns={"facility_id": "site_id"})
    existing = dict(zip(open_rows["site_id"], open_rows["existing"], strict=True))
    areas["existing"] = areas["site_id"].map(existing).astype(bool)
    return gpd.GeoDataFrame(areas[["site_id", "existing", "minutes", "geometry"]], crs=net.crs)


def _summary(
    model_name: str,
    kind: FacilityKind,
    speed: float,
    problem: SitingProblem,
    result: SitingResult,
    sites: gpd.GeoDataFrame,
    opts: SiteOptions,
) -> pd.DataFrame:
    w = problem.weight
    total = float(w.sum())
    before = float(w[result.covered_before].sum())
    figures = result.headline
    after = figures.demand_served  # partial service counted: the same for every model
    cand = sites[~sites["existing"]]
    row = {
        "model": result.model,
        "kind": kind.id,
        "threshold_min": kind.max_walk_min,
        "walker": kind.walker,
        "speed_mps": speed,
        "p": result.p,
        "p_requested": opts.p if opts.p is not None else "",
        "budget": opts.budget if opts.budget is not None else "",
        "objective": result.objective,
        "objective_unit": Note(UNITS[model_name]),
        "bound": result.bound,
        "gap": result.gap,
        "status": result.status,
        "solver": result.solver,
        "build_s": result.seconds.get("build", 0.0),
        "model_s": result.seconds.get("model", 0.0),
        "solve_s": result.seconds.get("solve", 0.0),
        "homes": problem.n_clients,
        "existing_sites": int(sites["existing"].sum()),
        "candidates": len(cand),
        "candidates_excluded": int((cand["excluded"] != "").sum()),
        "demand_total": total,
        "covered_before": before,
        "covered_after": after,
        "covered_share_before": before / total if total else np.nan,
        "covered_share_after": after / total if total else np.nan,
        **figures.as_row(),
        "homes_unserved": figures.homes_unserved,
        "cost_of_new_sites": float(np.nansum(problem.site_cost[result.new_sites])),
        "message": result.message,
    }
    summary = pd.DataFrame([row])
    for column in ("objective_unit", "status", "message"):  # notes: keep the objects
        summary[column] = pd.Series([row[column]], dtype=object)
    return summary


def write_siting_outputs(
    result: SiteResult, out_dir: str | Path, *, lang: str = "en", with_map: bool = True
) -> dict[str, Path]:
    """Write ``shequ.gpkg``, ``site_summary.csv``, ``site_curve.csv``, ``rejects.csv``, map.

    All or nothing: ``out_dir`` is replaced as a whole (see
    :func:`shequ.geo.output_folder.output_folder`). Returns the paths in ``out_dir``.
    """
    out = Path(out_dir)
    net = result.network
    layers = {
        "candidates": plain_layer(result.sites),
        "proposed_sites": plain_layer(result.proposed),
        "homes": plain_layer(result.homes),
        "service_areas": plain_layer(result.service_areas),
        **network_layers(net),
    }
    run = {
        "crs": net.crs.to_string(),
        "profile": result.profile.source,
        "kind": result.kind.id,
        "demand": {"column": result.spec.demand, "factor": result.spec.factor},
        "capacity_per_site": result.spec.capacity_per_site,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "pairs": len(result.problem.pair_m),
    }
    tables = {
        "summary": ("site_summary.csv", result.summary),
        "curve": ("site_curve.csv", result.curve),
    }
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "site", result, layers=layers, tables=tables, run=run, page=page)


def _write_map(result: SiteResult, lang: str, path: Path) -> Path:
    from shequ.maps import build_siting_map, write_map
    from shequ.maps.basemap import add_basemap, datum_for
    from shequ.maps.features import map_datum

    homes = result.homes.rename(
        columns={
            f"demand_{result.kind.id}": "demand",
            f"covered_before_{result.kind.id}": "covered_before",
            f"covered_after_{result.kind.id}": "covered_after",
        }
    )
    kind = {
        "id": result.kind.id,
        "zh": result.kind.zh,
        "en": result.kind.en,
        "threshold_min": result.kind.max_walk_min,
    }
    with map_datum(datum_for(result.basemap)):
        fmap = build_siting_map(
            homes,
            result.sites,
            result.proposed,
            result.service_areas,
            result.curve,
            kind,
            result.result.model,
            lang=lang,
            completeness=result.completeness.to_json() if result.completeness else None,
            headline=result.summary.iloc[0].to_dict(),
        )
    add_basemap(fmap, result.basemap, lang)
    return write_map(fmap, path)
