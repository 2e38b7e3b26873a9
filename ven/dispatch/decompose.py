"""Large buildings: solve the dispatch by groups of devices and prove a gap with a Lagrangian bound.

Devices couple only through the building's shed (target, export floor, shed beyond target,
rebound cap), so the building is cut into groups of about ``group_size`` devices (a
non-essential circuit's devices stay together), each a small model built straight as
arrays (``direct.py``). Each group gets a share of the target and of the building baseline:

1. shares of the target in proportion to each group's largest possible shed per interval
   [kW], of the baseline in proportion to its devices' baseline;
2. each group's plan within its slice of time: LP relaxation (its shadow price of shed is
   kept), rounding of the on/off schedule (``solver.ROUNDING_VARIANTS``), LP with the
   binaries fixed; a group without a plan in time stays at baseline;
3. the target a group could not carry moves to groups with room left, in proportion to that
   room, and those plan again;
4. with time left (second_pass), the target is shared again, half way towards each group's
   response to the bound's price, and every group plans again; the better whole-building
   plan is kept, and its shadow prices give a new bound and response (``MAX_PASSES``).

The plan's objective is that of the whole building (its shed = the groups' sum). The lower
bound is the Lagrangian dual at the groups' median shadow price of shed per interval:
``sum_g min(cost_g + lambda * shed_g) + sum_t min_S(f_t(S) - lambda_t * S)`` with f_t the
building-level costs; every lambda gives a valid bound, so the gap reported is proven.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import highspy
import numpy as np

from ven.dispatch.direct import DirectModel, build_direct
from ven.dispatch.modeldata import (
    BatteryData,
    CircuitData,
    CurtailData,
    EvData,
    ModelData,
    OnOffData,
    ThermalData,
)
from ven.dispatch.solver import (
    ROUNDING_VARIANTS,
    SolveOptions,
    SolveResult,
    SolveStatus,
    allow_seconds,
)

__all__ = ["DEFAULT_GROUP_SIZE", "DecomposedSolution", "solve_decomposed"]

DEFAULT_GROUP_SIZE = 30
"""Devices per group: HiGHS's time grows much faster than linearly with the model's size."""

GROUP_VARIANTS = 1
"""Rounding variants tried per group (each one more LP): the building's gap is dominated by
the split of the target between groups, not by the last percent of a group's rounding."""

MAX_PASSES = 4
"""Passes of group plans at most (the first one and the re-shared ones, step 4)."""

_INF = highspy.kHighsInf
_KINDS = ("onoff", "curtail", "hvac", "water", "battery", "ev")
_SLACKS = ("shed-shortfall", "rebound-excess", "export-excess", "overshed", "building-shed")


@dataclass(slots=True)
class DecomposedSolution:
    """The result with the solution by component name (global device order) and per-step times."""

    result: SolveResult
    values: dict[str, np.ndarray]
    n_groups: int
    timings: dict[str, float]


KindData = OnOffData | CurtailData | ThermalData | BatteryData | EvData


def _kind_data(data: ModelData, kind: str) -> KindData:
    kinds: dict[str, KindData] = {"onoff": data.onoff, "curtail": data.curtail,
                                  "hvac": data.hvac, "water": data.water,
                                  "battery": data.battery, "ev": data.ev}
    return kinds[kind]


_K = TypeVar("_K", OnOffData, CurtailData, ThermalData, BatteryData, EvData)


def _pick(obj: _K, idx: np.ndarray, **extra: Any) -> _K:
    """`obj` restricted to the devices at positions `idx` (its per-device arrays and ids)."""
    n = len(obj.ids)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        val = getattr(obj, f.name)
        if f.name == "ids":
            fields[f.name] = [val[i] for i in idx]
        elif isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == n:
            fields[f.name] = val[idx]
    return dataclasses.replace(obj, **fields, **extra)


