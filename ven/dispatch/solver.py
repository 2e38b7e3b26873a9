"""Solve a dispatch model: Pyomo's standard-form compiler, arrays straight into highspy.

The path: ``LinearStandardFormCompiler`` (mixed form: each row keeps its sense) turns the
model into scipy CSC matrices; ``Highs.passModel`` takes them as numpy arrays with the
integrality of the binaries; the solution goes back into the Pyomo variables by column.
Infeasibility, time limits and solver errors are statuses, never exceptions.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import PyomoException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from ven.dispatch.modeldata import ModelData
from ven.dispatch.rounding import round_onoff, round_onoff_residual

_INF = highspy.kHighsInf


@functools.cache
def _spend_highs_banner() -> None:
    """Construct one HiGHS instance with file descriptor 1 pointed at /dev/null.

    HiGHS writes its banner to the process's stdout (C level, not ``sys.stdout``) on the first
    construction in a process, before any option can be set; spending it here keeps every
    command's stdout to what the command prints (``oadr-ven plan --json`` is one JSON document).
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to protect
        highspy.Highs()
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


spend_highs_banner = _spend_highs_banner


def allow_seconds(highs: highspy.Highs, seconds: float, *, mip: bool = False) -> None:
    """Let `highs`'s next run take at most `seconds` [s] more.

    HiGHS compares an LP's ``time_limit`` with the run time the instance has accumulated over
    all its runs, so a limit of "the time left" alone would shrink by every earlier run (a
    re-plan in place, the LPs after a relaxation); for an LP the limit is that total plus
    `seconds`. The MIP search (`mip`) measures its own run from zero.
    """
    spent = 0.0 if mip else highs.getRunTime()
    highs.setOptionValue("time_limit", spent + max(float(seconds), 0.0))


class SolveStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"  # optimal within the relative MIP gap
    TIME_LIMIT = "time_limit"  # stopped by a limit; ``has_solution`` says if a plan exists
    FEASIBLE = "feasible"  # a plan whose proven gap (``mip_gap``) is above the MIP gap asked
    INFEASIBLE = "infeasible"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveOptions:
    """Solver settings.

    time_limit_s: wall time for the whole solve [s]; mip_rel_gap: relative MIP gap at which
    a plan counts as optimal [fraction]; threads: HiGHS threads (None = HiGHS's choice);
    rounding: run the LP-rounding heuristic first (see ``rounding.py``) and skip the MIP
    search when its plan is already within the gap. mip_stall_s / mip_stall_gap: once the MIP
    search has a plan within mip_stall_gap [fraction] of its bound, it stops after
    mip_stall_s [s] in which neither the plan nor the bound improved (status ``feasible``,
    with the gap it reached); None keeps searching until mip_rel_gap or the time limit.
    mip_soft_share: with stalls watched, the MIP search first runs for this share of the time
    left [fraction]; a plan within mip_stall_gap by then is kept (status ``feasible``).
    replan_gap: a re-solve in place (``solve(..., previous=...)``: a modified event re-planned
    while it runs) takes the rounding pass's plan without a MIP search when its proven gap is
    within this [fraction]: an answer in a fraction of a second beats the last percent.
    """

    time_limit_s: float = 10.0
    mip_rel_gap: float = 0.01
    threads: int | None = None
    presolve: bool = True
    log_to_console: bool = False
    rounding: bool = True
    mip_stall_s: float | None = 1.0
    mip_stall_gap: float = 0.05
    mip_soft_share: float = 0.4
    replan_gap: float = 0.05


@dataclass(slots=True)
class LpBases:
    """What a re-plan reuses of the last rounding pass: simplex bases and the relaxation's duals.

    A re-plan changes row bounds and costs only, so both LPs (the relaxation and the best
    fixed-schedule LP) restart from their own optimal basis instead of from the MIP search's
    last node, and the relaxation's duals still give a valid lower bound (``dual_bound``)
    before any LP runs.
    """

    relax: highspy.HighsBasis | None = None
    fixed: highspy.HighsBasis | None = None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    cost: np.ndarray | None = None


