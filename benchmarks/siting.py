"""Benchmark: kindergarten siting on central Shanghai, against spopt (PuLP + CBC).

What is measured, and why
-------------------------
Siting asks "where should the next kindergartens go?" over every home of a district and a few
thousand candidate sites. shequ keeps the walk relation sparse (one bounded search per site,
pairs within reach only) and hands HiGHS a reduced model as arrays; spopt, the reference Python
library for location models, takes a dense clients x sites cost matrix and states the model as
PuLP expressions solved by CBC. This script solves the same instances with both, in the same run,
and compares time at equal objective.

Inputs (from ``../shared`` next to the repository, or ``$SHEQU_SHARED``):

- ``data/osm/shanghai_center_roads_large.osm``, walk network as in ``benchmarks/access.py``;
- clients: every OSM node of the walkable ways (as ``access.py``'s demand points), weight 1 each,
  keeping those that attach to the network (within 300 m);
- existing sites: the Amap kindergartens (``data/poi/shanghai_amap/kindergarten.csv``, WGS-84)
  inside the network's extent that attach to it; always open, not counted in ``p``;
- candidates: ``candidates_along_streets`` at the largest spacing (300 m, then 25 m steps down)
  giving at least 2,000 points.

Clients, existing sites and candidates are attached in one ``attach_points`` call (each splits
its edge), so node ids are those of one network. Kind ``kindergarten`` of the default profile:
5 min at 1.0 m/s, a 300 m door-to-door radius for set cover (LSCP) and maximal cover (MCLP);
p-median pairs are searched to 3 x the radius (900 m).

Models: LSCP; MCLP at p = 10 and p = 50; p-median at p = 10 (new sites; spopt's p counts the
existing ones too, so it gets p + existing and ``predefined_facilities_arr``); the MCLP curve
p = 1 ... 50 (``coverage_curve``: one model, re-solved per p).

Instances:

- ``full``: the whole extract. spopt runs here for the models given by ``--spopt-full``
  (default: the three coverage models, several minutes each for PuLP to build). The dense
  p-median (one binary PuLP variable per client x site, about 40 million) does not fit in memory
  and is not run at full size by default;
- ``sample``: a deterministic square window at the extract's centre holding the
  ``--sample-clients`` clients nearest the centre (Chebyshev), with every site inside the window.
  Both tools run all four models on it.

Comparability: for LSCP spopt only gets clients some site can cover (otherwise its model is
infeasible; shequ leaves such clients out by itself). p-median clients are those within 900 m of
an existing kindergarten, so an open site is always within the search distance and shequ's
slack (pricing a client without one at 900 m) is never used: both sides then solve the same
problem, pairs beyond 900 m being absent for shequ and 1e6 m for spopt.

End to end: shequ = ``build_problem`` (bounded searches) + ``fit`` (reduction, HiGHS, result
with assignment and ranks); spopt = its dense door-to-door cost matrix from the same attached
network (``scipy.sparse.csgraph.dijkstra`` from every distinct site node on the same CSR graph,
bounded at the search distance, plus both access distances) + ``from_cost_matrix`` +
``solve(PULP_CBC_CMD(msg=False, timeLimit=...))`` with its result arrays. Reading, network and
attachment are shared and excluded from both. Every CBC run has a time limit (``--time-limit``)
and reports whether it was hit.

Memory: a first pass under tracemalloc (shequ stages on both instances and spopt's model build
on the sample) gives peak MB per stage; seconds come from a second, untraced pass. tracemalloc
does not see HiGHS or CBC memory; the process max RSS covers HiGHS (CBC runs in a subprocess
and is not measured).

Aims (issue 3): >= 10x faster than spopt end to end at equal objective; MCLP curve p = 1 ... 50
in under a minute.

Run: ``python benchmarks/siting.py`` (one JSON object on stdout, progress on stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pulp
import pyproj
import scipy
from common import MB, Meter, emit, machine, max_rss_mb, package_version, shared_dir
from scipy.sparse import csgraph

import shequ
from shequ.analyses.coverage_models import LSCP, MCLP, coverage_curve
from shequ.analyses.pmedian import PMedian
from shequ.analyses.shortest_paths import nearest_source
from shequ.analyses.siting_problem import SitingProblem, build_problem
from shequ.geo.candidates import candidates_along_streets
from shequ.geo.coords import metric_crs
from shequ.geo.network import WalkNetwork, build_walk_network
from shequ.geo.osm_file import OsmData, read_osm
from shequ.geo.points_file import read_points_file
from shequ.geo.snapping import attach_points
from shequ.geo.walk_filter import is_walkable
from shequ.profile import load_profile
from shequ.rejects import Rejects

OSM_FILE = Path("data/osm/shanghai_center_roads_large.osm")
KINDERGARTEN_FILE = Path("data/poi/shanghai_amap/kindergarten.csv")
KIND = "kindergarten"
MAX_ACCESS_M = 300.0
SPACING_START_M = 300.0  # candidate spacing tried first, then SPACING_STEP_M closer each time
SPACING_STEP_M = 25.0
MIN_CANDIDATES = 2000
PMEDIAN_SEARCH_FACTOR = 3.0
MCLP_P = (10, 50)
PMEDIAN_P = 10
CURVE_MAX_P = 50
BIG_M = 1e6  # spopt's p-median cost for a pair beyond the search distance (metres)
DIJKSTRA_BATCH = 256
MODELS = ("lscp", "mclp_10", "mclp_50", "pmedian_10")
SPOPT_FULL_DEFAULT = "lscp,mclp_10,mclp_50"
OBJECTIVE_TOL = 1e-6  # relative
AIM_RATIO = 10.0
AIM_CURVE_S = 60.0

log = logging.getLogger("benchmarks.siting")


# --------------------------------------------------------------------------- measuring


# --------------------------------------------------------------------------- instance


@dataclass
class Instance:
    """Clients and sites on one attached network (sites: existing first, then candidates)."""

    net: WalkNetwork
    client_xy: np.ndarray
    client_node: np.ndarray
    client_access_m: np.ndarray
    site_xy: np.ndarray
    site_node: np.ndarray
    site_access_m: np.ndarray
    site_fixed: np.ndarray
    counts: dict[str, Any]

    @property
    def n_clients(self) -> int:
        return len(self.client_node)

    @property
    def n_sites(self) -> int:
        return len(self.site_node)

    def subset(self, clients: np.ndarray, sites: np.ndarray, counts: dict[str, Any]) -> Instance:
        return Instance(
            self.net,
            self.client_xy[clients],
            self.client_node[clients],
            self.client_access_m[clients],
            self.site_xy[sites],
            self.site_node[sites],
            self.site_access_m[sites],
            self.site_fixed[sites],
            counts,
        )


def demand_points(osm: OsmData, crs: pyproj.CRS) -> np.ndarray:
    """Every OSM node of the walkable ways, once, projected (as ``benchmarks/access.py``)."""
    ways = [w for w in osm.highways if is_walkable(w.tags)]
    ids = np.concatenate([w.node_ids for w in ways])
    lonlat = np.concatenate([w.lonlat for w in ways])
    _, first = np.unique(ids, return_index=True)
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(lonlat[first, 0], lonlat[first, 1])
    return np.column_stack([x, y])


def kindergartens(path: Path, crs: pyproj.CRS, net: WalkNetwork) -> tuple[np.ndarray, dict]:
    """Metric xy of the CSV rows inside the network's extent, with counts."""
    rejects = Rejects()
    layer = read_points_file(path, "wgs84", rejects, layer="facilities")
    geom = layer.frame.geometry.to_crs(crs)
    xy = np.column_stack([geom.x, geom.y]).reshape(-1, 2)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    inside = ((xy >= lo) & (xy <= hi)).all(axis=1)
    counts = {
        "rows_read": len(layer.frame),
        "rows_rejected": len(rejects.rows),
        "inside_extent": int(inside.sum()),
    }
    return xy[inside], counts


