"""Dispatch benchmark: Pyomo build/compile/solve/load-back against the same model in highspy.

Runs 10, 100 and 1,000 devices x 4, 24 and 96 intervals at the default MIP gap and prints
build, hand-off to HiGHS, HiGHS run, load-back and total times [s] next to the direct
highspy total (the same matrices built with numpy/scipy and passed straight to HiGHS).
Run: ``.venv/bin/python -m tests.benchmarks dispatch``.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import highspy
import numpy as np
from scipy import sparse

from ven.devices.model import (
    Battery,
    Building,
    CurtailableLoad,
    EvCharger,
    HvacZone,
    OnOffLoad,
    Participation,
    WaterHeater,
)
from ven.dispatch import DispatchInputs, SolveOptions, Weights, build_model, extract, solve
from ven.dispatch.modeldata import ModelData
from ven.dispatch.prepare import prepare
from ven.dispatch.solver import run_highs
from ven.instructions import EventSignal, PlanRequest, plan_request

START = datetime(2026, 7, 1, 12, tzinfo=UTC)
_INF = highspy.kHighsInf


def make_building(n_devices: int, seed: int = 0) -> Building:
    """A mixed commercial building of `n_devices` dispatchable devices (deterministic)."""
    rng = np.random.default_rng(seed)
    shifting = tuple(
        Participation.SHIFTING if 17 <= h < 19 else Participation.PARTICIPATION for h in range(24)
    )
    kinds = rng.choice(6, size=n_devices, p=[0.35, 0.25, 0.15, 0.08, 0.1, 0.07])
    devices = []
    for i, kind in enumerate(kinds.tolist()):
        prio = int(rng.integers(1, 11))
        rules = (
            shifting
            if rng.random() < 0.2
            else tuple(Participation.PARTICIPATION for _ in range(24))
        )
        common = {"id": f"d{i:04d}", "priority": prio, "participation": rules}
        if kind == 0:
            devices.append(
                OnOffLoad(
                    **common,
                    rated_kw=float(rng.uniform(1, 20)),
                    duty=float(rng.uniform(0.5, 1)),
                    min_shed_minutes=float(rng.choice([0, 30, 60])),
                    lockout_minutes=float(rng.choice([0, 0, 30])),
                    max_shed_minutes=float(rng.choice([60, 120, 240])),
                )
            )
        elif kind == 1:
            devices.append(
                CurtailableLoad(
                    **common,
                    rated_kw=float(rng.uniform(2, 30)),
                    max_reduction=float(rng.uniform(0.1, 0.5)),
                )
            )
        elif kind == 2:
            devices.append(
                HvacZone(
                    **common,
                    r_c_per_kw=float(rng.uniform(2, 8)),
                    c_kwh_per_c=float(rng.uniform(1, 5)),
                    max_kw=float(rng.uniform(3, 15)),
                    initial_c=22.0,
                )
            )
        elif kind == 3:
            devices.append(
                Battery(
                    **common,
                    capacity_kwh=float(rng.uniform(10, 100)),
                    max_charge_kw=float(rng.uniform(5, 30)),
                    max_discharge_kw=float(rng.uniform(5, 30)),
                )
            )
        elif kind == 4:
            devices.append(
                EvCharger(
                    **common,
                    max_kw=float(rng.choice([7.2, 11.0, 22.0])),
                    energy_needed_kwh=float(rng.uniform(10, 40)),
                    arrival_hour=8.0,
                    departure_hour=18.0,
                )
            )
        else:
            devices.append(
                WaterHeater(
                    **common,
                    volume_l=float(rng.uniform(100, 400)),
                    rated_kw=float(rng.uniform(3, 6)),
                    draw_l_per_h=tuple(float(rng.uniform(0, 30)) for _ in range(24)),
                )
            )
    return Building(
        id="bench",
        name="bench",
        base_load_kw=tuple(50.0 for _ in range(24)),
        devices=tuple(devices),
    )


def make_request(building: Building, n_intervals: int, share: float = 0.15) -> PlanRequest:
    """An event of `n_intervals` 15-min intervals (a quarter of them after the event)."""
    n_event = max(1, round(n_intervals * 0.75))
    rebound = timedelta(minutes=15 * (n_intervals - n_event))
    sig = EventSignal(
        name="LOAD_DISPATCH",
        type="delta",
        intervals=[(START, timedelta(minutes=15 * n_event), 1.0)],
    )
    req = plan_request([sig], building, 0.0, rebound=rebound)
    return req


def make_inputs(n_devices: int, n_intervals: int, seed: int = 0) -> DispatchInputs:
    """Inputs with a target of 15 % of the estimated device baseline during the event."""
    building = make_building(n_devices, seed)
    req = make_request(building, n_intervals)
    probe = prepare(DispatchInputs(building=building, request=req, outdoor_c=30.0), Weights())
    target = 0.15 * (probe.building_baseline - probe.base_load) * probe.in_event
    return DispatchInputs(building=building, request=req.with_target(target), outdoor_c=30.0)


# --- the same model written directly against highspy -------------------------------------


class _Columns:
    """Column allocator: blocks of columns with bounds, costs and integrality."""

    def __init__(self) -> None:
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n = 0

    def add(
        self, lower: np.ndarray, upper: np.ndarray, cost: np.ndarray, integer: bool = False
    ) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper), np.shape(cost))
        size = int(np.prod(shape)) if shape else 1
        self.lower.append(np.broadcast_to(lower, shape).ravel().astype(float))
        self.upper.append(np.broadcast_to(upper, shape).ravel().astype(float))
        self.cost.append(np.broadcast_to(cost, shape).ravel().astype(float))
        self.integer.append(np.full(size, integer))
        idx = np.arange(self.n, self.n + size).reshape(shape)
        self.n += size
        return idx


class _Rows:
    """Row accumulator in COO form."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

    def add(
        self,
        n: int,
        lo: np.ndarray,
        hi: np.ndarray,
        entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    ) -> None:
        """entries: (row offsets 0..n-1, columns, values) triples."""
        for r, c, v in entries:
            r, c, v = np.broadcast_arrays(np.asarray(r), np.asarray(c), np.asarray(v, dtype=float))
            self.r.append(r.ravel() + self.n)
            self.c.append(c.ravel())
            self.v.append(v.ravel())
        self.lo.append(np.broadcast_to(lo, (n,)).astype(float))
        self.hi.append(np.broadcast_to(hi, (n,)).astype(float))
        self.n += n


