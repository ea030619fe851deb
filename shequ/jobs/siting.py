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
from shequ.analyses.siting_result import SitingResult
from shequ.errors import InputError
from shequ.geo.candidates import (
    candidates_along_streets,
    candidates_from_layer,
    candidates_from_osm,
    combine_candidates,
    exclusion_features,
    exclusion_reasons,
)
from shequ.geo.checks import Warning_
from shequ.geo.facilities import facilities_from_osm
from shequ.geo.network import WalkNetwork
from shequ.geo.output_folder import write_outputs
from shequ.geo.outputs import plain_layer
from shequ.geo.points_file import read_points_file
from shequ.jobs.inputs import (
    AreaInputs,
    InputOptions,
    Progress,
    attach,
    layer_checks,
    load_inputs,
    network_layers,
    no_progress,
    reject_unattached,
)
from shequ.machine import check_fits
from shequ.profile import FacilityKind, Profile
from shequ.siting_profile import SitingSpec, siting_spec

MODELS = ("mclp", "lscp", "pmedian")
DEFAULT_CURVE_MAX = 50
UNATTACHED = "no walkable street within {m:g} m (outside the study area?)"


@dataclass
class SiteOptions(InputOptions):
    """Inputs of a siting run (every flag of ``shequ site``)."""

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


def _positive(value: float | None, flag: str) -> None:
    if value is not None and not (isinstance(value, int | float) and 0 < value < np.inf):
        raise InputError(f"{flag} must be a positive number, got {value!r}")


def _whole(value: int | None, flag: str, least: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer)):
        raise InputError(f"{flag} must be a whole number, got {value!r}")
    if value is not None and value < least:
        raise InputError(f"{flag} must be at least {least}, got {value}")


def _check_numbers(opts: SiteOptions) -> None:
    """Numeric options in range, before any file is read (the CLI checks them while parsing)."""
    _whole(opts.p, "--p", 1)
    _whole(opts.curve_max, "--curve", 0)
    _positive(opts.budget, "--budget")
    _positive(opts.max_walk_min, "--max-walk")
    _positive(opts.time_limit_s, "--time-limit")
    _positive(opts.spacing_m, "--spacing")
    if not (isinstance(opts.mip_gap, int | float) and 0 <= opts.mip_gap < 1):
        raise InputError(f"--gap must be a share from 0 to below 1, got {opts.mip_gap!r}")


def _check_options(opts: SiteOptions) -> str:
    if not opts.kind:
        raise InputError("give the facility kind to site (--kind)")
    chosen = [opts.p is not None, opts.cover_all, opts.budget is not None]
    if sum(chosen) != 1:
        raise InputError("give exactly one of --p N, --cover-all or --budget B")
    if opts.model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, got {opts.model!r}")
    _check_numbers(opts)
    if opts.cover_all:
        return "lscp"
    if opts.budget is not None:
        if opts.model == "pmedian":
            raise InputError("--budget works with maximal cover (--model mclp)")
        return "mclp"
    if opts.model == "lscp":
        raise InputError("set cover chooses its own number of sites: use --cover-all, not --p")
    return opts.model


def compute_siting(opts: SiteOptions, progress: Progress = no_progress) -> SiteResult:
    """Run the siting job in memory."""
    model_name = _check_options(opts)
    area = load_inputs(replace(opts, kinds=[opts.kind]), progress)  # caller's opts untouched
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
    sites.loc[far, "excluded"] = UNATTACHED.format(m=profile.max_access_m)
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
    notes = list(area.notes)
    if result.message:
        notes.append(result.message)
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
    )


def _candidates(opts: SiteOptions, area: AreaInputs, spec: SitingSpec) -> gpd.GeoDataFrame:
    parts = []
    for path in opts.candidates:
        layer = read_points_file(path, opts.crs, area.rejects, layer="candidates")
        part = candidates_from_layer(layer, area.crs, area.rejects)
        if part.empty:
            raise InputError("the candidate file has no usable rows (see rejects)", path=path)
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
        raise InputError(
            "no candidate sites: give --candidates FILE, or use OSM candidates (parking, "
            "vacant land, community buildings) or --street-candidates"
        )
    return candidates


# Peak memory per street candidate: 2.4 KB measured on the Beijing extract (site --p 3, spacing
# 100 → 5 m: 478 → 11,420 candidates, +26 MB), doubled for the service areas and the map.
BYTES_PER_STREET_CANDIDATE = 5_000
MIN_SPACING_M = 1.0  # finer than any site can be placed: a charging shed is metres wide