def street_candidates(
    net: WalkNetwork, min_count: int, spacing_m: float | None
) -> tuple[np.ndarray, float]:
    """Candidate xy along the streets: ``spacing_m``, else the largest spacing (300 m, then 25 m
    closer each step) giving at least ``min_count`` points."""
    spacing = SPACING_START_M if spacing_m is None else spacing_m
    while True:
        cand = candidates_along_streets(net, spacing)
        if spacing_m is not None or len(cand) >= min_count or spacing <= SPACING_STEP_M:
            break
        spacing -= SPACING_STEP_M
    xy = np.column_stack([cand.geometry.x, cand.geometry.y]).reshape(-1, 2)
    return xy, spacing


def load_instance(shared: Path, min_candidates: int, spacing_m: float | None) -> Instance:
    """Read, build the network, place clients, kindergartens and candidates, attach all at once."""
    log.info("instance: reading %s", OSM_FILE)
    osm = read_osm(shared / OSM_FILE)
    crs = metric_crs(*osm.bounds)
    net = build_walk_network(osm, crs)
    n_nodes, n_edges = net.n_nodes, net.n_edges
    demand_xy = demand_points(osm, crs)
    kg_xy, kg_counts = kindergartens(shared / KINDERGARTEN_FILE, crs, net)
    cand_xy, spacing = street_candidates(net, min_candidates, spacing_m)
    log.info(
        "instance: attaching %d demand points, %d kindergartens, %d candidates",
        len(demand_xy),
        len(kg_xy),
        len(cand_xy),
    )
    net, att = attach_points(net, np.vstack([demand_xy, kg_xy, cand_xy]), MAX_ACCESS_M)
    nd, nk = len(demand_xy), len(kg_xy)
    node, access = att.node_id, att.access_m
    client = np.flatnonzero(node[:nd] >= 0)
    existing = nd + np.flatnonzero(node[nd : nd + nk] >= 0)
    cand = nd + nk + np.flatnonzero(node[nd + nk :] >= 0)
    sites = np.r_[existing, cand]
    all_xy = np.vstack([demand_xy, kg_xy, cand_xy])
    counts = {
        "network_nodes": n_nodes,
        "network_edges": n_edges,
        "network_nodes_after_attach": net.n_nodes,
        "network_edges_after_attach": net.n_edges,
        "demand_points": nd,
        "clients": len(client),
        "clients_not_attached": nd - len(client),
        "kindergartens": kg_counts | {"attached": len(existing)},
        "candidate_spacing_m": spacing,
        "candidates_generated": len(cand_xy),
        "candidates": len(cand),
        "existing": len(existing),
        "sites": len(sites),
    }
    return Instance(
        net=net,
        client_xy=all_xy[client],
        client_node=node[client],
        client_access_m=access[client],
        site_xy=all_xy[sites],
        site_node=node[sites],
        site_access_m=access[sites],
        site_fixed=np.r_[np.ones(len(existing), bool), np.zeros(len(cand), bool)],
        counts=counts,
    )


