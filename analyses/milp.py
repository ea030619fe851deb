"""A sparse mixed-integer program held in HiGHS: build once, solve, change a bound, solve again.

Siting models are small to state and large to hold (one coverage row per demand group, one column
per candidate): they are passed to HiGHS as row-wise sparse arrays through ``highspy``, never as
Python expressions (which is what makes PuLP slow on big instances). The model stays loaded
between solves so the coverage curve (p = 1 … P) changes one row bound and warm-starts from the
previous solution instead of rebuilding. Every solve reports the incumbent, HiGHS's proven dual
bound and the relative gap, so a time-limited answer says how far from optimal it can be.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

INF = highspy.kHighsInf
_FIRST = threading.Lock()
_banner_shown = False


def _new_highs() -> highspy.Highs:
    """A ``Highs`` instance, without the English banner HiGHS prints on the first one.

    The C++ constructor writes "Running HiGHS … Copyright …" to the process's standard output
    the first time an instance is made, before any option (``output_flag``) can be set, so it
    would reach a user's terminal in every language. The first construction therefore runs with
    file descriptor 1 pointed at the null device for its few milliseconds; later ones print
    nothing anyway.
    """
    global _banner_shown
    with _FIRST:
        if _banner_shown:
            return highspy.Highs()
        _banner_shown = True
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                return highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kSolutionLimit: "solution_limit",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kMemoryLimit: "memory_limit",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


@dataclass
class MilpSolution:
    """One solve: values, incumbent objective, proven bound, relative gap and HiGHS status."""

    x: np.ndarray | None  # None when no feasible solution was found
    objective: float
    bound: float
    gap: float
    status: str  # optimal | time_limit | infeasible | …
    seconds: float
    nodes: int


class Milp:
    """``maximise/minimise c·x  s.t.  row_lo ≤ A x ≤ row_hi,  col_lo ≤ x ≤ col_hi``.

    Parameters
    ----------
    c, col_lo, col_hi : arrays of the columns; ``integer`` marks the integer columns.
    a : sparse matrix (rows × columns), converted to CSR.
    row_lo, row_hi : row bounds (``-INF``/``INF`` for one-sided rows).
    maximise : objective sense.
    time_limit_s : HiGHS time limit per solve; the best solution found and its bound are kept.
    mip_gap : relative gap at which HiGHS stops (0 = prove optimality).
    threads : HiGHS threads (None = HiGHS default).
    presolve : HiGHS presolve; off for models shequ has already reduced, where it only costs
        time (and would be repeated at every re-solve of the coverage curve).
    """

    def __init__(
        self,
        c: np.ndarray,
        a: sparse.spmatrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
        integer: np.ndarray,
        *,
        maximise: bool,
        time_limit_s: float = 600.0,
        mip_gap: float = 0.0,
        threads: int | None = None,
        presolve: bool = True,
    ) -> None:
        a = sparse.csr_matrix(a)
        a.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_ = a.shape[1]
        lp.num_row_ = a.shape[0]
        lp.col_cost_ = np.asarray(c, dtype=np.float64)
        lp.col_lower_ = np.asarray(col_lo, dtype=np.float64)
        lp.col_upper_ = np.asarray(col_hi, dtype=np.float64)
        lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
        lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(np.float64)
        lp.a_matrix_.num_col_ = a.shape[1]
        lp.a_matrix_.num_row_ = a.shape[0]
        kinds = np.where(np.asarray(integer, dtype=bool), 1, 0)
        var = [highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger]
        lp.integrality_ = [var[k] for k in kinds]
        lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        self.maximise = maximise
        self.n_cols = a.shape[1]
        self.n_rows = a.shape[0]
        self._h = _new_highs()
        h = self._h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.setOptionValue("random_seed", 0)
        if not presolve:
            h.setOptionValue("presolve", "off")
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        status = h.passModel(lp)
        if status == highspy.HighsStatus.kError:
            msg = "HiGHS rejected the siting model (this is a bug in shequ; please report it)"
            raise RuntimeError(msg)

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        """Change one row's bounds (the next :meth:`solve` keeps the loaded model)."""
        self._h.changeRowBounds(int(row), float(lo), float(hi))

    def set_time_limit(self, seconds: float) -> None:
        self._h.setOptionValue("time_limit", float(max(seconds, 0.01)))

    def solve(self, start: np.ndarray | None = None) -> MilpSolution:
        """Solve; ``start`` is a feasible (or nearly) point HiGHS may use as its first incumbent."""
        h = self._h
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = np.asarray(start, dtype=np.float64).tolist()
            sol.value_valid = True
            h.setSolution(sol)
        t0 = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - t0
        status = _STATUS.get(h.getModelStatus(), "unknown")
        info = h.getInfo()
        has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
        objective = float(info.objective_function_value) if has_x else np.nan
        bound = float(info.mip_dual_bound)
        if status == "optimal" and np.isfinite(objective):
            bound = objective if not np.isfinite(bound) else bound
        gap = relative_gap(objective, bound)
        return MilpSolution(x, objective, bound, gap, status, seconds, int(info.mip_node_count))


def relative_gap(objective: float, bound: float) -> float:
    """``|bound − objective| / max(|objective|, 1e-9)`` (HiGHS's MIP gap); 0 when equal."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return np.inf
    diff = abs(bound - objective)
    return 0.0 if diff <= 1e-9 * max(1.0, abs(objective)) else diff / max(abs(objective), 1e-9)
