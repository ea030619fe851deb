"""What every siting model returns, and the bookkeeping shared by all of them.

One result shape for set cover, maximal cover, p-median and the heuristics (scikit-learn's
"every model, one convention"): the chosen new sites in the order they enter, what each adds,
the objective with HiGHS's proven bound and gap, who is served by which site, and — for every
home left out — why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shequ.analyses.siting_problem import SitingProblem
from shequ.i18n import Note
from shequ.messages import MESSAGES

SHARE_TOL = 1e-6  # a share above 1 − SHARE_TOL is whole, below SHARE_TOL is none (LP round-off)


@dataclass
class SitingResult:
    """A solved (or time-limited) siting model: what every model's ``result_`` is.

    Attributes
    ----------
    model : str
        The model id: ``lscp``, ``mclp``, ``mclp-budget``, ``p-median`` (each optionally
        ``-capacitated``), ``mclp-greedy`` or ``lscp-greedy``.
    solver : str
        ``highs`` (exact, with a proven bound) or ``greedy`` (heuristic, with a bound).
    status : str
        ``optimal``, ``time_limit``, ``infeasible``, ``heuristic`` … as a
        :class:`~shequ.i18n.Note` (see :func:`status_note`): the id in files, the user's
        word on screen.
    objective, bound, gap : float
        The answer's objective, the proven bound on the optimum and their relative gap.
    p : int
        Number of new sites opened.
    new_sites : numpy.ndarray
        Site indices in rank order: the order in which a greedy replay of the chosen set adds
        them, most useful first.
    marginal_weight : numpy.ndarray
        The weight each new site newly covers at its rank.
    served_by : numpy.ndarray
        The assigned site per client (-1 none).
    served_share : numpy.ndarray
        The share of a client's demand assigned (below 1 only under capacities).
    served_within : numpy.ndarray
        The share of a client's demand assigned to open sites within the walk threshold
        (``radius_m``): what counts as served. A capacitated p-median may assign demand up to
        its search distance; only the part within the threshold is served, as in maximal cover.
    served_m : numpy.ndarray
        Metres to the assigned site (inf if none).
    covered_before, covered_after : numpy.ndarray
        Per client: within the radius of an existing site; within the radius of an open site
        (and fully assigned).
    unserved_reason : numpy.ndarray
        Object per client: None when served, else why not, as a :class:`~shequ.i18n.Note`
        (``unserved.*``: English in the files, the map's language on the map).
    site_load : numpy.ndarray
        Demand assigned to each site (all sites).
    headline : Headline
        The figures a planner reads first (demand served, homes fully served, places filled),
        computed the same way for every model so that models compare fairly.
    seconds : dict
        ``build``, ``model`` and ``solve`` wall-clock seconds.
    message : str
        A note for the user (a :class:`~shequ.i18n.Note`), or "".
    """

    model: str
    solver: str
    status: str
    objective: float
    bound: float
    gap: float
    p: int
    new_sites: np.ndarray
    marginal_weight: np.ndarray
    served_by: np.ndarray
    served_share: np.ndarray
    served_within: np.ndarray
    served_m: np.ndarray
    covered_before: np.ndarray
    covered_after: np.ndarray
    unserved_reason: np.ndarray
    site_load: np.ndarray
    headline: Headline
    seconds: dict[str, float] = field(default_factory=dict)
    message: str = ""

    @property
    def capacitated(self) -> bool:
        """True when site capacities bound the assignment (a home's demand may be split)."""
        return self.model.endswith("-capacitated")


@dataclass(frozen=True)
class Headline:
    """The headline figures of a siting answer, the same for every model (公平比较).

    Under capacities a home's demand may be split or only partly served, so "homes covered"
    (every home fully served) understates what the sites do: a capacitated maximal cover that
    fills every place can serve few homes *fully*. The fair figure is the demand served,
    ``Σ demand × share served within the walk threshold``, which is exactly the capacitated
    maximal cover's objective; a capacitated p-median is measured the same way (its
    assignments beyond the threshold count as places filled, not as demand served). Without
    capacities a home is served whole or not at all, and demand served is the covered demand.

    Attributes
    ----------
    demand_total : float
        All demand (weight) of the problem.
    demand_served : float
        Demand served within the walk threshold (partial service counted).
    demand_fully_served : float
        Demand of the homes served in full within the threshold.
    homes_with_demand : int
        Homes with demand > 0.
    homes_fully_served, homes_partly_served : int
        Homes with demand served in full / in part (share between 0 and 1) within the threshold.
    places_total, places_filled : float
        Capacity of the open sites (existing and new) and the demand assigned to them; NaN
        when the model has no capacities.
    """

    demand_total: float
    demand_served: float
    demand_fully_served: float
    homes_with_demand: int
    homes_fully_served: int
    homes_partly_served: int
    places_total: float
    places_filled: float

    @property
    def demand_served_share(self) -> float:
        """Demand served as a share of all demand (NaN when there is no demand)."""
        return self.demand_served / self.demand_total if self.demand_total > 0 else np.nan

    @property
    def places_filled_share(self) -> float:
        """Places filled as a share of the open sites' capacity (NaN without capacities)."""
        return self.places_filled / self.places_total if self.places_total > 0 else np.nan

    @property
    def homes_unserved(self) -> int:
        """Homes with demand that are not served in full (partly served ones included)."""
        return self.homes_with_demand - self.homes_fully_served

    def as_row(self) -> dict[str, float | int]:
        """The figures as ``site_summary.csv`` columns (shares included)."""
        return {
            "demand_served": self.demand_served,
            "demand_served_share": self.demand_served_share,
            "demand_fully_served": self.demand_fully_served,
            "homes_with_demand": self.homes_with_demand,
            "homes_fully_served": self.homes_fully_served,
            "homes_partly_served": self.homes_partly_served,
            "places_total": self.places_total,
            "places_filled": self.places_filled,
            "places_filled_share": self.places_filled_share,
        }


def headline_figures(
    problem: SitingProblem,
    *,
    covered_after: np.ndarray,
    served_within: np.ndarray,
    open_sites: np.ndarray,
    site_load: np.ndarray,
    capacitated: bool,
) -> Headline:
    """Demand served, homes fully and partly served and places filled, as in :class:`Headline`.

    Parameters
    ----------
    problem : SitingProblem
        The problem solved (weights and site capacities).
    covered_after : numpy.ndarray
        Per client: served in full within the threshold.
    served_within : numpy.ndarray
        Per client: the share of its demand served within the threshold.
    open_sites : numpy.ndarray
        Boolean mask of the open sites (existing and new).
    site_load : numpy.ndarray
        Demand assigned to each site.
    capacitated : bool
        Whether capacities bound the assignment: places are counted only then.

    Returns
    -------
    Headline
        The figures, the same definition for every model.
    """
    w = problem.weight
    has_demand = w > 0
    full = covered_after & has_demand
    partly = has_demand & ~full & (served_within > SHARE_TOL)
    if capacitated:
        served = float(np.sum(w * np.clip(served_within, 0.0, 1.0)))
        places_total = float(np.nansum(problem.site_capacity[open_sites]))
        places_filled = float(np.sum(site_load[open_sites]))
    else:  # whole homes: demand served is the covered demand, as before
        served = float(w[covered_after].sum())
        places_total = places_filled = np.nan
    return Headline(
        demand_total=float(w.sum()),
        demand_served=served,
        demand_fully_served=float(w[full].sum()),
        homes_with_demand=int(has_demand.sum()),
        homes_fully_served=int(full.sum()),
        homes_partly_served=int(partly.sum()),
        places_total=places_total,
        places_filled=places_filled,
    )


def status_note(status: str) -> str:
    """A solver status as a note: its English text is the status id (``optimal``,
    ``time_limit`` …) kept in the files, and it renders as the user's word (最优 …).

    Parameters
    ----------
    status : str
        A status of :class:`~shequ.analyses.milp.MilpSolution`, ``heuristic`` or ``existing``.

    Returns
    -------
    str
        A :class:`~shequ.i18n.Note` (``status.*``), or ``status`` itself when the catalogue has
        no word for it.
    """
    key = f"status.{status}"
    return Note(key) if key in MESSAGES else status


def open_mask(problem: SitingProblem, new_sites: np.ndarray) -> np.ndarray:
    mask = problem.site_fixed.copy()
    mask[np.asarray(new_sites, dtype=np.int64)] = True
    return mask


def greedy_rank(problem: SitingProblem, new_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order chosen sites by a greedy replay: each next site is the one newly covering most weight.

    Starts from what existing sites already cover; returns (ordered sites, marginal weight).
    """
    new_sites = np.asarray(new_sites, dtype=np.int64)
    if len(new_sites) == 0:
        return new_sites, np.zeros(0)
    cov = problem.coverage()[:, new_sites].tocsc()
    covered = problem.covered_by(problem.site_fixed)
    w = problem.weight
    left = list(range(len(new_sites)))
    order, gains = [], []
    while left:
        best, best_gain = left[0], -1.0
        for k in left:
            rows = cov.indices[cov.indptr[k] : cov.indptr[k + 1]]
            gain = float(w[rows[~covered[rows]]].sum())
            if gain > best_gain + 1e-12:
                best, best_gain = k, gain
        rows = cov.indices[cov.indptr[best] : cov.indptr[best + 1]]
        covered[rows] = True
        order.append(best)
        gains.append(best_gain)
        left.remove(best)
    return new_sites[order], np.asarray(gains)


def nearest_assignment(problem: SitingProblem, open_sites: np.ndarray) -> dict[str, np.ndarray]:
    """Every client to its nearest open site within the search distance (no capacities).

    ``served_within`` is left to :func:`finish`: a model may still withdraw assignments
    (p-median's maximum walk) after this.
    """
    site, metres = problem.nearest_open(open_sites)
    share = (site >= 0).astype(float)
    ok = site >= 0
    load = np.bincount(site[ok], weights=problem.weight[ok], minlength=problem.n_sites)
    return {"served_by": site, "served_share": share, "served_m": metres, "site_load": load}


def fractional_assignment(
    problem: SitingProblem, pair_idx: np.ndarray, pair_share: np.ndarray
) -> dict[str, np.ndarray]:
    """Assignment from a capacitated model's pair shares (a client may be split over sites).

    Besides the nearest-style columns it returns ``served_within``: per client, the sum of its
    shares at sites within the walk threshold (a split home may be served partly within it).
    """
    client = problem.pair_client[pair_idx]
    site = problem.pair_site[pair_idx]
    share = np.clip(pair_share, 0.0, 1.0)
    n = problem.n_clients
    served_share = np.bincount(client, weights=share, minlength=n)
    near = problem.pair_m[pair_idx] <= problem.radius_m + 1e-9
    served_within = np.bincount(client[near], weights=share[near], minlength=n)
    served_by = np.full(n, -1, dtype=np.int64)
    served_m = np.full(n, np.inf)
    keep = share > 1e-9
    # the site with the largest share serves the client (ties: the nearer)
    order = np.lexsort((problem.pair_m[pair_idx][keep], -share[keep], client[keep]))
    c, s = client[keep][order], site[keep][order]
    first = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, bool)
    served_by[c[first]] = s[first]
    served_m[c[first]] = problem.pair_m[pair_idx][keep][order][first]
    load = np.bincount(site, weights=share * problem.weight[client], minlength=problem.n_sites)
    return {
        "served_by": served_by,
        "served_share": np.minimum(served_share, 1.0),
        "served_within": np.minimum(served_within, 1.0),
        "served_m": served_m,
        "site_load": load,
    }


def finish(
    problem: SitingProblem,
    *,
    model: str,
    solver: str,
    status: str,
    objective: float,
    bound: float,
    gap: float,
    new_sites: np.ndarray,
    assignment: dict[str, np.ndarray],
    seconds: dict[str, float],
    within_radius_only: bool = True,
    message: str = "",
) -> SitingResult:
    """Assemble the result: rank, coverage before/after, the headline figures and a reason for
    every unserved client.

    Capacitated results are recognised by ``model`` ending in ``-capacitated``; their
    ``assignment`` carries ``served_within`` (see :func:`fractional_assignment`).
    """
    ranked, gains = greedy_rank(problem, new_sites)
    served_by = assignment["served_by"]
    covered_before = problem.covered_by(problem.site_fixed)
    within = assignment["served_m"] <= problem.radius_m + 1e-9
    served_within = assignment.get("served_within")
    if served_within is None:  # whole homes: the share at the one site, if within reach
        served_within = np.where((served_by >= 0) & within, assignment["served_share"], 0.0)
    if within_radius_only:
        covered_after = (served_by >= 0) & (served_within > 1 - SHARE_TOL)
    else:
        covered_after = (served_by >= 0) & (assignment["served_share"] > 1 - SHARE_TOL)
    reason = problem.client_reason()
    unserved = ~covered_after & (reason == None)  # noqa: E711 (object array)
    share = assignment["served_share"]
    split = (share > SHARE_TOL) & (share < 1 - SHARE_TOL)
    partial = unserved & ((served_within > SHARE_TOL) | split)
    beyond = unserved & (served_by >= 0) & ~within & ~partial
    reason[unserved] = Note("unserved.not_chosen")
    reason[partial] = Note("unserved.full")
    to_min = 1.0 / problem.speed_mps / 60.0
    for i in np.flatnonzero(beyond):
        reason[i] = Note(
            "unserved.beyond",
            minutes=assignment["served_m"][i] * to_min,
            threshold=problem.radius_min,
        )
    reason[(problem.weight <= 0) & ~covered_after] = Note("unserved.no_demand")
    reason[covered_after] = None
    capacitated = model.endswith("-capacitated")
    figures = headline_figures(
        problem,
        covered_after=covered_after,
        served_within=served_within,
        open_sites=open_mask(problem, ranked),
        site_load=assignment["site_load"],
        capacitated=capacitated,
    )
    return SitingResult(
        model=model,
        solver=solver,
        status=status_note(status),
        objective=float(objective),
        bound=float(bound),
        gap=float(gap),
        p=len(ranked),
        new_sites=ranked,
        marginal_weight=gains,
        served_by=served_by,
        served_share=assignment["served_share"],
        served_within=served_within,
        served_m=assignment["served_m"],
        covered_before=covered_before,
        covered_after=covered_after,
        unserved_reason=reason,
        site_load=assignment["site_load"],
        headline=figures,
        seconds=seconds,
        message=message,
    )