def window(inst: Instance, n_clients: int) -> Instance:
    """The square at the clients' bounding-box centre holding the ``n_clients`` nearest clients
    (Chebyshev distance; ties kept), with every site inside it."""
    centre = (inst.client_xy.min(axis=0) + inst.client_xy.max(axis=0)) / 2.0
    cheb = np.abs(inst.client_xy - centre).max(axis=1)
    k = min(n_clients, inst.n_clients)
    half = float(np.sort(cheb)[k - 1])
    clients = np.flatnonzero(cheb <= half)
    sites = np.flatnonzero(np.abs(inst.site_xy - centre).max(axis=1) <= half)
    fixed = inst.site_fixed[sites]
    counts = {
        "window_side_m": 2.0 * half,
        "window_centre_xy": centre.tolist(),
        "clients": len(clients),
        "candidates": int((~fixed).sum()),
        "existing": int(fixed.sum()),
        "sites": len(sites),
    }
    return inst.subset(clients, sites, counts)


def pmedian_clients(inst: Instance, search_m: float) -> np.ndarray:
    """Clients with an existing site within ``search_m`` door to door (so no slack is needed)."""
    fixed = np.flatnonzero(inst.site_fixed)
    near = nearest_source(
        inst.net.csr, inst.site_node[fixed], inst.site_access_m[fixed], limit_m=search_m
    )
    door = near.distance_m[inst.client_node] + inst.client_access_m
    return np.flatnonzero(door <= search_m)


# --------------------------------------------------------------------------- shequ


@dataclass
class Setting:
    radius_m: float
    speed_mps: float
    search_m: float
    time_limit_s: float


def shequ_problem(
    inst: Instance, clients: np.ndarray | None, setting: Setting, search_m: float | None
) -> SitingProblem:
    sel = np.arange(inst.n_clients) if clients is None else clients
    return build_problem(
        inst.net.csr,
        kind=KIND,
        radius_m=setting.radius_m,
        speed_mps=setting.speed_mps,
        client_node=inst.client_node[sel],
        client_access_m=inst.client_access_m[sel],
        weight=np.ones(len(sel)),
        site_node=inst.site_node,
        site_access_m=inst.site_access_m,
        site_fixed=inst.site_fixed,
        search_m=search_m,
    )


def shequ_model(key: str, setting: Setting):
    limit = setting.time_limit_s
    if key == "lscp":
        return LSCP(time_limit_s=limit)
    if key.startswith("mclp_"):
        return MCLP(int(key.split("_")[1]), time_limit_s=limit)
    return PMedian(int(key.split("_")[1]), time_limit_s=limit)


def fresh(problem: SitingProblem) -> SitingProblem:
    """The same problem without its cached coverage matrix, so each model pays for its own."""
    return dataclasses.replace(problem, _coverage=None)


def run_shequ(
    inst: Instance, pm_clients: np.ndarray, setting: Setting, meter: Meter, prefix: str, curve: bool
) -> dict[str, Any]:
    """Problems, the four models and (``curve``) the MCLP curve, each a measured stage."""
    with meter.stage(f"{prefix}.build_coverage"):
        cov = shequ_problem(inst, None, setting, None)
    with meter.stage(f"{prefix}.build_pmedian"):
        pm = shequ_problem(inst, pm_clients, setting, setting.search_m)
    results = {}
    for key in MODELS:
        problem = fresh(pm if key.startswith("pmedian") else cov)
        with meter.stage(f"{prefix}.{key}"):
            results[key] = shequ_model(key, setting).fit(problem).result_
    out: dict[str, Any] = {"coverage_problem": cov, "pmedian_problem": pm, "results": results}
    if curve:
        with meter.stage(f"{prefix}.mclp_curve"):
            out["curve"] = coverage_curve(
                fresh(cov), CURVE_MAX_P, time_limit_s=setting.time_limit_s
            )
    return out