_DUAL_TOL = 1e-7
"""Duals smaller than this [objective units per model unit] count as zero in ``dual_bound``
(the simplex's own dual feasibility tolerance): they would meet an infinite bound."""


def dual_bound(highs: highspy.Highs, bases: LpBases, lower: np.ndarray, upper: np.ndarray
               ) -> float:
    """A lower bound on the model loaded in `highs` from the duals kept in `bases` [objective].

    Weak duality: for any row duals y, with reduced costs z = c - A'y, every x within the
    column bounds [`lower`, `upper`] (the binaries relaxed) and row bounds costs at least
    offset + sum_i min(y_i r_i) + sum_j min(z_j x_j) over those boxes. The kept duals were
    optimal before; only row bounds and costs changed since, so z moves by the cost change.
    -inf when a dual meets an infinite bound.
    """
    if bases.row_dual is None or bases.col_dual is None or bases.cost is None:
        return -math.inf
    lp = highs.getLp()
    z = bases.col_dual + (np.asarray(lp.col_cost_, dtype=float) - bases.cost)
    return _lagrangian(lp, bases.row_dual, z, lower, upper)


def _lagrangian(lp: highspy.HighsLp, row_dual: np.ndarray, col_dual: np.ndarray,
                lower: np.ndarray, upper: np.ndarray) -> float:
    """offset + sum_i min(y_i r_i) over `lp`'s row bounds + sum_j min(z_j x_j) over
    [`lower`, `upper`]: a lower bound on every x there (see ``dual_bound``)."""
    total = float(lp.offset_)
    for dual, lo, hi in ((row_dual, np.asarray(lp.row_lower_, dtype=float),
                          np.asarray(lp.row_upper_, dtype=float)), (col_dual, lower, upper)):
        d = np.where(np.abs(dual) < _DUAL_TOL, 0.0, dual)
        at_lo, at_hi = d > 0, d < 0
        if np.any(at_lo & ~np.isfinite(lo)) or np.any(at_hi & ~np.isfinite(hi)):
            return -math.inf
        total += float((d[at_lo] * lo[at_lo]).sum() + (d[at_hi] * hi[at_hi]).sum())
    return total


@dataclass(slots=True)
class _Compiled:
    """What a re-solve reuses: the solver with the model loaded, and the column/row maps."""

    model: pyo.ConcreteModel
    highs: highspy.Highs
    columns: list
    rows: list
    integrality: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    onoff_columns: np.ndarray | None = None  # column of onoff-shed[i, t], -1 when absent
    target_rows: list[tuple[int, int]] | None = None  # (row, t)
    beyond_rows: list[tuple[int, int]] | None = None  # (row, t) of shed-beyond-target
    shed_columns: list[tuple[int, int]] | None = None  # (column, t)
    shortfall_columns: list[tuple[int, int]] | None = None  # (column, t)
    bases: LpBases = field(default_factory=LpBases)


@dataclass(slots=True, kw_only=True)
class SolveResult:
    """Status, objective [USD-equivalent], MIP gap [fraction] and timings [s] of a solve.

    timings: compile (Pyomo -> matrices), handoff (matrices -> HiGHS), run (HiGHS),
    load (solution -> Pyomo variables). x: the solution by compiled column, when one exists.
    """

    status: SolveStatus
    has_solution: bool
    objective: float = math.nan
    mip_gap: float = math.inf
    message: str = ""
    n_vars: int = 0
    n_rows: int = 0
    n_binaries: int = 0
    warm_started: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    x: np.ndarray | None = None
    compiled: _Compiled | None = field(default=None, repr=False)


