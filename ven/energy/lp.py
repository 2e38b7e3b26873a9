"""A small sparse LP assembler (columns, rows, bounds, costs) solved by HiGHS through highspy."""

from __future__ import annotations

import functools
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

__all__ = ["LinearProgram", "LpSolution"]

INF = highspy.kHighsInf


@functools.cache
def _quiet_first_highs() -> None:
    """HiGHS prints a banner to file descriptor 1 on its first construction in a process,
    before any option can be set: construct that first one with fd 1 on /dev/null."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all
        highspy.Highs()
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass(frozen=True, slots=True, kw_only=True)
class LpSolution:
    """HiGHS's answer: status (model status in words), optimal flag, column values, objective,
    and the solver's wall time [s]."""

    status: str
    optimal: bool
    x: np.ndarray
    objective: float
    solve_s: float


class LinearProgram:
    """Columns and rows added in blocks; each block has a structured name
    (``"battery-soc-balance"``) kept for error messages and tests."""

    def __init__(self) -> None:
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._cost: list[np.ndarray] = []
        self._ri: list[np.ndarray] = []
        self._ci: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._rlo: list[np.ndarray] = []
        self._rhi: list[np.ndarray] = []
        self.ncol = 0
        self.nrow = 0
        self.blocks: dict[str, np.ndarray] = {}

    def var(self, name: str, n: int, lb: float | np.ndarray = 0.0,
            ub: float | np.ndarray = INF, cost: float | np.ndarray = 0.0) -> np.ndarray:
        """Add `n` columns; returns their indices."""
        idx = np.arange(self.ncol, self.ncol + n)
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy())
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self.ncol += n
        self.blocks[name] = idx
        return idx

    def add_cost(self, cols: np.ndarray, cost: float | np.ndarray) -> None:
        """Add `cost` to the objective coefficients of `cols`."""
        full = np.concatenate(self._cost) if len(self._cost) > 1 else self._cost[0]
        np.add.at(full, cols, np.broadcast_to(np.asarray(cost, dtype=float), cols.shape))
        self._cost = [full]

    def rows(self, name: str, n: int, terms: list[tuple[np.ndarray, float | np.ndarray]],
             lo: float | np.ndarray = -INF, hi: float | np.ndarray = INF) -> np.ndarray:
        """Add `n` rows lo <= sum_k coef_k[r] x[cols_k[r]] <= hi; each term gives one column
        per row and its coefficient(s)."""
        rows = np.arange(self.nrow, self.nrow + n)
        for cols, coef in terms:
            if len(cols) != n:
                raise ValueError(f"{name}: a term has {len(cols)} columns for {n} rows")
            self._ri.append(rows)
            self._ci.append(np.asarray(cols))
            self._v.append(np.broadcast_to(np.asarray(coef, dtype=float), (n,)).copy())
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy())
        self.nrow += n
        self.blocks[name] = rows
        return rows

    def row(self, name: str, cols: np.ndarray, coefs: float | np.ndarray,
            lo: float = -INF, hi: float = INF) -> int:
        """Add one row lo <= sum coefs x[cols] <= hi."""
        r = self.nrow
        self._ri.append(np.full(len(cols), r))
        self._ci.append(np.asarray(cols))
        self._v.append(np.broadcast_to(np.asarray(coefs, dtype=float), (len(cols),)).copy())
        self._rlo.append(np.array([lo]))
        self._rhi.append(np.array([hi]))
        self.nrow += 1
        self.blocks[name] = np.array([r])
        return r

    def solve(self, *, time_limit_s: float = 30.0) -> LpSolution:
        """Solve with HiGHS (simplex or IPM as HiGHS chooses, no output)."""
        cat = np.concatenate
        a = sparse.csc_matrix((cat(self._v), (cat(self._ri), cat(self._ci))),
                          shape=(self.nrow, self.ncol))
        a.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_ = self.ncol
        lp.num_row_ = self.nrow
        lp.col_cost_ = cat(self._cost)
        lp.col_lower_ = cat(self._lb)
        lp.col_upper_ = cat(self._ub)
        lp.row_lower_ = cat(self._rlo)
        lp.row_upper_ = cat(self._rhi)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_ = self.ncol
        lp.a_matrix_.num_row_ = self.nrow
        _quiet_first_highs()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        # no "threads": HiGHS keeps one thread pool per process, made by the first solve (the
        # event dispatch's, at HiGHS's default); asking for another count later fails the run
        h.setOptionValue("time_limit", float(time_limit_s))
        h.passModel(lp)
        began = time.perf_counter()
        h.run()
        took = time.perf_counter() - began
        status = h.getModelStatus()
        optimal = status == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value, dtype=float) if optimal else np.zeros(self.ncol)
        objective = float(h.getInfo().objective_function_value) if optimal else float("nan")
        return LpSolution(status=h.modelStatusToString(status), optimal=optimal, x=x,
                          objective=objective, solve_s=took)