def shequ_summary(run: dict[str, Any], seconds: dict[str, float], prefix: str) -> dict[str, Any]:
    cov, pm = run["coverage_problem"], run["pmedian_problem"]
    build = {
        "coverage_seconds": seconds[f"{prefix}.build_coverage"],
        "pmedian_seconds": seconds[f"{prefix}.build_pmedian"],
        "coverage_pairs": len(cov.pair_m),
        "pmedian_pairs": len(pm.pair_m),
    }
    models = {}
    for key, res in run["results"].items():
        build_s = build["pmedian_seconds" if key.startswith("pmedian") else "coverage_seconds"]
        fit_s = seconds[f"{prefix}.{key}"]
        models[key] = {
            "build_seconds": build_s,
            "model_seconds": res.seconds.get("model"),
            "solve_seconds": res.seconds.get("solve"),
            "fit_seconds": fit_s,
            "end_to_end_seconds": build_s + fit_s,
            "objective": res.objective,
            "bound": res.bound,
            "gap": res.gap,
            "status": res.status,
            "new_sites": res.p,
            "message": res.message,
        }
    out: dict[str, Any] = {"build": build, "models": models}
    if "curve" in run:
        curve = run["curve"]
        total = seconds[f"{prefix}.mclp_curve"]
        out["mclp_curve"] = {
            "p": f"1..{len(curve)}",
            "seconds": total,
            "with_build_seconds": total + build["coverage_seconds"],
            "solve_seconds_sum": float(sum(r.seconds["solve"] for r in curve)),
            "all_optimal": all(r.status == "optimal" for r in curve),
            "not_optimal_p": [i + 1 for i, r in enumerate(curve) if r.status != "optimal"],
            "max_gap": float(max(r.gap for r in curve)),
            "objective": {str(p): curve[p - 1].objective for p in (1, *MCLP_P) if p <= len(curve)},
        }
    return out


# --------------------------------------------------------------------------- spopt


def peer_cost_matrix(
    inst: Instance, clients: np.ndarray, limit_m: float, absent: float
) -> np.ndarray:
    """Dense clients x sites door-to-door metres from scipy's Dijkstra on the same graph.

    One run from every distinct site node, bounded at ``limit_m`` (searching further could not
    change which pairs are within reach); pairs farther than ``limit_m`` get ``absent``.
    """
    csr = inst.net.csr
    c_node = inst.client_node[clients]
    c_access = inst.client_access_m[clients]
    uniq, inv = np.unique(inst.site_node, return_inverse=True)
    inv = np.asarray(inv).ravel()
    out = np.empty((len(clients), inst.n_sites))
    for start in range(0, len(uniq), DIJKSTRA_BATCH):
        stop = min(start + DIJKSTRA_BATCH, len(uniq))
        dist = csgraph.dijkstra(csr, directed=True, indices=uniq[start:stop], limit=limit_m)
        cols = np.flatnonzero((inv >= start) & (inv < stop))
        block = dist[inv[cols] - start][:, c_node].T
        block += c_access[:, None] + inst.site_access_m[cols][None, :]
        block[~(block <= limit_m)] = absent
        out[:, cols] = block
    return out


_SOL_STATUS = {
    pulp.LpSolutionOptimal: "optimal",
    pulp.LpSolutionIntegerFeasible: "time_limit",
    pulp.LpSolutionNoSolutionFound: "no_solution",
    pulp.LpSolutionInfeasible: "infeasible",
    pulp.LpSolutionUnbounded: "unbounded",
}


def run_spopt(
    key: str,
    cost: np.ndarray,
    fixed: np.ndarray,
    setting: Setting,
    meter: Meter | None = None,
    build_only: bool = False,
) -> dict[str, Any]:
    """spopt's model of ``key`` from the dense ``cost`` (clients x sites), built and solved.

    ``meter`` (traced) measures the build only. The objective is returned in shequ's units:
    new sites (LSCP), covered weight (MCLP), weight x minutes (p-median).
    """
    from spopt.locate import LSCP as SpLSCP
    from spopt.locate import MCLP as SpMCLP
    from spopt.locate import PMedian as SpPMedian

    n_fixed = int(fixed.sum())
    predefined = fixed.astype(np.int64)
    weight = np.ones(cost.shape[0])
    gc.collect()
    stage = meter.stage(f"spopt.{key}.build") if meter is not None else _null()
    start = time.perf_counter()
    with stage:
        if key == "lscp":
            model = SpLSCP.from_cost_matrix(cost, setting.radius_m, predefined)
        elif key.startswith("mclp_"):
            p = int(key.split("_")[1]) + n_fixed
            model = SpMCLP.from_cost_matrix(cost, weight, setting.radius_m, p, predefined)
        else:
            p = int(key.split("_")[1]) + n_fixed
            model = SpPMedian.from_cost_matrix(cost, weight, p, predefined)
    build_s = time.perf_counter() - start
    if build_only:
        return {"build_seconds": build_s}
    log.info("spopt %s: built in %.1f s, solving with CBC", key, build_s)
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=setting.time_limit_s)
    error = None
    start = time.perf_counter()
    try:
        model.solve(solver)
    except RuntimeError as exc:  # spopt raises when CBC returns no solution
        error = str(exc)
    solve_s = time.perf_counter() - start
    sol_status = model.problem.sol_status
    raw = pulp.value(model.problem.objective) if sol_status in (1, 2) else None
    objective = None
    if raw is not None:
        if key == "lscp":
            objective = raw - n_fixed
        elif key.startswith("mclp_"):
            objective = raw
        else:
            objective = raw / setting.speed_mps / 60.0
    out = {
        "clients": cost.shape[0],
        "sites": cost.shape[1],
        "build_seconds": build_s,
        "solve_seconds": solve_s,
        "pulp_cbc_seconds": getattr(model.problem, "solutionTime", None),
        "p_spopt": None if key == "lscp" else int(key.split("_")[1]) + n_fixed,
        "objective": objective,
        "objective_raw": raw,
        "status": _SOL_STATUS.get(sol_status, str(sol_status)),
        "time_limit_hit": sol_status == pulp.LpSolutionIntegerFeasible
        or solve_s >= 0.95 * setting.time_limit_s,
    }
    if error:
        out["error"] = error
    del model
    gc.collect()
    return out