def solve(
    model: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    previous: SolveResult | None = None,
) -> SolveResult:
    """Solve `model`; with `previous` from the same model, re-solve in place (warm start).

    The in-place path applies the current "shed-target" and "energy-price" Params to the
    loaded HiGHS model (row bounds and column costs) and starts from the previous solution;
    anything else about the model must be unchanged since `previous`.
    """
    opts = options or SolveOptions()
    if previous is not None and previous.compiled is not None and previous.compiled.model is model:
        return _resolve(model, opts, previous)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True)
    except (PyomoException, ValueError, ArithmeticError, TypeError) as exc:  # e.g. a bad row
        return SolveResult(status=SolveStatus.ERROR, has_solution=False, message=str(exc))
    t1 = time.perf_counter()
    timings["compile"] = t1 - t0
    columns = info.columns
    _spend_highs_banner()
    highs = highspy.Highs()
    _set_options(highs, opts)
    lower = np.fromiter((_num(v.lb, -_INF) for v in columns), float, len(columns))
    upper = np.fromiter((_num(v.ub, _INF) for v in columns), float, len(columns))
    integrality = np.fromiter((v.is_integer() for v in columns), bool, len(columns))
    sense = np.fromiter((r.bound_type for r in info.rows), np.int8, len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float)
    row_lower = np.where(sense == 1, -_INF, rhs)
    row_upper = np.where(sense == -1, _INF, rhs)
    cost = info.c.toarray().ravel() if info.c.shape[0] else np.zeros(len(columns))
    a = info.A.tocsc()
    status = highs.passModel(
        len(columns),
        len(info.rows),
        int(a.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(info.c_offset[0]) if len(info.c_offset) else 0.0,
        cost,
        lower,
        upper,
        row_lower,
        row_upper,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        integrality.astype(np.int32),
    )
    t2 = time.perf_counter()
    timings["handoff"] = t2 - t1
    compiled = _Compiled(model, highs, columns, info.rows, integrality, lower, upper)
    if status == highspy.HighsStatus.kError:
        return SolveResult(
            status=SolveStatus.ERROR,
            has_solution=False,
            message="HiGHS refused the model",
            timings=timings,
        )
    return _run(model, compiled, timings, opts, warm_x=None)


def _resolve(model: pyo.ConcreteModel, opts: SolveOptions, previous: SolveResult) -> SolveResult:
    compiled = previous.compiled
    assert compiled is not None
    t0 = time.perf_counter()
    highs = compiled.highs
    _set_options(highs, opts)
    data: ModelData = model.data
    if compiled.target_rows is None:
        _map_event_parts(model, compiled)
    target = model.component("shed-target")
    price = model.component("energy-price")
    for row, t in compiled.target_rows or []:
        highs.changeRowBounds(row, float(pyo.value(target[t])), _INF)
    for row, t in compiled.beyond_rows or []:
        highs.changeRowBounds(row, -_INF, float(pyo.value(target[t])))
    if data.has_price and compiled.shed_columns:
        cols = np.array([c for c, _ in compiled.shed_columns], dtype=np.int32)
        costs = np.array([-data.dt[t] * pyo.value(price[t]) for _, t in compiled.shed_columns])
        highs.changeColsCost(len(cols), cols, costs)
    x: np.ndarray | None = None
    if previous.x is not None:
        x = previous.x.copy()
        shed_of = {t: x[c] for c, t in compiled.shed_columns or []}
        for c, t in compiled.shortfall_columns or []:
            x[c] = max(0.0, float(pyo.value(target[t])) - shed_of.get(t, 0.0))
    timings = {"compile": 0.0, "handoff": time.perf_counter() - t0}
    return _run(model, compiled, timings, opts, warm_x=x)


def _map_event_parts(model: pyo.ConcreteModel, compiled: _Compiled) -> None:
    """Find the rows of shed-target-slack and shed-beyond-target and the columns of
    building-shed/shed-shortfall."""
    target_con = model.component("shed-target-slack")
    by_id = {id(con): t for t, con in target_con.items()}
    compiled.target_rows = [
        (r, by_id[id(row.constraint)])
        for r, row in enumerate(compiled.rows)
        if id(row.constraint) in by_id
    ]
    beyond_con = model.component("shed-beyond-target")
    by_id = {id(con): t for t, con in beyond_con.items()}
    compiled.beyond_rows = [
        (r, by_id[id(row.constraint)])
        for r, row in enumerate(compiled.rows)
        if id(row.constraint) in by_id
    ]
    shed = {id(v): t for t, v in model.component("building-shed").items()}
    short = {id(v): t for t, v in model.component("shed-shortfall").items()}
    compiled.shed_columns = [
        (c, shed[id(v)]) for c, v in enumerate(compiled.columns) if id(v) in shed
    ]
    compiled.shortfall_columns = [
        (c, short[id(v)]) for c, v in enumerate(compiled.columns) if id(v) in short
    ]


@dataclass(slots=True)
class _Candidate:
    x: np.ndarray
    objective: float
    bound: float

    def gap(self) -> float:
        return max(self.objective - self.bound, 0.0) / max(abs(self.objective), 1e-9)


@dataclass(slots=True, kw_only=True)
class RunOutcome:
    """What one HiGHS run (with the optional rounding pass) produced."""

    status: SolveStatus
    has_solution: bool
    x: np.ndarray | None
    objective: float
    mip_gap: float
    message: str


def run_highs(
    highs: highspy.Highs,
    data: ModelData,
    onoff_columns: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    opts: SolveOptions,
    warm_x: np.ndarray | None = None,
    *,
    bases: LpBases | None = None,
    accept_gap: float | None = None,
) -> RunOutcome:
    """Run HiGHS on a loaded model: rounding pass first (MIP only), then the MIP if needed.

    onoff_columns: column of each on/off binary (devices, intervals), -1 when absent;
    lower/upper: the columns' bounds [model units], restored after the rounding pass.
    warm_x: a re-plan's previous solution: its on/off schedule is the first candidate.
    bases: the LP bases of an earlier run on `highs`, used and updated (see ``LpBases``).
    accept_gap: the rounding pass's plan is taken without a MIP search within this proven
    gap [fraction] (at least ``opts.mip_rel_gap``; the status stays ``feasible`` above it).
    """
    t0 = time.perf_counter()
    deadline = t0 + max(opts.time_limit_s, 0.0)
    ms = highspy.HighsModelStatus
    n_bin = int((onoff_columns >= 0).sum())
    accept = max(opts.mip_rel_gap, accept_gap if accept_gap is not None else 0.0)
    candidate = None
    if n_bin and opts.rounding:
        first = None
        if warm_x is not None:
            first = np.where(onoff_columns >= 0, np.round(warm_x[np.maximum(onoff_columns, 0)]), 0)
        candidate = _rounding_pass(
            highs, data, onoff_columns, lower, upper, deadline, accept,
            first_schedule=first, bases=bases,
        )
    closed = candidate is not None and candidate.objective - candidate.bound <= 1e-6
    if candidate is not None and (candidate.gap() <= accept or closed):
        optimal = candidate.gap() <= opts.mip_rel_gap or closed
        return RunOutcome(
            status=SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE,
            has_solution=True,
            x=candidate.x,
            objective=candidate.objective,
            mip_gap=candidate.gap(),
            message="Optimal (LP rounding within the gap)" if optimal
            else f"LP rounding within the re-plan gap ({accept:.0%})",
        )
    if time.perf_counter() >= deadline:  # nothing left for the MIP search
        return RunOutcome(
            status=SolveStatus.TIME_LIMIT,
            has_solution=candidate is not None,
            x=None if candidate is None else candidate.x,
            objective=math.nan if candidate is None else candidate.objective,
            mip_gap=math.inf if candidate is None else candidate.gap(),
            message="Time limit reached before the MIP search",
        )
    start = candidate.x if candidate is not None else warm_x
    if start is not None:
        highs.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
    is_mip = n_bin > 0 or bool(np.any(np.asarray(highs.getLp().integrality_, dtype=int)))
    stall = _StallWatch(opts.mip_stall_s, opts.mip_stall_gap) if n_bin else None
    soft_stop = False
    if stall is not None and stall.enabled:
        highs.setCallback(stall.on_interrupt, None)
        highs.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    try:
        # the MIP search in two runs when stalls are watched: HiGHS does not call the
        # interrupt callback inside its root-node heuristics (sub-MIPs of seconds), so the
        # first run stops at a share of the time left, and a plan within the stall gap by
        # then is kept; otherwise the search runs again from the best plan with the rest
        share = opts.mip_soft_share if stall is not None and stall.enabled else 1.0
        allow_seconds(highs, share * (deadline - time.perf_counter()), mip=is_mip)
        run_status = highs.run()
        if share < 1.0 and highs.getModelStatus() == ms.kTimeLimit \
                and time.perf_counter() < deadline:
            info = highs.getInfo()
            if info.primal_solution_status == highspy.kSolutionStatusFeasible \
                    and float(info.mip_gap) <= opts.mip_stall_gap:
                soft_stop = True
            else:
                best_x = highs.getSolution().col_value \
                    if info.primal_solution_status == highspy.kSolutionStatusFeasible else None
                if best_x is not None:
                    highs.setSolution(len(best_x), np.arange(len(best_x), dtype=np.int32),
                                      np.asarray(best_x, dtype=float))
                allow_seconds(highs, deadline - time.perf_counter(), mip=is_mip)
                run_status = highs.run()
    finally:
        if stall is not None and stall.enabled:
            highs.stopCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == highspy.kSolutionStatusFeasible
    status = _status(model_status, run_status)
    if model_status == ms.kModelEmpty:
        has_solution = True
    x = np.asarray(highs.getSolution().col_value, dtype=float) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else math.nan
    if not has_solution:
        gap = math.inf
    elif n_bin and model_status != ms.kModelEmpty:
        gap = float(info.mip_gap)
    else:
        gap = 0.0
    message = highs.modelStatusToString(model_status)
    if stall is not None and stall.stopped and has_solution:
        status = SolveStatus.FEASIBLE
        message = f"MIP search stopped after {stall.stall_s:g} s without progress"
    elif soft_stop and has_solution:
        status = SolveStatus.FEASIBLE
        message = (f"MIP search stopped at {opts.mip_soft_share:.0%} of its time with a plan"
                   f" within {opts.mip_stall_gap:.0%}")
    if candidate is not None and (x is None or candidate.objective < objective - 1e-9):
        x, objective, has_solution, gap = candidate.x, candidate.objective, True, candidate.gap()
    return RunOutcome(
        status=status,
        has_solution=has_solution,
        x=x,
        objective=objective,
        mip_gap=gap,
        message=message,
    )


class _StallWatch:
    """HiGHS MIP interrupt callback: stop once the gap is small and nothing improves."""

    def __init__(self, stall_s: float | None, stall_gap: float) -> None:
        self.stall_s = stall_s if stall_s is not None else math.inf
        self.enabled = stall_s is not None and stall_s > 0
        self.stall_gap = stall_gap
        self.best_gap = math.inf
        self.since = 0.0
        self.stopped = False

    def on_interrupt(
        self,
        _kind: highspy.cb.HighsCallbackType,
        _message: str,
        out: highspy.cb.HighsCallbackOutput,
        into: highspy.cb.HighsCallbackInput,
        _user: object,
    ) -> None:
        """Set ``user_interrupt`` once the gap is small and stalled for ``stall_s``."""
        now = float(out.running_time)
        gap = float(out.mip_gap)
        if self.best_gap - gap > 1e-3:  # progress: the gap closed by more than 0.1 point
            self.best_gap, self.since = gap, now
            return
        if gap <= self.stall_gap and now - self.since >= self.stall_s:
            self.stopped = True
            into.user_interrupt = True


def _run(
    model: pyo.ConcreteModel,
    compiled: _Compiled,
    timings: dict[str, float],
    opts: SolveOptions,
    *,
    warm_x: np.ndarray | None,
) -> SolveResult:
    data: ModelData = model.data
    if compiled.onoff_columns is None:
        col_of = {id(v): c for c, v in enumerate(compiled.columns)}
        grid = model.vars["onoff-shed"]
        compiled.onoff_columns = np.array(
            [[col_of.get(id(v), -1) for v in row] for row in grid], dtype=np.int64
        ).reshape(len(grid), data.n_t)
    t0 = time.perf_counter()
    out = run_highs(
        compiled.highs, data, compiled.onoff_columns, compiled.lower, compiled.upper, opts, warm_x,
        bases=compiled.bases, accept_gap=opts.replan_gap if warm_x is not None else None,
    )
    t1 = time.perf_counter()
    timings["run"] = t1 - t0
    if out.x is not None:
        for v, val in zip(compiled.columns, out.x.tolist(), strict=True):
            v.set_value(val, skip_validation=True)
    timings["load"] = time.perf_counter() - t1
    return SolveResult(
        status=out.status,
        has_solution=out.has_solution,
        objective=out.objective,
        mip_gap=out.mip_gap,
        message=out.message,
        n_vars=len(compiled.columns),
        n_rows=len(compiled.rows),
        n_binaries=int(compiled.integrality.sum()),
        warm_started=warm_x is not None,
        timings=timings,
        x=out.x,
        compiled=compiled,
    )


ROUNDING_VARIANTS = (
    (round_onoff, 0.5),
    (round_onoff_residual, 0.5),
    (round_onoff, 0.3),
    (round_onoff_residual, 0.3),
    (round_onoff, 0.7),
)
"""Rounding variants tried in turn after the LP relaxation until one is within the gap."""


def _rounding_pass(
    highs: highspy.Highs,
    data: ModelData,
    cols_grid: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    deadline: float,
    gap: float,
    *,
    first_schedule: np.ndarray | None = None,
    bases: LpBases | None = None,
) -> _Candidate | None:
    """LP relaxation, round the on/off binaries, re-solve the LP with them fixed.

    first_schedule: a re-plan's previous on/off schedule, tried first (from the best fixed
    LP's basis in `bases`); when the kept duals (``dual_bound``) already prove it within
    `gap`, nothing more runs. bases: with a relaxation basis, the relaxation restarts from it
    without presolve; bases and duals are updated for the next re-plan.

    The relaxation gets at most half of the remaining time; when it does not finish, the
    on/off loads stay on (a plan that is always feasible) and the bound is unknown (-inf).
    """
    ms = highspy.HighsModelStatus
    present = cols_grid >= 0
    cols = cols_grid[present].astype(np.int32)
    best: _Candidate | None = None
    seen: list[np.ndarray] = []
    raw: object = highs.getOptionValue("presolve")
    presolve = str(raw[1] if isinstance(raw, tuple) else raw)  # (status, value) in 1.16

    def fixed_lp(u_int: np.ndarray, bound: float) -> None:
        nonlocal best
        seen.append(u_int)
        fixed = u_int[present].astype(float)
        highs.changeColsBounds(len(cols), cols, fixed, fixed)
        allow_seconds(highs, deadline - time.perf_counter())
        highs.run()
        if highs.getModelStatus() != ms.kOptimal:
            return
        objective = float(highs.getInfo().objective_function_value)
        if best is None or objective < best.objective:
            best = _Candidate(np.asarray(highs.getSolution().col_value, dtype=float),
                              objective, bound)
            if bases is not None:
                bases.fixed = highs.getBasis()

    highs.setOptionValue("solve_relaxation", True)
    try:
        try:
            if first_schedule is not None and bases is not None and bases.fixed is not None:
                highs.setOptionValue("presolve", "off")
                highs.setBasis(bases.fixed)
                fixed_lp(first_schedule, dual_bound(highs, bases, lower, upper))
                if best is not None and highs.getModelStatus() == ms.kOptimal:
                    # the fixed LP's own duals bound the relaxation too (the same A and c;
                    # the binaries' reduced costs taken over [0, 1] instead of their fixing)
                    sol = highs.getSolution()
                    best.bound = max(best.bound, _lagrangian(
                        highs.getLp(), np.asarray(sol.row_dual, dtype=float),
                        np.asarray(sol.col_dual, dtype=float), lower, upper))
                if best is not None and best.gap() <= gap:
                    return best
            if bases is not None and bases.relax is not None:
                highs.setBasis(bases.relax)
            highs.changeColsBounds(len(cols), cols, lower[cols], upper[cols])
            if highs.getBasis().valid:  # a re-plan: simplex from the last basis, no presolve
                highs.setOptionValue("presolve", "off")
            allow_seconds(highs, 0.5 * (deadline - time.perf_counter()))
            highs.run()
            highs.setOptionValue("presolve", "off")  # the fixed LPs start from this basis
            schedules: Iterator[np.ndarray]
            if highs.getModelStatus() == ms.kOptimal:
                bound = float(highs.getInfo().objective_function_value)
                if bases is not None:
                    sol = highs.getSolution()
                    bases.relax = highs.getBasis()
                    bases.row_dual = np.asarray(sol.row_dual, dtype=float)
                    bases.col_dual = np.asarray(sol.col_dual, dtype=float)
                    bases.cost = np.asarray(highs.getLp().col_cost_, dtype=float)
                if best is not None:
                    best.bound = max(best.bound, bound)
                x_lp = np.asarray(highs.getSolution().col_value, dtype=float)
                u_lp = np.where(present, x_lp[np.maximum(cols_grid, 0)], 0.0)
                rounded = (fn(data.onoff, data.dt, u_lp, th) for fn, th in ROUNDING_VARIANTS)
                schedules = itertools.chain(
                    [] if first_schedule is None else [first_schedule], rounded)
            else:
                bound = -math.inf
                fallback = [np.zeros(cols_grid.shape)]  # no shed: always within the rules
                schedules = iter(fallback if first_schedule is None
                                 else [first_schedule, *fallback])
            for u_int in schedules:
                if best is not None and best.gap() <= gap:
                    break
                if any(np.array_equal(u_int, s) for s in seen):
                    continue
                fixed_lp(u_int, bound)
        finally:
            highs.changeColsBounds(len(cols), cols, lower[cols], upper[cols])
    finally:
        highs.setOptionValue("solve_relaxation", False)
        highs.setOptionValue("presolve", presolve)
    return best


def _status(model_status: highspy.HighsModelStatus, run_status: highspy.HighsStatus) -> SolveStatus:
    ms = highspy.HighsModelStatus
    if model_status in (ms.kOptimal, ms.kModelEmpty):
        return SolveStatus.OPTIMAL
    if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return SolveStatus.INFEASIBLE
    limits = (
        ms.kTimeLimit,
        ms.kIterationLimit,
        ms.kSolutionLimit,
        ms.kInterrupt,
        ms.kObjectiveBound,
        ms.kObjectiveTarget,
    )
    if model_status in limits:
        return SolveStatus.TIME_LIMIT
    return SolveStatus.ERROR


def _set_options(highs: highspy.Highs, opts: SolveOptions) -> None:
    highs.setOptionValue("output_flag", bool(opts.log_to_console))
    allow_seconds(highs, opts.time_limit_s)
    highs.setOptionValue("mip_rel_gap", float(max(opts.mip_rel_gap, 0.0)))
    highs.setOptionValue("presolve", "on" if opts.presolve else "off")
    if opts.threads is not None:
        highs.setOptionValue("threads", int(opts.threads))


def _num(value: float | None, default: float) -> float:
    return default if value is None else float(value)
