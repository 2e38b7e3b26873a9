"""Constraints of the dispatch model, one ``define_*_constraints`` function per concern.

Every constraint is built from a ``LinearExpression`` of monomials (the fastest form for
Pyomo to build and to compile) and carries a structured name such as "battery-soc-balance".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from ven.dispatch.modeldata import ModelData, ThermalData

Row = tuple[object, LinearExpression, object]
"""(lower bound or None, linear body, upper bound or None)."""


def linear(terms: Iterable[tuple[float, VarData]]) -> LinearExpression:
    """sum(coef * var), dropping zero coefficients (a unit coefficient needs no monomial)."""
    return LinearExpression(
        [v if c == 1.0 else MonomialTermExpression((c, v)) for c, v in terms if c != 0.0]
    )


def _relation(row: Row) -> object:
    lower, body, upper = row
    if upper is None:
        return body >= lower
    if lower is None:
        return body <= upper
    if lower == upper:
        return body == upper
    return row


def add_rows(m: pyo.ConcreteModel, name: str, rows: Mapping[Hashable, Row]) -> None:
    """Add the indexed constraint `name` with one row per key of `rows`."""
    keys = list(rows)
    con = pyo.Constraint(
        keys, rule=lambda _m, *key: _relation(rows[key if len(key) > 1 else key[0]])
    )
    m.add_component(name, con)


def define_building_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """building-shed-balance, shed-target-slack and no-export-from-storage (event), and
    rebound-cap (after the event).

    building-shed = sum over devices of (baseline - planned power) [kW]; shed + shortfall >=
    target in event intervals with a positive target (elsewhere the load may rise, e.g. to
    pre-cool or charge on a price signal); after the event (the recovery window) shed +
    excess >= ``ModelData.rebound_floor``: the planned load stays at or below the no-event
    load plus ``rebound_free`` of it, or pays ``Weights.rebound`` per kWh above.

    no-export-from-storage: in event intervals with a shed target the planned net load
    (building baseline - shed) stays at or above max(0, the lower of target and baseline net
    load), in two soft rows: shed - export_excess <= max(baseline, 0) (no export: costs
    ``Weights.export`` per kWh) and shed - overshed <= target ("shed-beyond-target": costs
    ``Weights.overshed`` per kWh, above a battery's cycling cost and the cheapest discomfort,
    so a battery never discharges beyond the target, far below a shortfall). So the
    dispatchable resources, above all a battery discharging beyond the load, neither push
    the building into export nor shed far beyond the target. PV is uncontrolled: a baseline
    that already exports (negative) may stay so, only not be deepened. The baseline schedule
    always satisfies both rows. Price-only intervals (no target) have neither: there the
    price values every kWh, exported ones included.
    """
    v = m.vars
    n_t = data.n_t
    shed = v["building-shed"]
    terms: list[list[tuple[float, VarData]]] = [[(1.0, shed[t])] for t in range(n_t)]
    const = np.zeros(n_t)
    od = data.onoff
    for i, row in enumerate(v["onoff-shed"]):
        for t in np.flatnonzero(od.allowed[i]).tolist():
            terms[t].append((-float(od.base[i, t]), row[t]))
    cd = data.curtail
    for i, row in enumerate(v["curtail-reduction"]):
        for t in np.flatnonzero(cd.upper[i] > 0).tolist():
            terms[t].append((-1.0, row[t]))
    for prefix, td in (("hvac", data.hvac), ("water-heater", data.water)):
        for row in v[f"{prefix}-power"]:
            for t in range(n_t):
                terms[t].append((1.0, row[t]))
        const += td.base.sum(axis=0)
    for row in v["battery-charge"]:
        for t in range(n_t):
            terms[t].append((1.0, row[t]))
    for row in v["battery-discharge"]:
        for t in range(n_t):
            terms[t].append((-1.0, row[t]))
    const += data.battery.base.sum(axis=0)
    for row in v["ev-power"]:
        for t in range(n_t):
            terms[t].append((1.0, row[t]))
    const += data.ev.base.sum(axis=0)
    c = const.tolist()
    add_rows(m, "building-shed-balance", {t: (c[t], linear(terms[t]), c[t]) for t in range(n_t)})

    short = v["shed-shortfall"]
    event = np.flatnonzero(data.target_rows).tolist()
    target = m.component("shed-target")
    add_rows(
        m,
        "shed-target-slack",
        {t: (target[t], linear([(1.0, shed[t]), (1.0, short[t])]), None) for t in event},
    )
    base = np.asarray(data.building_baseline, dtype=float)
    caps = np.clip(base, 0, None).tolist()
    export, over = v["export-excess"], v["overshed"]
    add_rows(
        m,
        "no-export-from-storage",
        {t: (None, linear([(1.0, shed[t]), (-1.0, export[t])]), caps[t]) for t in event},
    )
    add_rows(
        m,
        "shed-beyond-target",
        {t: (None, linear([(1.0, shed[t]), (-1.0, over[t])]), target[t]) for t in event},
    )
    excess = v["rebound-excess"]
    free = data.rebound_floor.tolist()
    after = np.flatnonzero(~data.in_event).tolist()
    add_rows(
        m,
        "rebound-cap",
        {t: (free[t], linear([(1.0, shed[t]), (1.0, excess[t])]), None) for t in after},
    )


def define_onoff_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """onoff-shed-start, onoff-min-shed, onoff-shed-release, onoff-lockout, onoff-max-shed.

    start[t] >= u[t] - u[t-1]; a start forces the shed to last min_shed_minutes (a window of
    starts <= u[t]); release[t] >= u[t-1] - u[t]; a release forbids a shed for lockout_minutes
    (a window of releases + u[t] <= 1); sum(u * dt) <= max_shed_minutes / 60.
    """
    d = data.onoff
    u = m.vars["onoff-shed"]
    start = m.vars["onoff-start"]
    release = m.vars["onoff-release"]
    timed = m.timed_onoff
    pos = {i: k for k, i in enumerate(timed)}
    init = d.shed_init.tolist()
    n_t = data.n_t
    start_rows: dict[Hashable, Row] = {}
    release_rows: dict[Hashable, Row] = {}
    for k, i in enumerate(timed):
        dev = d.ids[i]
        ui, yi, zi = u[i], start[k], release[k]
        start_rows[dev, 0] = (-init[i], linear([(1.0, yi[0]), (-1.0, ui[0])]), None)
        release_rows[dev, 0] = (init[i], linear([(1.0, zi[0]), (1.0, ui[0])]), None)
        for t in range(1, n_t):
            start_rows[dev, t] = (
                0.0,
                linear([(1.0, yi[t]), (-1.0, ui[t]), (1.0, ui[t - 1])]),
                None,
            )
            release_rows[dev, t] = (
                0.0,
                linear([(1.0, zi[t]), (1.0, ui[t]), (-1.0, ui[t - 1])]),
                None,
            )
    add_rows(m, "onoff-shed-start", start_rows)
    add_rows(m, "onoff-shed-release", release_rows)
    add_rows(
        m,
        "onoff-min-shed",
        {
            (d.ids[i], t): (
                None,
                linear([*((1.0, start[pos[i]][k]) for k in ks), (-1.0, u[i][t])]),
                0.0,
            )
            for i, t, ks in d.min_windows
        },
    )
    add_rows(
        m,
        "onoff-lockout",
        {
            (d.ids[i], t): (
                None,
                linear([*((1.0, release[pos[i]][k]) for k in ks), (1.0, u[i][t])]),
                1.0,
            )
            for i, t, ks in d.lockout_windows
        },
    )
    horizon_h = float(data.dt.sum())
    dt = data.dt.tolist()
    add_rows(
        m,
        "onoff-max-shed",
        {
            d.ids[i]: (None, linear(zip(dt, u[i], strict=True)), float(d.max_shed_h[i]))
            for i in range(len(d.ids))
            if d.max_shed_h[i] < horizon_h and d.allowed[i].any()
        },
    )


def define_thermal_constraints(m: pyo.ConcreteModel, data: ThermalData, prefix: str) -> None:
    """`prefix`-thermal-balance: exact 1R1C step of the deviation from setpoint [°C], and
    `prefix`-recovery-debt-balance at the end of a recovery window.

    dev[t] = above-in + above-out - below-in - below-out;
    dev[t] - decay[t] * dev[t-1] - gain[t] * power[t] = drive[t];
    debt - sign * dev[T-1] >= -sign * reference (``ModelData.recovery_debt``).
    """
    v = m.vars
    p = v[f"{prefix}-power"]
    ai, ao = v[f"{prefix}-above-in"], v[f"{prefix}-above-out"]
    bi, bo = v[f"{prefix}-below-in"], v[f"{prefix}-below-out"]
    decay, gain, drive = data.decay.tolist(), data.gain.tolist(), data.drive.tolist()
    rows: dict[Hashable, Row] = {}
    for i, dev in enumerate(data.ids):
        a_i, ao_i, b_i, bo_i, p_i = ai[i], ao[i], bi[i], bo[i], p[i]
        for t in range(len(p_i)):
            terms = [
                (1.0, a_i[t]),
                (1.0, ao_i[t]),
                (-1.0, b_i[t]),
                (-1.0, bo_i[t]),
                (-gain[i][t], p_i[t]),
            ]
            if t > 0:
                k = -decay[i][t]
                terms += [(k, a_i[t - 1]), (k, ao_i[t - 1]), (-k, b_i[t - 1]), (-k, bo_i[t - 1])]
            rows[dev, t] = (drive[i][t], linear(terms), drive[i][t])
    add_rows(m, f"{prefix}-thermal-balance", rows)
    debt = m.data.recovery_debt(data)
    owed = v[f"{prefix}-recovery-debt"]
    last = data.base.shape[1] - 1
    add_rows(m, f"{prefix}-recovery-debt-balance", {
        data.ids[i]: (-s * ref, linear([(1.0, owed[k]), (-s, ai[i][last]), (-s, ao[i][last]),
                                        (s, bi[i][last]), (s, bo[i][last])]), None)
        for k, (i, s, ref) in enumerate(zip(debt.devices.tolist(), debt.sign.tolist(),
                                            debt.reference.tolist(), strict=True))})


def define_battery_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """battery-soc-balance and battery-terminal-soc.

    energy[t] = energy[t-1] + (eta_c * charge - discharge / eta_d) * dt [kWh];
    energy[T-1] + terminal_shortfall >= soc_terminal * capacity.
    """
    d = data.battery
    v = m.vars
    c, e, soc = v["battery-charge"], v["battery-discharge"], v["battery-energy"]
    dt = data.dt.tolist()
    rows: dict[Hashable, Row] = {}
    for i, dev in enumerate(d.ids):
        kc, kd = float(d.eta_c[i]), 1.0 / float(d.eta_d[i])
        for t in range(data.n_t):
            terms = [(1.0, soc[i][t]), (-kc * dt[t], c[i][t]), (kd * dt[t], e[i][t])]
            rhs = float(d.energy0[i]) if t == 0 else 0.0
            if t > 0:
                terms.append((-1.0, soc[i][t - 1]))
            rows[dev, t] = (rhs, linear(terms), rhs)
    add_rows(m, "battery-soc-balance", rows)
    short = v["battery-terminal-shortfall"]
    add_rows(
        m,
        "battery-terminal-soc",
        {
            dev: (float(d.terminal[i]), linear([(1.0, soc[i][-1]), (1.0, short[i])]), None)
            for i, dev in enumerate(d.ids)
            if data.n_t
        },
    )


def define_ev_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """ev-departure-energy per plug-in session and ev-delay-balance per charger.

    sum(efficiency * power * dt) over a session + shortfall >= energy still needed [kWh];
    delay >= energy the baseline delivers in the horizon - energy planned [kWh].
    """
    d = data.ev
    p = m.vars["ev-power"]
    short = m.vars["ev-departure-shortfall"]
    delay = m.vars["ev-delay"]
    dt = data.dt
    rows: dict[Hashable, Row] = {}
    for s, (i, t0, t1, need) in enumerate(d.sessions):
        coefs = (float(d.efficiency[i]) * dt[t0 : t1 + 1]).tolist()
        terms = [*zip(coefs, p[i][t0 : t1 + 1], strict=True), (1.0, short[s])]
        rows[s] = (need, linear(terms), None)
    add_rows(m, "ev-departure-energy", rows)
    add_rows(
        m,
        "ev-delay-balance",
        {
            dev: (
                float(d.baseline_energy[i]),
                linear(
                    [
                        *zip((float(d.efficiency[i]) * dt).tolist(), p[i], strict=True),
                        (1.0, delay[i]),
                    ]
                ),
                None,
            )
            for i, dev in enumerate(d.ids)
            if d.baseline_energy[i] > 1e-9
        },
    )


def device_shed_terms(
    m: pyo.ConcreteModel, data: ModelData
) -> dict[str, tuple[list[list[tuple[float, VarData]]], list[float]]]:
    """Per dispatchable device, its shed [kW] = baseline - planned power per interval, as
    (terms per interval, constant per interval): shed[t] = constant[t] + sum(terms[t]).

    The same sums make up "building-shed-balance".
    """
    v = m.vars
    n_t = data.n_t
    out: dict[str, tuple[list[list[tuple[float, VarData]]], list[float]]] = {}
    zero = [0.0] * n_t
    od = data.onoff
    for i, row in enumerate(v["onoff-shed"]):
        base = od.base[i].tolist()
        out[od.ids[i]] = (
            [[(base[t], row[t])] if od.allowed[i, t] else [] for t in range(n_t)], zero)
    cd = data.curtail
    for i, row in enumerate(v["curtail-reduction"]):
        out[cd.ids[i]] = ([[(1.0, row[t])] if cd.upper[i, t] > 0 else [] for t in range(n_t)],
                          zero)
    for prefix, td in (("hvac", data.hvac), ("water-heater", data.water)):
        for i, row in enumerate(v[f"{prefix}-power"]):
            out[td.ids[i]] = ([[(-1.0, row[t])] for t in range(n_t)], td.base[i].tolist())
    bd = data.battery
    charge, discharge = v["battery-charge"], v["battery-discharge"]
    for i, dev in enumerate(bd.ids):
        out[dev] = ([[(-1.0, charge[i][t]), (1.0, discharge[i][t])] for t in range(n_t)],
                    bd.base[i].tolist())
    ed = data.ev
    for i, row in enumerate(v["ev-power"]):
        out[ed.ids[i]] = ([[(-1.0, row[t])] for t in range(n_t)], ed.base[i].tolist())
    return out


def define_circuit_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """essential-circuit-no-shed and circuit-shed-positive.

    essential-circuit-no-shed (hard): every dispatchable device on an essential circuit sheds
    nothing in any interval: planned power = baseline [kW]. The baseline is always within a
    device's bounds, so this never makes a model infeasible; a target the other devices
    cannot meet is left to "shed-target-slack" (the shortfall).

    circuit-shed-positive: circuit-shed[c, t] >= sum of its devices' shed [kW]; with
    circuit-shed >= 0 and its tie-break cost, circuit-shed is the positive part of what the
    circuit sheds.
    """
    d = data.circuits
    shed = device_shed_terms(m, data)
    rows: dict[Hashable, Row] = {}
    for dev in d.essential:
        terms, base = shed[dev]
        for t in range(data.n_t):
            if terms[t]:
                rows[dev, t] = (-base[t], linear(terms[t]), -base[t])
    add_rows(m, "essential-circuit-no-shed", rows)
    grid = m.vars["circuit-shed"]
    positive: dict[Hashable, Row] = {}
    for k, circuit in enumerate(d.ids):
        for t in range(data.n_t):
            body = [(1.0, grid[k][t])]
            const = 0.0
            for dev in d.members[k]:
                terms, consts = shed[dev]
                body += [(-c, var) for c, var in terms[t]]
                const += consts[t]
            positive[circuit, t] = (const, linear(body), None)
    add_rows(m, "circuit-shed-positive", positive)