def _capacity(data: ModelData) -> dict[str, np.ndarray]:
    """Largest shed per device and interval [kW] by kind (ignores energy limits), >= 0."""
    od, cd, bd, ed = data.onoff, data.curtail, data.battery, data.ev
    out = {
        "onoff": od.base * od.allowed,
        "curtail": cd.upper,
        "hvac": data.hvac.base - data.hvac.p_lo,
        "water": data.water.base - data.water.p_lo,
        "battery": bd.base - bd.c_lo + bd.e_hi,
        "ev": ed.base - ed.p_lo,
    }
    return {k: np.clip(np.nan_to_num(v), 0, None) for k, v in out.items()}


def partition(data: ModelData, group_size: int) -> list[dict[str, np.ndarray]]:
    """Groups of device positions per kind; a non-essential circuit's devices share a group.

    Units (a circuit's devices, or one device) are dealt round-robin by kind and size, so the
    groups are alike (which keeps their shadow prices, and so the bound, close).
    """
    where: dict[str, tuple[str, int]] = {}
    for kind in _KINDS:
        for i, dev in enumerate(_kind_data(data, kind).ids):
            where[dev] = (kind, i)
    cap = _capacity(data)
    taken: set[str] = set()
    units: list[list[tuple[str, int]]] = []
    for members in data.circuits.members:
        unit = [where[d] for d in members if d in where and d not in taken]
        taken.update(members)
        if unit:
            units.append(unit)
    for dev, pos in where.items():
        if dev not in taken:
            units.append([pos])

    def order(unit: list[tuple[str, int]]) -> tuple[int, float]:
        kind = unit[0][0]
        return (_KINDS.index(kind), -float(sum(cap[k][j].mean() for k, j in unit)))

    units.sort(key=order)
    n_groups = max(1, math.ceil(len(where) / max(group_size, 1)))
    groups: list[dict[str, list[int]]] = [{k: [] for k in _KINDS} for _ in range(n_groups)]
    sizes = [0] * n_groups
    for unit in units:
        g = int(np.argmin(sizes)) if len(unit) > 1 else min(range(n_groups), key=sizes.__getitem__)
        for kind, i in unit:
            groups[g][kind].append(i)
        sizes[g] += len(unit)
    out = [{k: np.array(sorted(v), dtype=int) for k, v in grp.items()} for grp in groups
           if any(len(v) for v in grp.values())]
    return out or [{k: np.zeros(0, dtype=int) for k in _KINDS}]


def _remap(windows: list[tuple[int, int, list[int]]], keep: np.ndarray
           ) -> list[tuple[int, int, list[int]]]:
    new = {int(i): j for j, i in enumerate(keep)}
    return [(new[i], t, ks) for i, t, ks in windows if i in new]


def subset(data: ModelData, group: dict[str, np.ndarray], share: np.ndarray,
           baseline_share: np.ndarray) -> ModelData:
    """The model data of one group: its devices, `share` of the target and `baseline_share`
    of the building baseline per interval [fraction]."""

    od = data.onoff
    onoff = _pick(od, group["onoff"], min_windows=_remap(od.min_windows, group["onoff"]),
                  lockout_windows=_remap(od.lockout_windows, group["onoff"]))
    ed = data.ev
    new_ev = {int(i): j for j, i in enumerate(group["ev"])}
    ev = _pick(ed, group["ev"], sessions=[(new_ev[i], a, b, need)
                                          for i, a, b, need in ed.sessions if i in new_ev])
    curtail = _pick(data.curtail, group["curtail"])
    hvac = _pick(data.hvac, group["hvac"])
    water = _pick(data.water, group["water"])
    battery = _pick(data.battery, group["battery"])
    ids = {*onoff.ids, *ev.ids, *curtail.ids, *hvac.ids, *water.ids, *battery.ids}
    cc = data.circuits
    keep = [j for j, members in enumerate(cc.members) if set(members) <= ids]
    circuits = CircuitData(
        ids=[cc.ids[j] for j in keep],
        priority=cc.priority[keep] if len(cc.priority) else cc.priority,
        members=[cc.members[j] for j in keep],
        essential=[d for d in cc.essential if d in ids],
    )
    return dataclasses.replace(
        data,
        target=data.target * share,
        building_baseline=data.building_baseline * baseline_share,
        no_event=None if data.no_event is None else data.no_event * baseline_share,
        base_load=data.base_load * baseline_share,
        pv=data.pv * baseline_share,
        onoff=onoff,
        curtail=curtail,
        hvac=hvac,
        water=water,
        battery=battery,
        ev=ev,
        circuits=circuits,
        notes=[],
    )


