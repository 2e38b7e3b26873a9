"""The dispatch model written straight as standard-form arrays (numpy/scipy -> highspy), no Pyomo.

The same columns, rows and costs as ``build.build_from_data`` (Pyomo), assembled column-block
by row-block from the ModelData arrays in milliseconds. ``DirectModel.grids`` maps each Pyomo
component name ("onoff-shed", "hvac-power", ...) to the column indices of its grid, so the
solution reads back into the same per-component arrays that ``results.extract_values`` takes.
Used where building the Pyomo model would cost more than solving it (``decompose``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from ven.dispatch.modeldata import ModelData, ThermalData

_INF = highspy.kHighsInf
_BIG_C = 60.0  # bound of the out-of-band temperature parts [°C], as in variables.py

__all__ = ["DirectModel", "build_direct"]


class _Columns:
    """Column allocator: blocks of columns with bounds, costs and integrality."""

    def __init__(self) -> None:
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.n = 0

    def add(self, shape: tuple[int, ...], lower: object, upper: object, cost: object,
            integer: bool = False) -> np.ndarray:
        size = int(np.prod(shape)) if shape else 1
        self.lower.append(np.broadcast_to(np.asarray(lower, float), shape).ravel().copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, float), shape).ravel().copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, float), shape).ravel().copy())
        self.integer.append(np.full(size, integer))
        idx = np.arange(self.n, self.n + size).reshape(shape)
        self.n += size
        return idx


class _Rows:
    """Row accumulator in COO form; ``add`` returns the new rows' indices."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

    def add(self, n: int, lo: object, hi: object,
            entries: list[tuple[object, object, object]]) -> np.ndarray:
        """entries: (row offsets 0..n-1, columns, values) triples, broadcast together."""
        for r, c, v in entries:
            rr, cc, vv = np.broadcast_arrays(
                np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64),
                np.asarray(v, dtype=float),
            )
            self.r.append(rr.ravel() + self.n)
            self.c.append(cc.ravel())
            self.v.append(vv.ravel())
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        out = np.arange(self.n, self.n + n)
        self.n += n
        return out


@dataclass(slots=True)
class DirectModel:
    """A dispatch model loaded into HiGHS, with the column grid of every component.

    rows: row indices of the event rows ("shed-target-slack", "shed-beyond-target",
    "no-export-from-storage", "rebound-cap") by interval, -1 where a row is absent;
    balance_rows: the rows of "building-shed-balance" by interval.
    slack_columns: the building-level slack columns (shortfall, rebound, export, overshed).
    """

    data: ModelData
    highs: highspy.Highs
    grids: dict[str, np.ndarray]
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integrality: np.ndarray
    n_rows: int
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    balance_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def onoff_columns(self) -> np.ndarray:
        """Column of each on/off binary (devices, intervals)."""
        return self.grids["onoff-shed"]

    def values(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """The solution `x` by component name, each in its grid's shape."""
        return {name: x[cols] for name, cols in self.grids.items()}


def _thermal(cols: _Columns, rows: _Rows, data: ModelData, td: ThermalData, prefix: str,
             weight: float, band: float, grids: dict[str, np.ndarray]) -> None:
    dt = data.dt
    n, n_t = td.base.shape
    inside = weight * td.priority[:, None] * dt[None, :]
    shape = (n, n_t)
    p = cols.add(shape, td.p_lo, td.p_hi, 0.0)
    ai = cols.add(shape, 0.0, td.band_above[:, None], inside)
    bi = cols.add(shape, 0.0, td.band_below[:, None], inside)
    ao = cols.add(shape, 0.0, _BIG_C, inside + band * dt[None, :])
    bo = cols.add(shape, 0.0, _BIG_C, inside + band * dt[None, :])
    debt = data.recovery_debt(td)
    owed = cols.add((len(debt.devices),), 0.0, _INF, debt.cost)
    grids[f"{prefix}-recovery-debt"] = owed
    grids[f"{prefix}-power"] = p
    grids[f"{prefix}-above-in"], grids[f"{prefix}-below-in"] = ai, bi
    grids[f"{prefix}-above-out"], grids[f"{prefix}-below-out"] = ao, bo
    rid = np.arange(n * n_t).reshape(shape)
    ent: list[tuple[object, object, object]] = [
        (rid, ai, 1.0), (rid, ao, 1.0), (rid, bi, -1.0), (rid, bo, -1.0), (rid, p, -td.gain),
    ]
    if n_t > 1:
        k = -td.decay[:, 1:]
        r1 = rid[:, 1:]
        ent += [(r1, ai[:, :-1], k), (r1, ao[:, :-1], k), (r1, bi[:, :-1], -k),
                (r1, bo[:, :-1], -k)]
    rows.add(n * n_t, td.drive.ravel(), td.drive.ravel(), ent)
    if len(debt.devices):
        k, i, s = np.arange(len(debt.devices)), debt.devices, debt.sign
        rows.add(len(k), -s * debt.reference, _INF,
                 [(k, owed, 1.0), (k, ai[i, -1], -s), (k, ao[i, -1], -s), (k, bi[i, -1], s),
                  (k, bo[i, -1], s)])


def _device_shed(data: ModelData, grids: dict[str, np.ndarray]
                 ) -> dict[str, tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]]:
    """Per device: shed[t] = const[t] + sum(coef[t] * column[t]) as ([(columns, coefs)], const)."""
    n_t = data.n_t
    zero = np.zeros(n_t)
    out: dict[str, tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]] = {}
    od, cd = data.onoff, data.curtail
    for i, dev in enumerate(od.ids):
        out[dev] = ([(grids["onoff-shed"][i], od.base[i] * (od.allowed[i] > 0))], zero)
    for i, dev in enumerate(cd.ids):
        out[dev] = ([(grids["curtail-reduction"][i], 1.0 * (cd.upper[i] > 0))], zero)
    for prefix, td in (("hvac", data.hvac), ("water-heater", data.water)):
        for i, dev in enumerate(td.ids):
            out[dev] = ([(grids[f"{prefix}-power"][i], -np.ones(n_t))], td.base[i])
    bd = data.battery
    for i, dev in enumerate(bd.ids):
        out[dev] = ([(grids["battery-charge"][i], -np.ones(n_t)),
                     (grids["battery-discharge"][i], np.ones(n_t))], bd.base[i])
    ed = data.ev
    for i, dev in enumerate(ed.ids):
        out[dev] = ([(grids["ev-power"][i], -np.ones(n_t))], ed.base[i])
    return out