@contextmanager
def _null() -> Iterator[None]:
    yield


def spopt_inputs(
    inst: Instance, pm_clients: np.ndarray, setting: Setting, need_pmedian: bool
) -> dict[str, Any]:
    """The two dense cost matrices spopt needs (coverage at the radius, p-median at the search
    distance), each timed, with the coverable rows for LSCP."""
    all_clients = np.arange(inst.n_clients)
    start = time.perf_counter()
    cov = peer_cost_matrix(inst, all_clients, setting.radius_m, np.inf)
    cov_s = time.perf_counter() - start
    coverable = np.flatnonzero((cov <= setting.radius_m).any(axis=1))
    out = {"coverage": cov, "coverage_seconds": cov_s, "coverable": coverable}
    if need_pmedian:
        start = time.perf_counter()
        out["pmedian"] = peer_cost_matrix(inst, pm_clients, setting.search_m, BIG_M)
        out["pmedian_seconds"] = time.perf_counter() - start
    return out


def pairs_check(problem: SitingProblem, dense: np.ndarray, limit_m: float) -> dict[str, Any]:
    """shequ's sparse pairs against the peer's dense matrix: same pairs, same metres?"""
    rows, cols = np.nonzero(dense <= limit_m)
    peer = dense[rows, cols]
    key_peer = rows.astype(np.int64) * dense.shape[1] + cols
    key_shequ = problem.pair_client * dense.shape[1] + problem.pair_site
    common, i_peer, i_shequ = np.intersect1d(key_peer, key_shequ, return_indices=True)
    diff = np.abs(peer[i_peer] - problem.pair_m[i_shequ])
    return {
        "pairs_shequ": len(key_shequ),
        "pairs_peer": len(key_peer),
        "pairs_common": len(common),
        "max_abs_diff_m": float(diff.max()) if len(diff) else 0.0,
    }


def compare(shequ_m: dict[str, Any], sp: dict[str, Any], matrix_s: float) -> dict[str, Any]:
    if "skipped" in sp:
        return {"skipped": sp["skipped"]}
    peer_total = matrix_s + sp["build_seconds"] + sp["solve_seconds"]
    ours = shequ_m["end_to_end_seconds"]
    ours_fit = shequ_m["fit_seconds"]
    obj, theirs = shequ_m["objective"], sp["objective"]
    diff = None if theirs is None else abs(obj - theirs)
    equal = diff is not None and diff <= OBJECTIVE_TOL * max(1.0, abs(obj))
    return {
        "spopt_end_to_end_seconds": peer_total,
        "shequ_end_to_end_seconds": ours,
        "ratio_end_to_end": peer_total / ours,
        "ratio_model_and_solve": (sp["build_seconds"] + sp["solve_seconds"]) / ours_fit,
        "objective_abs_diff": diff,
        "objective_equal": equal,
        "spopt_time_limit_hit": sp["time_limit_hit"],
    }


def skip_reason(key: str) -> str:
    if key.startswith("pmedian"):
        return (
            "not requested (--spopt-full): spopt's dense p-median holds one binary PuLP variable "
            "and one opening constraint per client x site"
        )
    return "not requested (--spopt-full)"


