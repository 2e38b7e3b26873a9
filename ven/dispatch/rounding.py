"""A primal heuristic for the on/off binaries: round the LP relaxation into feasible blocks.

The LP relaxation spreads an on/off load's shed thinly over time; a sigma-delta pass turns
that into whole shed blocks that respect min shed time, lock-out, max shed time and the
hourly rules. With the binaries fixed, one more LP completes the plan; its objective next to
the LP bound gives a proven gap, so the MIP search is skipped when it is already small.
"""

from __future__ import annotations

import numpy as np

from ven.dispatch.modeldata import OnOffData

_EPS = 1e-9


def round_onoff(
    data: OnOffData, dt: np.ndarray, u_lp: np.ndarray, threshold: float = 0.5
) -> np.ndarray:
    """Binary shed schedule (devices, intervals) close to the LP's `u_lp` [0..1].

    A shed starts or continues once the LP's accumulated shed reaches `threshold` of the
    time it commits to [fraction].
    """
    starts = np.concatenate([[0.0], np.cumsum(dt)[:-1]]) if len(dt) else np.zeros(0)
    out = np.zeros_like(u_lp)
    for i in range(u_lp.shape[0]):
        out[i] = _round_one(
            np.clip(u_lp[i], 0.0, 1.0),
            data.allowed[i] > 0.5,
            dt,
            starts,
            float(data.min_shed_h[i]),
            float(data.lockout_h[i]),
            float(data.max_shed_h[i]),
            bool(data.shed_init[i] > 0.5),
            threshold,
        )
    return out


def round_onoff_residual(
    data: OnOffData,
    dt: np.ndarray,
    u_lp: np.ndarray,
    threshold: float = 0.5,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Like :func:`round_onoff`, but devices take turns on the LP's remaining on/off shed.

    The largest loads go first; each follows the shed [kW] the LP asked of all on/off loads
    that earlier ones have not yet covered, so whole blocks of different loads interleave
    instead of piling up in the same intervals. With `rows`, only those devices are rounded
    (the others keep their `u_lp`).
    """
    starts = np.concatenate([[0.0], np.cumsum(dt)[:-1]]) if len(dt) else np.zeros(0)
    u = np.clip(u_lp, 0.0, 1.0)
    todo = np.arange(len(data.ids)) if rows is None else np.asarray(rows)
    residual = (data.base[todo] * u[todo]).sum(axis=0)
    out = u.copy()
    for i in todo[np.argsort(-data.base[todo].mean(axis=1))] if len(todo) else []:
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.where(data.base[i] > 0, np.clip(residual / data.base[i], 0.0, 1.0), 0.0)
        lp_hours = float((u[i] * dt).sum())
        extra = max(float(data.min_shed_h[i]), float(dt.max(initial=0.0)))
        out[i] = _round_one(
            want,
            data.allowed[i] > 0.5,
            dt,
            starts,
            float(data.min_shed_h[i]),
            float(data.lockout_h[i]),
            min(float(data.max_shed_h[i]), 1.5 * lp_hours + extra),
            bool(data.shed_init[i] > 0.5),
            threshold,
        )
        residual = residual - data.base[i] * out[i]
    return out


def _round_one(
    u_lp: np.ndarray,
    allowed: np.ndarray,
    dt: np.ndarray,
    starts: np.ndarray,
    min_h: float,
    lock_h: float,
    max_h: float,
    init: bool,
    threshold: float,
) -> np.ndarray:
    n = len(dt)
    u = np.zeros(n)
    credit = 0.0
    used = 0.0
    in_block = init
    block_until = -np.inf
    free_at = -np.inf
    for t in range(n):
        credit += u_lp[t] * dt[t]
        if in_block:
            must = starts[t] < block_until - _EPS
            room = allowed[t] and used + dt[t] <= max_h + _EPS
            if room and (must or credit >= threshold * dt[t]):
                u[t] = 1.0
                credit -= dt[t]
                used += dt[t]
                continue
            in_block = False
            free_at = starts[t] + lock_h
        if not allowed[t] or starts[t] < free_at - _EPS or credit < threshold * max(min_h, dt[t]):
            continue
        span = [k for k in range(t, n) if starts[k] < starts[t] + min_h - _EPS] or [t]
        if all(allowed[k] for k in span) and used + float(dt[span].sum()) <= max_h + _EPS:
            in_block = True
            block_until = starts[t] + min_h
            u[t] = 1.0
            credit -= dt[t]
            used += dt[t]
    return u