def _check_spacing(spacing: float, network: WalkNetwork) -> None:
    """Refuse a street-candidate spacing that is not positive, below a metre, or too many."""
    if not (np.isfinite(spacing) and spacing >= MIN_SPACING_M):
        raise InputError(
            f"--spacing must be at least {MIN_SPACING_M:g} m (a site is metres wide), "
            f"got {spacing!r}"
        )
    streets_m = float(shapely.length(network.edge_geoms).sum())
    check_fits(
        f"--spacing {spacing:g}",
        streets_m / spacing,
        BYTES_PER_STREET_CANDIDATE,
        "street candidates",
        f"use a larger --spacing (streets: {streets_m / 1000:,.1f} km)",
    )


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
    new = candidates.copy()
    new["existing"] = False
    new["excluded"] = ""
    if spec.exclusion is not None:
        rule = spec.exclusion
        near_kinds = [area.profile.kind(k) for k in rule.kinds]
        extra = facilities_from_osm(area.osm, area.crs, near_kinds) if near_kinds else None
        feats = exclusion_features(area.osm, area.crs, list(rule.osm), extra)
        reasons = exclusion_reasons(new, feats, rule.within_m, rule.rule)
        new["excluded"] = [r or "" for r in reasons]
    sites = gpd.GeoDataFrame(pd.concat([old, new], ignore_index=True), crs=area.crs)
    if spec.capacity_per_site is not None:
        sites["capacity"] = sites["capacity"].fillna(spec.capacity_per_site)
    sites.insert(0, "site_id", np.arange(len(sites), dtype=np.int64))
    return sites


def _exclude_unpriced(sites: gpd.GeoDataFrame, opts: SiteOptions) -> None:
    """A budget needs every candidate's cost, a capacitated model its capacity: candidates
    without one are excluded, with the reason, rather than stopping the whole run."""
    needs = [("cost", opts.budget is not None, "--budget")]
    needs.append(("capacity", opts.capacitated, "--capacitated"))
    for column, needed, flag in needs:
        if not needed:
            continue
        value = pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype=float)
        open_ = (~sites["existing"].to_numpy(dtype=bool)) & (sites["excluded"] == "").to_numpy()
        missing = open_ & ~np.isfinite(value)
        sites.loc[missing, "excluded"] = f"no {column} given ({flag} needs one per candidate)"


def _check_candidates(sites: gpd.GeoDataFrame, opts: SiteOptions) -> None:
    cand = sites[~sites["existing"]]
    usable = int((cand["excluded"] == "").sum())
    if usable == 0:
        top = cand["excluded"].value_counts().head(3)
        why = "; ".join(f"{n} × {r}" for r, n in top.items())
        raise InputError(f"none of the {len(cand)} candidate sites is usable ({why})")
    if opts.p is not None and opts.p > usable:
        raise InputError(
            f"--p {opts.p} is larger than the {usable} usable candidate sites "
            f"({len(cand) - usable} excluded)"
        )


def _demand(homes: gpd.GeoDataFrame, spec: SitingSpec) -> np.ndarray:
    if spec.demand not in homes.columns:
        raise InputError(f"homes have no {spec.demand!r} column for {spec.kind} demand")
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
        raise InputError(str(exc)) from None


def _heuristic(model_name: str, opts: SiteOptions, problem: SitingProblem) -> SitingResult:
    if opts.capacitated or opts.budget is not None or model_name == "pmedian":
        raise InputError(
            "--heuristic covers uncapacitated maximal cover (--p) and set cover (--cover-all); "
            "for the others use the exact model with --time-limit (it reports its gap)"
        )
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
    rows = [[0, base, base / total if total else np.nan, base, 0.0, "existing", 0.0]]
    if max_p >= 1:
        step = progress("step.curve", max_p)
        for k, res in enumerate(
            coverage_curve(problem, max_p, time_limit_s=opts.time_limit_s, progress=step), 1
        ):
            share = res.objective / total if total else np.nan
            rows.append(
                [k, res.objective, share, res.bound, res.gap, res.status, res.seconds["solve"]]
            )
    return pd.DataFrame(rows, columns=columns)


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
    homes["walk_min_after"] = np.where(
        np.isfinite(result.served_m), result.served_m / problem.speed_mps / 60.0, np.nan
    )
    homes[f"covered_before_{kind_id}"] = result.covered_before
    homes[f"covered_after_{kind_id}"] = result.covered_after
    homes["unserved_reason"] = [r or "" for r in result.unserved_reason]
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
    after = float(w[result.covered_after].sum())
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
        "objective_unit": "weighted walk minutes"
        if model_name == "pmedian"
        else ("new sites" if model_name == "lscp" else "covered demand weight"),
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
        "homes_unserved": int(((~result.covered_after) & (w > 0)).sum()),
        "cost_of_new_sites": float(np.nansum(problem.site_cost[result.new_sites])),
        "message": result.message,
    }
    return pd.DataFrame([row])


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
        "notes": result.notes,
        "warnings": [{"key": w.key, **w.params} for w in result.warnings],
    }
    tables = {
        "summary": ("site_summary.csv", result.summary),
        "curve": ("site_curve.csv", result.curve),
        "rejects": ("rejects.csv", result.rejects),
    }
    page = partial(_write_map, result, lang) if with_map else None
    return write_outputs(out, "site", layers=layers, tables=tables, run=run, page=page)


def _write_map(result: SiteResult, lang: str, path: Path) -> Path:
    from shequ.maps import build_siting_map, write_map

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
    fmap = build_siting_map(
        homes,
        result.sites,
        result.proposed,
        result.service_areas,
        result.curve,
        kind,
        result.result.model,
        lang=lang,
    )
    return write_map(fmap, path)