def spopt_pass(
    inst: Instance,
    pm_clients: np.ndarray,
    setting: Setting,
    keys: list[str],
    shequ_run: dict[str, Any],
) -> dict[str, Any]:
    """spopt for ``keys`` on one instance; the other models are reported as skipped."""
    if not keys:
        return {"models": {k: {"skipped": skip_reason(k)} for k in MODELS}}
    log.info("spopt: dense cost matrices (%d clients x %d sites)", inst.n_clients, inst.n_sites)
    mats = spopt_inputs(inst, pm_clients, setting, need_pmedian=True)
    checks = {
        "coverage": pairs_check(shequ_run["coverage_problem"], mats["coverage"], setting.radius_m),
        "pmedian": pairs_check(shequ_run["pmedian_problem"], mats["pmedian"], setting.search_m),
    }
    models: dict[str, Any] = {}
    for key in MODELS:
        if key not in keys:
            models[key] = {"skipped": skip_reason(key)}
            continue
        log.info("spopt: %s", key)
        if key == "lscp":
            cost, matrix_s = mats["coverage"][mats["coverable"]], mats["coverage_seconds"]
        elif key.startswith("mclp_"):
            cost, matrix_s = mats["coverage"], mats["coverage_seconds"]
        else:
            cost, matrix_s = mats["pmedian"], mats["pmedian_seconds"]
        models[key] = {"cost_matrix_seconds": matrix_s} | run_spopt(
            key, cost, inst.site_fixed, setting
        )
    return {
        "cost_matrix": {
            "coverage_seconds": mats["coverage_seconds"],
            "pmedian_seconds": mats.get("pmedian_seconds"),
            "coverable_clients": len(mats["coverable"]),
            "dense_mb": mats["coverage"].nbytes / MB,
        },
        "pairs_check": checks,
        "models": models,
    }


# --------------------------------------------------------------------------- report


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "shequ": getattr(shequ, "__version__", "?"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "highspy": package_version("highspy"),
        "spopt": package_version("spopt"),
        "pulp": pulp.__version__,
    }


def aim_ratio(cmp: dict[str, Any]) -> dict[str, Any]:
    if "skipped" in cmp:
        return {"value": None, "target": f">= {AIM_RATIO:g} at equal objective", "met": None}
    ratio = cmp["ratio_end_to_end"]
    return {
        "value": ratio,
        "objective_equal": cmp["objective_equal"],
        "target": f">= {AIM_RATIO:g} at equal objective",
        "met": bool(ratio >= AIM_RATIO and cmp["objective_equal"]),
    }


def curve_estimate(sp_full: dict[str, Any], curve: dict[str, Any]) -> dict[str, Any]:
    """spopt's MCLP curve, estimated from its two full MCLP runs (not measured)."""
    runs = [sp_full["models"].get(f"mclp_{p}", {}) for p in MCLP_P]
    if any("build_seconds" not in r or "solve_seconds" not in r for r in runs):
        return {"skipped": "needs spopt's full mclp_10 and mclp_50 runs (--spopt-full)"}
    n = CURVE_MAX_P
    build = float(np.mean([r["build_seconds"] for r in runs]))
    solve = float(np.mean([r["solve_seconds"] for r in runs]))
    est = runs[0]["cost_matrix_seconds"] + n * (build + solve)
    return {
        "spopt_estimated_seconds": est,
        "method": f"ESTIMATED: one cost matrix + {n} x (mean build + mean solve of spopt's full "
        f"MCLP runs at p = {MCLP_P[0]} and {MCLP_P[1]}); spopt rebuilds the model for every p",
        "shequ_with_build_seconds": curve["with_build_seconds"],
        "ratio_estimated": est / curve["with_build_seconds"],
    }


def memory_pass(
    full: Instance,
    sample: Instance,
    pm_full: np.ndarray,
    pm_sample: np.ndarray,
    setting: Setting,
) -> dict[str, float]:
    """Peak MB per stage under tracemalloc: shequ on both instances, spopt builds on the sample."""
    meter = Meter(traced=True)
    tracemalloc.start()
    try:
        run_shequ(full, pm_full, setting, meter, "full", curve=True)
        run_shequ(sample, pm_sample, setting, meter, "sample", curve=False)
        mats = spopt_inputs(sample, pm_sample, setting, need_pmedian=True)
        for key in MODELS:
            if key == "lscp":
                cost = mats["coverage"][mats["coverable"]]
            elif key.startswith("mclp_"):
                cost = mats["coverage"]
            else:
                cost = mats["pmedian"]
            run_spopt(key, cost, sample.site_fixed, setting, meter=meter, build_only=True)
    finally:
        tracemalloc.stop()
    return meter.values


def instance_counts(inst: Instance, run: dict[str, Any], pm_clients: np.ndarray) -> dict:
    cov = run["coverage_problem"]
    coverable = np.zeros(cov.n_clients, bool)
    coverable[cov.pair_client[cov.pair_m <= cov.radius_m]] = True
    return inst.counts | {
        "clients_coverable": int(coverable.sum()),
        "clients_covered_by_existing": int(cov.covered_by(cov.site_fixed).sum()),
        "pmedian_clients": len(pm_clients),
        "pairs_coverage": len(cov.pair_m),
        "pairs_pmedian": len(run["pmedian_problem"].pair_m),
        "dense_cells": inst.n_clients * inst.n_sites,
    }