def _restore(model: DirectModel, target: np.ndarray) -> None:
    """Give a group its event rows back with shed `target` [kW], and shed its own costs."""
    h = model.highs
    d = model.data
    cap = np.clip(d.building_baseline, 0, None)
    free = d.rebound_floor
    bounds = {
        "shed-target-slack": (target, np.full(d.n_t, _INF)),
        "shed-beyond-target": (np.full(d.n_t, -_INF), target),
        "no-export-from-storage": (np.full(d.n_t, -_INF), cap),
        "rebound-cap": (free, np.full(d.n_t, _INF)),
    }
    for name, (lo, hi) in bounds.items():
        rows = model.rows[name]
        ts = np.flatnonzero(rows >= 0)
        for t in ts.tolist():
            h.changeRowBounds(int(rows[t]), float(lo[t]), float(hi[t]))
    cols = model.grids["building-shed"].astype(np.int32)
    h.changeColsCost(len(cols), cols, model.cost[cols])


def _building_cost(data: ModelData, shed: np.ndarray) -> np.ndarray:
    """f_t(S): the building-level cost per interval of shedding `shed` [kW] (objective units)."""
    w, dt = data.weights, data.dt
    ev = data.target_rows
    post = ~data.in_event
    cap = np.clip(data.building_baseline, 0, None)
    free = data.rebound_floor
    cost = -dt * data.price * shed if data.has_price else np.zeros_like(shed)
    cost = cost + ev * dt * (
        w.shortfall * np.clip(data.target - shed, 0, None)
        + w.export * np.clip(shed - cap, 0, None)
        + w.overshed * np.clip(shed - data.target, 0, None)
    )
    return cost + post * dt * w.rebound * np.clip(free - shed, 0, None)


def _shed_floor_by_kind(data: ModelData) -> dict[str, np.ndarray]:
    """Smallest shed per device and interval [kW] by kind (most negative: charging, heating)."""
    bd, ed = data.battery, data.ev
    return {
        "onoff": np.zeros_like(data.onoff.base),
        "curtail": np.zeros_like(data.curtail.base),
        "hvac": data.hvac.base - data.hvac.p_hi,
        "water": data.water.base - data.water.p_hi,
        "battery": bd.base - bd.c_hi + bd.e_lo,
        "ev": ed.base - ed.p_hi,
    }