def _thermal_direct(
    cols: _Columns, rows: _Rows, td, weight: float, band: float, dt: np.ndarray
) -> np.ndarray:
    n, n_t = td.base.shape
    inside = weight * td.priority[:, None] * dt
    p = cols.add(td.p_lo, td.p_hi, np.zeros((n, n_t)))
    ai = cols.add(0.0, np.broadcast_to(td.band_above[:, None], (n, n_t)), inside)
    bi = cols.add(0.0, np.broadcast_to(td.band_below[:, None], (n, n_t)), inside)
    ao = cols.add(0.0, np.full((n, n_t), 60.0), inside + band * dt)
    bo = cols.add(0.0, np.full((n, n_t), 60.0), inside + band * dt)
    rid = np.arange(n * n_t).reshape(n, n_t)
    ent = [(rid, ai, 1.0), (rid, ao, 1.0), (rid, bi, -1.0), (rid, bo, -1.0), (rid, p, -td.gain)]
    if n_t > 1:
        k = -td.decay[:, 1:]
        r1 = rid[:, 1:]
        ent += [
            (r1, ai[:, :-1], k),
            (r1, ao[:, :-1], k),
            (r1, bi[:, :-1], -k),
            (r1, bo[:, :-1], -k),
        ]
    rows.add(n * n_t, td.drive.ravel(), td.drive.ravel(), ent)
    return p