def build_direct(data: ModelData, *, threads: int | None = None) -> DirectModel:
    """Build the dispatch model of `data` as arrays and pass it to a new HiGHS instance."""
    from ven.dispatch.solver import spend_highs_banner

    w = data.weights
    dt = data.dt
    n_t = data.n_t
    tt = np.arange(n_t)
    cols, rows = _Columns(), _Rows()
    grids: dict[str, np.ndarray] = {}
    target_rows = data.target_rows
    price_cost = -dt * data.price if data.has_price else np.zeros(n_t)
    shed = grids["building-shed"] = cols.add((n_t,), -_INF, _INF, price_cost)
    export = grids["export-excess"] = cols.add((n_t,), 0.0, _INF, w.export * dt * target_rows)
    over = grids["overshed"] = cols.add((n_t,), 0.0, _INF, w.overshed * dt * target_rows)
    short = grids["shed-shortfall"] = cols.add((n_t,), 0.0, _INF, w.shortfall * dt * target_rows)
    excess = grids["rebound-excess"] = cols.add((n_t,), 0.0, _INF, w.rebound * dt * ~data.in_event)
    od = data.onoff
    n_on = len(od.ids)
    u = grids["onoff-shed"] = cols.add(
        (n_on, n_t), 0.0, od.allowed, w.shed * od.priority[:, None] * od.base * dt * od.allowed,
        integer=True,
    )
    timed = np.flatnonzero(od.timed) if n_on else np.zeros(0, dtype=int)
    y = grids["onoff-start"] = cols.add((len(timed), n_t), 0.0, 1.0, w.switching)
    z = grids["onoff-release"] = cols.add((len(timed), n_t), 0.0, 1.0, w.switching)
    cd = data.curtail
    x = grids["curtail-reduction"] = cols.add(
        cd.base.shape, 0.0, cd.upper, w.shed * cd.priority[:, None] * dt[None, :]
    )
    _thermal(cols, rows, data, data.hvac, "hvac", w.zone, w.comfort_band, grids)
    _thermal(cols, rows, data, data.water, "water-heater", w.tank, w.comfort_band, grids)
    bd = data.battery
    nb = len(bd.ids)
    c = grids["battery-charge"] = cols.add((nb, n_t), bd.c_lo, bd.c_hi, w.battery_cycle * dt)
    e = grids["battery-discharge"] = cols.add((nb, n_t), bd.e_lo, bd.e_hi, w.battery_cycle * dt)
    soc = grids["battery-energy"] = cols.add((nb, n_t), bd.soc_lo, bd.soc_hi, 0.0)
    bshort = grids["battery-terminal-shortfall"] = cols.add((nb,), 0.0, _INF, w.battery_terminal)
    ed = data.ev
    ne = len(ed.ids)
    ev = grids["ev-power"] = cols.add((ne, n_t), ed.p_lo, ed.p_hi, 0.0)
    eshort = grids["ev-departure-shortfall"] = cols.add(
        (len(ed.sessions),), 0.0, _INF, w.ev_departure
    )
    delay = grids["ev-delay"] = cols.add((ne,), 0.0, _INF, w.ev_delay * ed.priority)
    cc = data.circuits
    cshed = grids["circuit-shed"] = cols.add(
        (len(cc.ids), n_t), 0.0, _INF, w.circuit_priority * cc.priority[:, None] * dt[None, :]
    )

    # building-shed-balance
    const = data.hvac.base.sum(0) + data.water.base.sum(0) + bd.base.sum(0) + ed.base.sum(0)
    ent: list[tuple[object, object, object]] = [(tt, shed, 1.0)]
    ent += [(np.broadcast_to(tt, u.shape), u, -od.base * (od.allowed > 0))]
    ent += [(np.broadcast_to(tt, x.shape), x, -1.0 * (cd.upper > 0))]
    for grid, sign in ((grids["hvac-power"], 1.0), (grids["water-heater-power"], 1.0),
                       (c, 1.0), (e, -1.0), (ev, 1.0)):
        ent.append((np.broadcast_to(tt, grid.shape), grid, sign))
    balance = rows.add(n_t, const, const, ent)
    event = np.flatnonzero(target_rows)
    k = np.arange(len(event))
    built: dict[str, np.ndarray] = {}
    built["shed-target-slack"] = rows.add(
        len(event), data.target[event], _INF, [(k, shed[event], 1.0), (k, short[event], 1.0)]
    )
    caps = np.clip(data.building_baseline, 0, None)
    built["no-export-from-storage"] = rows.add(
        len(event), -_INF, caps[event], [(k, shed[event], 1.0), (k, export[event], -1.0)]
    )
    built["shed-beyond-target"] = rows.add(
        len(event), -_INF, data.target[event], [(k, shed[event], 1.0), (k, over[event], -1.0)]
    )
    post = np.flatnonzero(~data.in_event)
    free = data.rebound_floor
    kp = np.arange(len(post))
    built["rebound-cap"] = rows.add(
        len(post), free[post], _INF, [(kp, shed[post], 1.0), (kp, excess[post], 1.0)]
    )
    by_t = {}
    for name, idx in built.items():
        where = event if name != "rebound-cap" else post
        grid = np.full(n_t, -1, dtype=np.int64)
        grid[where] = idx
        by_t[name] = grid

    # on/off timing
    if len(timed):
        ut = u[timed]
        rid = np.arange(len(timed) * n_t).reshape(len(timed), n_t)
        init = od.shed_init[timed][:, None] * (tt[None, :] == 0)
        rows.add(rid.size, (-init).ravel(), _INF,
                 [(rid, y, 1.0), (rid, ut, -1.0), (rid[:, 1:], ut[:, :-1], 1.0)])
        rows.add(rid.size, init.ravel(), _INF,
                 [(rid, z, 1.0), (rid, ut, 1.0), (rid[:, 1:], ut[:, :-1], -1.0)])
        pos = {int(i): j for j, i in enumerate(timed)}
        for windows, var, sign, hi in ((od.min_windows, y, -1.0, 0.0),
                                       (od.lockout_windows, z, 1.0, 1.0)):
            if not windows:
                continue
            rr: list[int] = []
            cl: list[int] = []
            vv: list[float] = []
            for r, (i, t, ks) in enumerate(windows):
                rr += [r] * (len(ks) + 1)
                cl += [int(var[pos[i], kk]) for kk in ks] + [int(u[i, t])]
                vv += [1.0] * len(ks) + [sign]
            rows.add(len(windows), -_INF, hi, [(rr, cl, vv)])
    horizon = float(dt.sum())
    keep = (np.flatnonzero((od.max_shed_h < horizon) & od.allowed.any(axis=1)) if n_on
            else np.zeros(0, dtype=int))
    if len(keep):
        rid = np.broadcast_to(np.arange(len(keep))[:, None], (len(keep), n_t))
        rows.add(len(keep), -_INF, od.max_shed_h[keep],
                 [(rid, u[keep], np.broadcast_to(dt, (len(keep), n_t)))])
    # battery
    if nb and n_t:
        rid = np.arange(nb * n_t).reshape(nb, n_t)
        ent = [(rid, soc, 1.0), (rid, c, -bd.eta_c[:, None] * dt[None, :]),
               (rid, e, dt[None, :] / bd.eta_d[:, None]), (rid[:, 1:], soc[:, :-1], -1.0)]
        rhs = np.zeros((nb, n_t))
        rhs[:, 0] = bd.energy0
        rows.add(rid.size, rhs.ravel(), rhs.ravel(), ent)
        rows.add(nb, bd.terminal, _INF,
                 [(np.arange(nb), soc[:, -1], 1.0), (np.arange(nb), bshort, 1.0)])
    # EV
    if ed.sessions:
        rr, cl, vv = [], [], []
        need = []
        for s, (i, t0, t1, nd) in enumerate(ed.sessions):
            rr += [s] * (t1 - t0 + 2)
            cl += [int(kk) for kk in ev[i, t0: t1 + 1]] + [int(eshort[s])]
            vv += [*(ed.efficiency[i] * dt[t0: t1 + 1]).tolist(), 1.0]
            need.append(nd)
        rows.add(len(need), np.array(need, dtype=float), _INF, [(rr, cl, vv)])
    keep = np.flatnonzero(ed.baseline_energy > 1e-9) if ne else np.zeros(0, dtype=int)
    if len(keep):
        rid = np.broadcast_to(np.arange(len(keep))[:, None], (len(keep), n_t))
        rows.add(len(keep), ed.baseline_energy[keep], _INF,
                 [(rid, ev[keep], ed.efficiency[keep, None] * dt[None, :]),
                  (np.arange(len(keep)), delay[keep], 1.0)])
    # circuits
    if cc.essential or cc.ids:
        per_dev = _device_shed(data, grids)
        for dev in cc.essential:
            terms, base = per_dev[dev]
            live = np.zeros(n_t, dtype=bool)
            for _cols, coef in terms:
                live |= np.asarray(coef) != 0
            ts = np.flatnonzero(live)
            kk = np.arange(len(ts))
            rows.add(len(ts), -base[ts], -base[ts],
                     [(kk, cl_[ts], np.broadcast_to(coef, (n_t,))[ts]) for cl_, coef in terms])
        for j, _circuit in enumerate(cc.ids):
            ent = [(tt, cshed[j], 1.0)]
            total = np.zeros(n_t)
            for dev in cc.members[j]:
                terms, base = per_dev[dev]
                ent += [(tt, cl_, -np.broadcast_to(coef, (n_t,))) for cl_, coef in terms]
                total += base
            rows.add(n_t, total, _INF, ent)

    n_cols = cols.n
    lower, upper = np.concatenate(cols.lower), np.concatenate(cols.upper)
    cost = np.concatenate(cols.cost)
    integrality = np.concatenate(cols.integer)
    a = sparse.csc_array(
        (np.concatenate(rows.v) if rows.v else np.zeros(0),
         (np.concatenate(rows.r) if rows.r else np.zeros(0, int),
          np.concatenate(rows.c) if rows.c else np.zeros(0, int))),
        shape=(rows.n, n_cols),
    )
    a.sum_duplicates()
    a.eliminate_zeros()
    spend_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    status = h.passModel(
        n_cols, rows.n, int(a.nnz), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, cost, lower, upper,
        np.concatenate(rows.lo) if rows.lo else np.zeros(0),
        np.concatenate(rows.hi) if rows.hi else np.zeros(0),
        a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(float),
        integrality.astype(np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS refused the directly built dispatch model")
    return DirectModel(data, h, grids, cost, lower, upper, integrality, rows.n, by_t, balance)