def parse_models(text: str) -> list[str]:
    if text.strip() in ("", "none"):
        return []
    if text.strip() == "all":
        return list(MODELS)
    keys = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in keys if k not in MODELS]
    if bad:
        msg = f"unknown model(s) {bad}; choose from {', '.join(MODELS)}, 'all' or 'none'"
        raise SystemExit(msg)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spopt-full",
        default=SPOPT_FULL_DEFAULT,
        help=f"models spopt runs on the full instance (comma list of {', '.join(MODELS)}, "
        f"'all' or 'none'; default {SPOPT_FULL_DEFAULT})",
    )
    parser.add_argument(
        "--sample-clients", type=int, default=2000, help="clients in the central window sample"
    )
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds per CBC and per HiGHS solve"
    )
    parser.add_argument("--min-candidates", type=int, default=MIN_CANDIDATES)
    parser.add_argument("--spacing", type=float, default=None, help="candidate spacing, metres")
    parser.add_argument(
        "--no-memory-pass", action="store_true", help="skip the tracemalloc pass (faster)"
    )
    args = parser.parse_args(argv)
    full_keys = parse_models(args.spopt_full)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="[%(relativeCreated)7.0f ms] %(message)s"
    )

    shared = shared_dir()
    missing = [str(shared / p) for p in (OSM_FILE, KINDERGARTEN_FILE) if not (shared / p).is_file()]
    if missing:
        reason = (
            "shared data not found: " + ", ".join(missing) + " (set SHEQU_SHARED to the shared "
            "folder holding data/osm and data/poi, or place it at ../shared beside the repository)"
        )
        print(json.dumps({"skipped": reason}, indent=2))
        return 0

    profile = load_profile()
    kind = profile.kind(KIND)
    speed = profile.speed(kind)
    radius = kind.max_walk_min * 60.0 * speed
    setting = Setting(radius, speed, PMEDIAN_SEARCH_FACTOR * radius, args.time_limit)

    load_start = list(os.getloadavg())
    full = load_instance(shared, args.min_candidates, args.spacing)
    sample = window(full, args.sample_clients)
    need = max(*MCLP_P, PMEDIAN_P, CURVE_MAX_P)
    for name, inst in (("full", full), ("sample", sample)):
        if int((~inst.site_fixed).sum()) < need:
            parser.error(
                f"the {name} instance has {int((~inst.site_fixed).sum())} candidates, fewer than "
                f"p = {need}; raise --sample-clients or --min-candidates"
            )
    pm_full = pmedian_clients(full, setting.search_m)
    pm_sample = pmedian_clients(sample, setting.search_m)

    # Pass 1, traced: peak MB per stage. Pass 2, untraced: seconds; then spopt.
    peak_mb = {} if args.no_memory_pass else memory_pass(full, sample, pm_full, pm_sample, setting)
    gc.collect()
    timing = Meter(traced=False)
    run_full = run_shequ(full, pm_full, setting, timing, "full", curve=True)
    run_sample = run_shequ(sample, pm_sample, setting, timing, "sample", curve=False)
    rss_after_shequ = max_rss_mb()
    sp_sample = spopt_pass(sample, pm_sample, setting, list(MODELS), run_sample)
    rss_after_spopt_sample = max_rss_mb()
    sp_full = spopt_pass(full, pm_full, setting, full_keys, run_full)

    sections = {}
    for name, inst, run, pm, sp in (
        ("full", full, run_full, pm_full, sp_full),
        ("sample", sample, run_sample, pm_sample, sp_sample),
    ):
        ours = shequ_summary(run, timing.values, name)
        cmp = {}
        for key in MODELS:
            model_sp = sp["models"][key]
            matrix_s = model_sp.get("cost_matrix_seconds", 0.0)
            cmp[key] = compare(ours["models"][key], model_sp, matrix_s)
        sections[name] = {
            "instance": instance_counts(inst, run, pm),
            "shequ": ours,
            "spopt": sp,
            "comparison": cmp,
        }
    pm_full_sp = sp_full["models"]["pmedian_10"]
    if "skipped" in pm_full_sp and "spopt.pmedian_10.build" in peak_mb:
        per_cell = peak_mb["spopt.pmedian_10.build"] * MB / (len(pm_sample) * sample.n_sites)
        pm_full_sp["estimated_pulp_gb"] = per_cell * len(pm_full) * full.n_sites / MB / 1024.0
        pm_full_sp["estimate"] = (
            f"ESTIMATED from the sample's traced build: {per_cell:.0f} bytes of PuLP objects per "
            f"client x site cell, x {len(pm_full) * full.n_sites:,} cells"
        )
    pm_msgs = {n: sections[n]["shequ"]["models"]["pmedian_10"]["message"] for n in sections}
    curve = sections["full"]["shequ"]["mclp_curve"]
    sections["full"]["comparison"]["mclp_curve"] = curve_estimate(sp_full, curve)
    aims: dict[str, Any] = {}
    for name in sections:
        for key in MODELS:
            aims[f"{name}_{key}_10x_spopt"] = aim_ratio(sections[name]["comparison"][key])
    aims["mclp_curve_1_50_under_60s"] = {
        "value": curve["seconds"],
        "with_build_seconds": curve["with_build_seconds"],
        "all_optimal": curve["all_optimal"],
        "target": f"< {AIM_CURVE_S:g} s, every point optimal",
        "met": bool(curve["seconds"] < AIM_CURVE_S and curve["all_optimal"]),
    }

    report = {
        "benchmark": "benchmarks/siting.py",
        "data": {"shared": str(shared), "osm": str(OSM_FILE), "existing": str(KINDERGARTEN_FILE)},
        "profile": {
            "kind": KIND,
            "minutes": kind.max_walk_min,
            "speed_mps": speed,
            "radius_m": radius,
            "pmedian_search_m": setting.search_m,
            "client_weight": 1.0,
            "max_access_m": MAX_ACCESS_M,
            "time_limit_s": args.time_limit,
            "spopt_full_models": full_keys,
        },
        "full": sections["full"],
        "sample": sections["sample"],
        "pmedian_slack_used": {n: bool(m) for n, m in pm_msgs.items()},
        "aims": aims,
        "memory": {
            "peak_mb": peak_mb or None,
            "process_max_rss_mb_after_shequ": rss_after_shequ,
            "process_max_rss_mb_after_spopt_sample": rss_after_spopt_sample,
            "process_max_rss_mb": max_rss_mb(),
        },
        "machine": machine(load_start),
        "versions": versions(),
        "notes": NOTES,
    }
    return emit(report)