def _lambda_range(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """The multipliers for which min_S(f_t(S) - lambda_t * S) is finite."""
    w, dt = data.weights, data.dt
    ev = data.target_rows.astype(float)
    post = (~data.in_event).astype(float)
    p = dt * data.price if data.has_price else np.zeros(data.n_t)
    lo = -p - w.shortfall * dt * ev - w.rebound * dt * post
    hi = -p + (w.export + w.overshed) * dt * ev
    return lo, hi


def _building_dual(data: ModelData, lam: np.ndarray) -> float:
    """sum_t min_S(f_t(S) - lam_t * S): at the breakpoints of f_t (lam within range)."""
    cap = np.clip(data.building_baseline, 0, None)
    free = data.rebound_floor
    points = np.vstack([data.target, cap, free, np.zeros(data.n_t)])
    vals = np.vstack([_building_cost(data, s) - lam * s for s in points])
    return float(vals.min(axis=0).sum())


def _device_cost(model: DirectModel, x: np.ndarray) -> float:
    keep = np.ones(len(x), dtype=bool)
    for name in _SLACKS:
        keep[model.grids[name].ravel()] = False
    return float(model.cost[keep] @ x[keep])


def _lp(model: DirectModel, deadline: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    """LP relaxation: (solution, row duals) or (None, None) when it did not finish."""
    h = model.highs
    h.setOptionValue("solve_relaxation", True)  # the binaries are continuous in [0, 1]
    allow_seconds(h, deadline - time.perf_counter())
    try:
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, None
        sol = h.getSolution()
        return np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_dual, dtype=float)
    finally:
        h.setOptionValue("solve_relaxation", False)


def _priced(model: DirectModel, lam: np.ndarray, deadline: float
            ) -> tuple[float, np.ndarray | None]:
    """min(device costs + lam * group shed) of a group's LP relaxation, and its solution
    (-inf, None when unfinished). Leaves the event rows free: ``_restore`` undoes it."""
    h = model.highs
    for rows in model.rows.values():
        for r in rows[rows >= 0].tolist():
            h.changeRowBounds(int(r), -_INF, _INF)
    cols = model.grids["building-shed"].astype(np.int32)
    h.changeColsCost(len(cols), cols, lam.astype(float))
    x, _ = _lp(model, deadline)
    if x is None:
        return -math.inf, None
    return float(h.getInfo().objective_function_value), x


def solve_decomposed(data: ModelData, options: SolveOptions | None = None,
                     group_size: int = DEFAULT_GROUP_SIZE, *,
                     second_pass: bool = True) -> DecomposedSolution:
    """Plan `data` group by group (see the module docstring); never raises on a bad group.

    second_pass: step 4 of the module docstring, while the time left is more than 1.5 times
    the first pass (each pass costs about as much as the first).

    A group whose plan is not found keeps its devices at baseline (its target share shows
    as shortfall) and enters the bound through its range of shed. The status is optimal when
    the proven gap is within ``mip_rel_gap``, feasible otherwise.
    """
    opts = options or SolveOptions()
    t0 = time.perf_counter()
    deadline = t0 + max(opts.time_limit_s, 0.0)
    timings: dict[str, float] = {}
    groups = partition(data, group_size)
    cap = _capacity(data)
    group_cap = np.array([sum(cap[k][g[k]].sum(axis=0) for k in _KINDS) for g in groups])
    group_cap = group_cap.reshape(len(groups), data.n_t)
    by_kind = _shed_floor_by_kind(data)
    floor = np.array([sum(by_kind[k][g[k]].sum(axis=0) for k in _KINDS) for g in groups])
    floor = floor.reshape(len(groups), data.n_t)

    total_cap = group_cap.sum(axis=0)
    even = np.full(len(groups), 1.0 / len(groups))[:, None]
    share = np.where(total_cap > 1e-9, group_cap / np.where(total_cap > 1e-9, total_cap, 1.0),
                     even)
    dev_base = [sum(np.clip(_kind_data(data, k).base[g[k]], 0, None).sum(axis=0) for k in _KINDS)
                for g in groups]
    dev_total = np.sum(dev_base, axis=0)
    bshare = np.array([np.where(dev_total > 1e-9, b / np.where(dev_total > 1e-9, dev_total, 1.0),
                                1.0 / len(groups)) for b in dev_base]).reshape(share.shape)
    subs = [subset(data, g, share[j], bshare[j]) for j, g in enumerate(groups)]
    models = [build_direct(s, threads=opts.threads) for s in subs]
    t1 = time.perf_counter()
    timings["build"] = t1 - t0

    for m in models:  # small LPs: serial dual simplex without presolve is fastest
        m.highs.setOptionValue("presolve", "off")
        m.highs.setOptionValue("simplex_strategy", 1)

    # 1: each group's plan under capacity shares (LP relaxation, rounding, fixed LP); the
    # relaxations' shadow prices of shed make the bound
    targets = share * data.target
    xs: list[np.ndarray | None] = [None] * len(models)
    duals: list[np.ndarray] = []
    plan_deadline = t1 + 0.9 * max(deadline - t1, 0.0)
    for j, m in enumerate(models):
        xs[j], y = _plan_group(m, opts, plan_deadline)
        if y is not None:
            duals.append(y)
    t3 = time.perf_counter()
    timings["plan"] = t3 - t1

    # 2: the target a group could not carry moves to groups with room, which plan again
    short = np.array([x[m.grids["shed-shortfall"]] if x is not None else targets[j]
                      for j, (m, x) in enumerate(zip(models, xs, strict=True))])
    moved = short.sum(axis=0)
    if moved.max(initial=0.0) > 1e-3 and len(models) > 1:
        room = np.array([np.clip(group_cap[j] - x[m.grids["building-shed"]], 0, None)
                         if x is not None else np.zeros(data.n_t)
                         for j, (m, x) in enumerate(zip(models, xs, strict=True))])
        room *= short < 1e-6
        spread = np.where(room.sum(axis=0) > 1e-9, room / np.maximum(room.sum(axis=0), 1e-9), 0.0)
        new_targets = np.where(moved > 1e-6, targets - short + moved * spread, targets)
        redo = [j for j in range(len(models)) if not np.allclose(new_targets[j], targets[j])]
        for j in redo:
            m = models[j]
            _restore(m, new_targets[j])
            x, _ = _plan_group(m, opts, deadline)
            if x is not None:
                xs[j] = x
        targets = new_targets
    t4 = time.perf_counter()
    timings["rebalance"] = t4 - t3

    # the whole building's plan and objective
    values = _assemble(data, groups, models, xs)
    shed_total = values["building-shed"]
    upper = sum(_device_cost(m, x if x is not None else _baseline_x(m))
                for m, x in zip(models, xs, strict=True))
    upper += float(_building_cost(data, shed_total).sum())

    # 3: the bound: Lagrangian dual at the groups' median shadow price of shed (any price
    # gives a valid bound); one LP per group, warm from its last basis. A group whose LP
    # does not finish in time counts with the bound its shed range gives (device costs >= 0)
    lower, response = _bound(data, models, duals, group_cap, floor, deadline)
    t5 = time.perf_counter()
    timings["bound"] = t5 - t4

    # 4: with time left, share the target again by the groups' response to that price (half
    # way from the shares used) and plan again, keeping the better whole-building plan; the
    # new shadow prices give a new bound and response, up to MAX_PASSES times
    plan_s = t3 - t1
    for _ in range(MAX_PASSES - 1 if second_pass and len(models) > 1 else 0):
        gap = max(upper - lower, 0.0) / max(abs(upper), 1e-9)
        if (response is None or gap <= opts.mip_rel_gap
                or deadline - time.perf_counter() <= 1.5 * plan_s):
            break
        total = response.sum(axis=0)
        wanted = np.where(total > 1e-6, response / np.maximum(total, 1e-6), 0.0) * data.target
        trial = np.where(total > 1e-6, 0.5 * targets + 0.5 * wanted, targets)
        xs2: list[np.ndarray | None] = []
        duals2: list[np.ndarray] = []
        for j, m in enumerate(models):
            _restore(m, trial[j])
            x2, y2 = _plan_group(m, opts, deadline)
            xs2.append(x2 if x2 is not None else xs[j])
            if y2 is not None:
                duals2.append(y2)
        values2 = _assemble(data, groups, models, xs2)
        upper2 = sum(_device_cost(m, x if x is not None else _baseline_x(m))
                     for m, x in zip(models, xs2, strict=True))
        upper2 += float(_building_cost(data, values2["building-shed"]).sum())
        improved = upper2 < upper - 1e-6 * abs(upper)
        if improved:
            xs, values, upper, targets = xs2, values2, upper2, trial
        response = None
        if duals2 and deadline - time.perf_counter() > 0.5 * plan_s:
            lower2, response = _bound(data, models, duals2, group_cap, floor, deadline)
            lower = max(lower, lower2)
        if not improved:
            break
    t6 = time.perf_counter()
    timings["refine"] = t6 - t5
    timings["run"] = t6 - t1
    gap = max(upper - lower, 0.0) / max(abs(upper), 1e-9) if math.isfinite(lower) else math.inf
    if not math.isfinite(gap):
        status = SolveStatus.TIME_LIMIT
    elif gap <= opts.mip_rel_gap:
        status = SolveStatus.OPTIMAL
    else:
        status = SolveStatus.FEASIBLE
    missing = sum(x is None for x in xs)
    message = (f"decomposed into {len(models)} groups; proven gap {gap:.4f}"
               + (f"; {missing} groups without a plan (kept at baseline)" if missing else ""))
    result = SolveResult(
        status=status,
        has_solution=True,
        objective=upper,
        mip_gap=gap,
        message=message,
        n_vars=sum(len(m.cost) for m in models),
        n_rows=sum(m.n_rows for m in models),
        n_binaries=int(sum(m.integrality.sum() for m in models)),
        timings={"compile": 0.0, "handoff": timings["build"], "run": timings["run"],
                 "load": 0.0},
    )
    return DecomposedSolution(result, values, len(models), timings)


def _plan_group(model: DirectModel, opts: SolveOptions, deadline: float
                ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Plan one group by `deadline`: (solution, shadow price of shed), None where unfinished.

    The LP relaxation gives the shadow price and the on/off schedule to round (the rounding
    variants of ``solver.ROUNDING_VARIANTS`` in turn, until one is within the MIP gap of the
    group's LP bound); with the binaries fixed, one more LP completes the plan.
    """
    # no even slices of the time: a group cut off mid-LP wastes all of it, so each group runs
    # to its end and the ones the deadline leaves out stay at baseline
    stop = deadline
    x_lp, y = _lp(model, stop)
    if x_lp is None or y is None:
        return None, None
    h = model.highs
    bound = float(h.getInfo().objective_function_value)
    grid = model.onoff_columns
    d = model.data
    cols = grid.ravel().astype(np.int32)
    best: tuple[float, np.ndarray] | None = None
    if not len(cols):
        return x_lp, y[model.balance_rows]
    u_lp = x_lp[grid]
    try:
        seen: list[np.ndarray] = []
        for fn, threshold in ROUNDING_VARIANTS[:GROUP_VARIANTS]:
            u_int = fn(d.onoff, d.dt, u_lp, threshold)
            if any(np.array_equal(u_int, s) for s in seen):
                continue
            seen.append(u_int)
            fixed = u_int.ravel().astype(float)
            h.changeColsBounds(len(cols), cols, fixed, fixed)
            allow_seconds(h, stop - time.perf_counter())
            h.setOptionValue("solve_relaxation", True)  # an LP, warm from the relaxation's basis
            h.run()
            h.setOptionValue("solve_relaxation", False)
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                obj = float(h.getInfo().objective_function_value)
                if best is None or obj < best[0]:
                    best = (obj, np.asarray(h.getSolution().col_value, dtype=float))
            if best is not None and (best[0] - bound <= opts.mip_rel_gap * max(abs(best[0]), 1e-9)
                                     or time.perf_counter() >= stop):
                break
    finally:
        h.changeColsBounds(len(cols), cols, model.lower[cols], model.upper[cols])
    return (None if best is None else best[1]), y[model.balance_rows]


def _bound(data: ModelData, models: list[DirectModel], duals: list[np.ndarray],
           group_cap: np.ndarray, floor: np.ndarray, deadline: float
           ) -> tuple[float, np.ndarray | None]:
    """The Lagrangian bound at the median of `duals` and each group's shed at that price.

    A group whose priced LP does not finish counts with min(lambda * shed) over its range of
    shed [`floor`, `group_cap`] (its device costs are >= 0); its response is then 0.
    """
    lo, hi = _lambda_range(data)
    lam = np.clip(np.median(duals, axis=0), lo, hi) if duals else np.clip(0.0, lo, hi)
    lower = _building_dual(data, lam)
    response = np.zeros((len(models), data.n_t))
    stop = max(deadline, time.perf_counter() + 0.05 * len(models))
    for j, m in enumerate(models):
        value, x = _priced(m, lam, stop) if duals else (-math.inf, None)
        if x is not None:
            response[j] = np.clip(x[m.grids["building-shed"]], 0, None)
        if not math.isfinite(value):
            value = float(np.minimum(lam * group_cap[j], lam * floor[j]).sum())
        lower += value
    return lower, (response if duals else None)


def _assemble(data: ModelData, groups: list[dict[str, np.ndarray]], models: list[DirectModel],
              xs: list[np.ndarray | None]) -> dict[str, np.ndarray]:
    """The groups' solutions in the whole building's device order; a group without a
    solution stays at its baseline."""
    n_t = data.n_t
    names = {
        "onoff": ["onoff-shed"],
        "curtail": ["curtail-reduction"],
        "hvac": [f"hvac-{p}" for p in ("power", "above-in", "above-out", "below-in", "below-out")],
        "water": [f"water-heater-{p}" for p in
                  ("power", "above-in", "above-out", "below-in", "below-out")],
        "battery": ["battery-charge", "battery-discharge", "battery-energy"],
        "ev": ["ev-power"],
    }
    values: dict[str, np.ndarray] = {}
    for kind, comp in names.items():
        n = len(_kind_data(data, kind).ids)
        for name in comp:
            values[name] = np.zeros((n, n_t))
    values["building-shed"] = np.zeros(n_t)
    for g, m, x in zip(groups, models, xs, strict=True):
        if x is None:
            x = _baseline_x(m)
        shed_g = x[m.grids["building-shed"]]
        values["building-shed"] += shed_g
        for kind, comp in names.items():
            for name in comp:
                values[name][g[kind]] = x[m.grids[name]]
    return values


def _baseline_x(model: DirectModel) -> np.ndarray:
    """A column vector that keeps every device of the group at its baseline."""
    from ven.dispatch.results import simulate_thermal

    d = model.data
    x = np.zeros(len(model.cost))
    g = model.grids
    for prefix, td in (("hvac", d.hvac), ("water-heater", d.water)):
        x[g[f"{prefix}-power"]] = td.base
        dev = simulate_thermal(td, td.base) - td.setpoint[:, None]
        above, below = np.clip(dev, 0, None), np.clip(-dev, 0, None)
        x[g[f"{prefix}-above-in"]] = np.minimum(above, td.band_above[:, None])
        x[g[f"{prefix}-below-in"]] = np.minimum(below, td.band_below[:, None])
        x[g[f"{prefix}-above-out"]] = above - x[g[f"{prefix}-above-in"]]
        x[g[f"{prefix}-below-out"]] = below - x[g[f"{prefix}-below-in"]]
    x[g["battery-charge"]] = np.clip(d.battery.base, 0, None)
    x[g["battery-discharge"]] = np.clip(-d.battery.base, 0, None)
    flow = (d.battery.eta_c[:, None] * x[g["battery-charge"]]
            - x[g["battery-discharge"]] / d.battery.eta_d[:, None]) * d.dt
    x[g["battery-energy"]] = d.battery.energy0[:, None] + np.cumsum(flow, axis=1)
    x[g["ev-power"]] = d.ev.base
    return x