def build_direct(data: ModelData) -> tuple[highspy.Highs, int, np.ndarray, np.ndarray, np.ndarray]:
    """Build the dispatch model's matrices with numpy/scipy and pass them to highspy."""
    w = data.weights
    dt = data.dt
    n_t = data.n_t
    cols, rows = _Columns(), _Rows()
    price_cost = -dt * data.price if data.has_price else np.zeros(n_t)
    shed = cols.add(np.full(n_t, -_INF), np.full(n_t, _INF), price_cost)
    short = cols.add(0.0, np.full(n_t, _INF), w.shortfall * dt * data.target_rows)
    excess = cols.add(0.0, np.full(n_t, _INF), w.rebound * dt * ~data.in_event)
    od = data.onoff
    u = cols.add(
        0.0, od.allowed, w.shed * od.priority[:, None] * od.base * dt * od.allowed, integer=True
    )
    timed = np.flatnonzero(od.timed)
    y = cols.add(0.0, np.ones((len(timed), n_t)), np.full((len(timed), n_t), w.switching))
    z = cols.add(0.0, np.ones((len(timed), n_t)), np.full((len(timed), n_t), w.switching))
    cd = data.curtail
    x = cols.add(0.0, cd.upper, w.shed * cd.priority[:, None] * dt * np.ones_like(cd.upper))
    hp = _thermal_direct(cols, rows, data.hvac, w.zone, w.comfort_band, dt)
    wp = _thermal_direct(cols, rows, data.water, w.tank, w.comfort_band, dt)
    bd = data.battery
    nb = len(bd.ids)
    c = cols.add(bd.c_lo, bd.c_hi, np.broadcast_to(w.battery_cycle * dt, (nb, n_t)))
    e = cols.add(bd.e_lo, bd.e_hi, np.broadcast_to(w.battery_cycle * dt, (nb, n_t)))
    soc = cols.add(bd.soc_lo, bd.soc_hi, np.zeros((nb, n_t)))
    bshort = cols.add(0.0, np.full(nb, _INF), np.full(nb, w.battery_terminal))
    ed = data.ev
    ne = len(ed.ids)
    ev = cols.add(ed.p_lo, ed.p_hi, np.zeros((ne, n_t)))
    eshort = cols.add(
        0.0, np.full(len(ed.sessions), _INF), np.full(len(ed.sessions), w.ev_departure)
    )
    delay = cols.add(0.0, np.full(ne, _INF), w.ev_delay * ed.priority)
    # building-shed-balance
    tt = np.arange(n_t)
    const = data.hvac.base.sum(0) + data.water.base.sum(0) + bd.base.sum(0) + ed.base.sum(0)
    ent = [(tt, shed, 1.0)]
    ent += [(np.broadcast_to(tt, u.shape), u, -od.base * (od.allowed > 0))]
    ent += [(np.broadcast_to(tt, x.shape), x, -1.0 * (cd.upper > 0))]
    for grid, sign in ((hp, 1.0), (wp, 1.0), (c, 1.0), (e, -1.0), (ev, 1.0)):
        ent.append((np.broadcast_to(tt, grid.shape), grid, sign))
    rows.add(n_t, const, const, ent)
    ev_t = np.flatnonzero(data.target_rows)
    rows.add(
        len(ev_t),
        data.target[ev_t],
        np.full(len(ev_t), _INF),
        [(np.arange(len(ev_t)), shed[ev_t], 1.0), (np.arange(len(ev_t)), short[ev_t], 1.0)],
    )
    post = np.flatnonzero(~data.in_event)
    free = -w.rebound_free * np.clip(data.building_baseline, 0, None)
    rows.add(
        len(post),
        free[post],
        np.full(len(post), _INF),
        [(np.arange(len(post)), shed[post], 1.0), (np.arange(len(post)), excess[post], 1.0)],
    )
    # on/off timing
    if len(timed):
        ut = u[timed]
        rid = np.arange(len(timed) * n_t).reshape(len(timed), n_t)
        init = od.shed_init[timed][:, None] * (tt == 0)
        ent = [(rid, y, 1.0), (rid, ut, -1.0), (rid[:, 1:], ut[:, :-1], 1.0)]
        rows.add(rid.size, (-init).ravel(), np.full(rid.size, _INF), ent)
        ent = [(rid, z, 1.0), (rid, ut, 1.0), (rid[:, 1:], ut[:, :-1], -1.0)]
        rows.add(rid.size, init.ravel(), np.full(rid.size, _INF), ent)
        pos = {int(i): k for k, i in enumerate(timed)}
        for windows, var, sign, hi in (
            (od.min_windows, y, -1.0, 0.0),
            (od.lockout_windows, z, 1.0, 1.0),
        ):
            if not windows:
                continue
            rr, cc, vv = [], [], []
            for r, (i, t, ks) in enumerate(windows):
                rr += [r] * (len(ks) + 1)
                cc += [int(var[pos[i], k]) for k in ks] + [int(u[i, t])]
                vv += [1.0] * len(ks) + [sign]
            rows.add(
                len(windows),
                np.full(len(windows), -_INF),
                np.full(len(windows), hi),
                [(np.array(rr), np.array(cc), np.array(vv))],
            )
    horizon = dt.sum()
    keep = (
        np.flatnonzero((od.max_shed_h < horizon) & od.allowed.any(axis=1))
        if len(od.ids)
        else np.zeros(0, int)
    )
    if len(keep):
        rid = np.broadcast_to(np.arange(len(keep))[:, None], (len(keep), n_t))
        rows.add(
            len(keep),
            np.full(len(keep), -_INF),
            od.max_shed_h[keep],
            [(rid, u[keep], np.broadcast_to(dt, (len(keep), n_t)))],
        )
    # battery
    if nb:
        rid = np.arange(nb * n_t).reshape(nb, n_t)
        ent = [(rid, soc, 1.0), (rid, c, -bd.eta_c[:, None] * dt), (rid, e, dt / bd.eta_d[:, None])]
        ent.append((rid[:, 1:], soc[:, :-1], -1.0))
        rhs = np.zeros((nb, n_t))
        rhs[:, 0] = bd.energy0
        rows.add(rid.size, rhs.ravel(), rhs.ravel(), ent)
        rows.add(
            nb,
            bd.terminal,
            np.full(nb, _INF),
            [(np.arange(nb), soc[:, -1], 1.0), (np.arange(nb), bshort, 1.0)],
        )
    # EV
    if ed.sessions:
        rr, cc, vv, need = [], [], [], []
        for s, (i, t0, t1, nd) in enumerate(ed.sessions):
            rr += [s] * (t1 - t0 + 2)
            cc += [int(k) for k in ev[i, t0 : t1 + 1]] + [int(eshort[s])]
            vv += [*(ed.efficiency[i] * dt[t0 : t1 + 1]).tolist(), 1.0]
            need.append(nd)
        rows.add(
            len(need),
            np.array(need),
            np.full(len(need), _INF),
            [(np.array(rr), np.array(cc), np.array(vv))],
        )
    keep = np.flatnonzero(ed.baseline_energy > 1e-9) if ne else np.zeros(0, int)
    if len(keep):
        rid = np.broadcast_to(np.arange(len(keep))[:, None], (len(keep), n_t))
        ent = [
            (rid, ev[keep], ed.efficiency[keep, None] * dt),
            (np.arange(len(keep)), delay[keep], 1.0),
        ]
        rows.add(len(keep), ed.baseline_energy[keep], np.full(len(keep), _INF), ent)
    a = sparse.csc_array(
        (np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))),
        shape=(rows.n, cols.n),
    )
    a.sum_duplicates()
    a.eliminate_zeros()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(
        cols.n,
        rows.n,
        int(a.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.concatenate(cols.cost),
        np.concatenate(cols.lower),
        np.concatenate(cols.upper),
        np.concatenate(rows.lo),
        np.concatenate(rows.hi),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
        np.concatenate(cols.integer).astype(np.int32),
    )
    return h, cols.n, u, np.concatenate(cols.lower), np.concatenate(cols.upper)


def run_direct(data: ModelData, options: SolveOptions) -> tuple[float, float, str, int]:
    """(total seconds, objective, status, columns) of the direct highspy path."""
    t0 = time.perf_counter()
    h, n, u, lower, upper = build_direct(data)
    h.setOptionValue("mip_rel_gap", options.mip_rel_gap)
    out = run_highs(h, data, u, lower, upper, options)
    total = time.perf_counter() - t0
    return total, out.objective, str(out.status), n


def _row(n_dev: int, n_t: int, options: SolveOptions) -> str:
    inputs = make_inputs(n_dev, n_t)
    t0 = time.perf_counter()
    model = build_model(inputs)
    build = time.perf_counter() - t0
    res = solve(model, options)
    t1 = time.perf_counter()
    plan = extract(model, res)
    load = res.timings.get("load", 0.0) + (time.perf_counter() - t1)
    tm = res.timings
    handoff = tm.get("compile", 0.0) + tm.get("handoff", 0.0)
    total = build + handoff + tm.get("run", 0.0) + load
    d_total, d_obj, _d_status, d_n = run_direct(model.data, options)
    pyomo_share = build + handoff + load
    same = (
        "yes"
        if math.isclose(d_obj, res.objective, rel_tol=2 * options.mip_rel_gap + 1e-6, abs_tol=1e-3)
        else f"{d_obj:.4g}"
    )
    run = tm.get("run", 0.0)
    ratio = pyomo_share / max(run, 1e-9)
    return (
        f"{n_dev:>6} {n_t:>4} {build:8.3f} {handoff:8.3f} {run:8.3f} {load:8.3f} {total:8.3f}"
        f" {d_total:8.3f} {ratio:7.2f} {res.n_vars:>8} {d_n:>8}"
        f" {res.status:>10} {res.mip_gap:7.4f} {plan.shortfall_kwh:8.2f} {same:>6}"
    )


def replan_check(n_dev: int = 100, n_t: int = 96) -> str:
    """Time a modified event (target +20 %) three ways on the same intervals.

    in place: update the Params, re-solve the loaded HiGHS model from the previous solution;
    recompile: update the Params, compile the same Pyomo model again, solve cold;
    rebuild: build a new model from the new request and solve it.
    """
    from ven.dispatch import update_request

    inputs = make_inputs(n_dev, n_t)
    model = build_model(inputs)
    first = solve(model)
    new = inputs.request.with_target(inputs.request.target_kw * 1.2)
    t0 = time.perf_counter()
    ok = update_request(model, new)
    again = solve(model, previous=first)
    in_place = time.perf_counter() - t0
    t1 = time.perf_counter()
    recompiled = solve(model)
    recompile = time.perf_counter() - t1
    t2 = time.perf_counter()
    model2 = build_model(DispatchInputs(building=inputs.building, request=new, outdoor_c=30.0))
    fresh = solve(model2)
    rebuilt = time.perf_counter() - t2
    return (
        f"replan {n_dev}x{n_t} (target +20 %, {ok=}): in place {in_place:.3f} s"
        f" ({again.status}, obj {again.objective:.3f}, gap {again.mip_gap:.4f});"
        f" recompile {recompile:.3f} s (obj {recompiled.objective:.3f});"
        f" rebuild {rebuilt:.3f} s ({fresh.status}, obj {fresh.objective:.3f},"
        f" gap {fresh.mip_gap:.4f})"
    )


def main() -> None:
    """Print the benchmark table."""
    warm = make_inputs(5, 4)
    solve(build_model(warm))  # import and first-call costs out of the table
    print(
        f"{'dev':>6} {'T':>4} {'build':>8} {'handoff':>8} {'highs':>8} {'load':>8} {'total':>8}"
        f" {'direct':>8} {'py/run':>7} {'vars':>8} {'d.vars':>8} {'status':>10} {'gap':>7}"
        f" {'short':>8} {'same':>6}"
    )
    for n_dev in (10, 100, 1000):
        limit = 20.0 if n_dev >= 1000 else 10.0
        options = SolveOptions(time_limit_s=limit)
        for n_t in (4, 24, 96):
            print(_row(n_dev, n_t, options), flush=True)
    print(
        "handoff = Pyomo standard-form compile + passModel; load = solution -> Pyomo vars + extract"
    )
    print(replan_check())


if __name__ == "__main__":
    main()