NOTES = [
    "End to end, shequ = build_problem (one bounded Dijkstra per distinct site position, pairs "
    "within reach only) + fit (reduction, HiGHS, assignment and ranking); spopt = dense cost "
    "matrix (scipy dijkstra from every distinct site node on the same CSR graph, bounded at the "
    "search distance, plus both access distances) + from_cost_matrix + solve with CBC and "
    "spopt's result arrays. Reading, network building and attachment are shared and excluded "
    "from both sides; the cost matrix time is counted in full for every spopt model.",
    "ratio_model_and_solve leaves the distances out of both sides: spopt build + solve over "
    "shequ fit (which still includes the reduction and the result).",
    "Each shequ model works on a copy of its problem without the cached coverage matrix, so "
    "every model pays for its own. The MCLP curve builds its model once and re-solves per p.",
    "LSCP: spopt gets only the clients some site can cover (its model is infeasible otherwise); "
    "shequ gets every client and leaves the uncoverable ones out itself. The objective is new "
    "sites: spopt's count minus the existing kindergartens it is forced to open.",
    "MCLP and p-median: spopt's p = new sites + existing kindergartens (predefined, fixed open) "
    "and its constraint is 'sum y = p'; shequ's is 'new sites <= p'. With more useful candidates "
    "than p the optima are equal. The MCLP objective is the covered weight including clients "
    "the existing kindergartens cover.",
    "p-median: clients are those within the search distance (3 x radius) of an existing "
    "kindergarten, so shequ's slack (a client with no open site within reach, priced at the "
    "search distance) cannot be used and pmedian_slack_used reports it; spopt gets 1e6 m for "
    "pairs beyond the search distance. Its objective (weight x metres) is converted to weight x "
    "minutes at the kind's speed.",
    "The full dense p-median (clients x sites binary PuLP variables and as many opening "
    "constraints) is far beyond memory here and runs on the sample only unless --spopt-full "
    "asks for it; the full LSCP/MCLP builds take minutes because PuLP loops over every cell of "
    "the dense matrix in Python.",
    "The sample is the square window at the clients' centre holding the --sample-clients "
    "nearest clients and every site inside it; distances still use the whole network.",
    "CBC runs single-threaded (PULP_CBC_CMD default) in a subprocess; HiGHS uses its default "
    "threads. status 'time_limit' means CBC stopped at --time-limit with a feasible solution; "
    "ratios are then lower bounds and objectives may differ.",
    "pairs_check compares shequ's sparse pairs with the peer's dense matrix (same pairs within "
    "reach, largest metre difference).",
    "peak_mb comes from a traced pass (Python and NumPy allocations; not HiGHS's C++ memory); "
    "spopt's stage there is its model build on the sample. process_max_rss_mb covers the whole "
    "process (both passes, HiGHS and spopt's PuLP objects included) and is a running maximum, "
    "snapshotted after each phase. CBC runs in a subprocess and is not measured (a forked "
    "child's max RSS counts the parent's pages, so RUSAGE_CHILDREN would mislead).",
    "load_average is os.getloadavg() at the start and end: other work on the machine slows "
    "both sides, HiGHS (multi-threaded) more than CBC (single-threaded).",
]


if __name__ == "__main__":
    sys.exit(main())
