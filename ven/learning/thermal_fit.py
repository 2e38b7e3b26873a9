"""Fitting a zone's 1R1C thermal model (the device model's) to its measured history.

The model is ``ven.devices.model.HvacZone``'s: dT/dt = (T_out - T) / (R C) + s * COP * P / C,
s = -1 cooling, +1 heating, R [°C/kW], C [kWh/°C], P the electric power [kW]. Over an interval
of length dt with constant P and T_out its exact step is (``ven.devices.physics.zone_step``)

    T[k+1] = d * T[k] + (1 - d) * (T_out[k] + s * COP * R * P[k]),   d = exp(-dt / (R C)).

The data pin down the time constant R C [h] and the thermal gain COP * R [°C/kW]; the COP is
taken from the building file (or given), so R = gain / COP and C = (R C) / R.

The fit: an ordinary least-squares regression on that step (T[k+1] - T_out[k] on T[k] -
T_out[k] and P[k]) gives a first guess, then ``scipy.optimize.least_squares`` minimises the
error of the model *run free* over the fitting stretch (from its first measured temperature,
driven by the measured power and outdoor temperature only), which is what a planner needs and
is not biased by noise on the measured temperatures. The last ``holdout_fraction`` of the
history is held out and the model is run free over it too.

A fit is refused, and the configured model stays in force, when (first reason found):
less than ``min_hours`` of history; the HVAC never ran; the power does not act on the zone the
way the mode says (no gain left at all); the parameters are not identifiable
(relative standard error of R C or COP * R above ``max_relative_se``); R or C outside physical
bounds; or the held-out RMSE exceeds ``max_holdout_rmse_c`` (default 1.0 °C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import least_squares  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]

__all__ = ["FitLimits", "RcParameters", "ThermalFit", "ZoneHistory", "fit_zone",
           "simulate_zone"]

Mode = Literal["cooling", "heating"]


def _sign(mode: Mode) -> float:
    return -1.0 if mode == "cooling" else 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneHistory:
    """Measured history of one zone on a regular time grid of n rows.

    times: interval starts, tz-aware; power_kw: mean electric HVAC power over each interval
    [kW] (>= 0); t_out_c: mean outdoor temperature over each interval [°C]; t_in_c: the zone
    temperature at each interval's start [°C] (so row k+1's is the one at row k's end).
    source: where the rows came from, in words (shown with the fit).
    """

    zone_id: str
    times: pd.DatetimeIndex
    power_kw: np.ndarray
    t_in_c: np.ndarray
    t_out_c: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        n = len(self.times)
        if not (len(self.power_kw) == len(self.t_in_c) == len(self.t_out_c) == n):
            raise ValueError("times, power_kw, t_in_c and t_out_c must have the same length")
        if n < 2:
            raise ValueError("a zone history needs at least 2 rows")
        if self.times.tz is None:
            raise ValueError("zone history times must be timezone-aware")
        steps = np.diff(self.times.asi8)
        if steps.min() <= 0 or steps.min() != steps.max():
            raise ValueError("zone history times must be a regular, increasing grid")

    @property
    def step_h(self) -> float:
        """Interval length [h]."""
        return float((self.times[1] - self.times[0]) / pd.Timedelta(hours=1))

    @property
    def hours(self) -> float:
        """Span from the first to the last row [h]."""
        return (len(self.times) - 1) * self.step_h

    def between(self, start: datetime | None, end: datetime | None) -> ZoneHistory:
        """The rows with start <= time < end (None: unbounded)."""
        keep = np.ones(len(self.times), dtype=bool)
        if start is not None:
            keep &= self.times >= pd.Timestamp(start)
        if end is not None:
            keep &= self.times < pd.Timestamp(end)
        if keep.sum() < 2:
            raise ValueError(f"{self.zone_id}: fewer than 2 rows between {start} and {end}")
        return ZoneHistory(zone_id=self.zone_id, times=self.times[keep],
                           power_kw=self.power_kw[keep], t_in_c=self.t_in_c[keep],
                           t_out_c=self.t_out_c[keep], source=self.source)


@dataclass(frozen=True, slots=True, kw_only=True)
class RcParameters:
    """A zone's 1R1C model: r_c_per_kw [°C/kW], c_kwh_per_c [kWh/°C], cop [-], mode."""

    r_c_per_kw: float
    c_kwh_per_c: float
    cop: float
    mode: Mode

    @property
    def tau_h(self) -> float:
        """Time constant R C [h]."""
        return self.r_c_per_kw * self.c_kwh_per_c

    def as_json(self) -> dict[str, Any]:
        """The parameters as plain JSON values (names carry the units)."""
        return {"r_c_per_kw": round(self.r_c_per_kw, 5), "c_kwh_per_c": round(self.c_kwh_per_c, 3),
                "tau_h": round(self.tau_h, 3), "cop": self.cop, "mode": self.mode}


@dataclass(frozen=True, slots=True, kw_only=True)
class FitLimits:
    """When a fit is refused (see the module).

    max_holdout_rmse_c [°C]; min_hours of history [h]; holdout_fraction: the last share of
    the rows kept out of the fit [0..1]; max_relative_se: largest relative standard error of
    R C and COP * R [fraction]; r_bounds [°C/kW] and c_bounds [kWh/°C]: physical ranges.
    """

    max_holdout_rmse_c: float = 1.0
    min_hours: float = 48.0
    holdout_fraction: float = 0.25
    max_relative_se: float = 0.25
    r_bounds: tuple[float, float] = (1e-3, 10.0)
    c_bounds: tuple[float, float] = (0.1, 1e4)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThermalFit:
    """The outcome of fitting one zone.

    accepted: the fitted model may replace the configured one; reason: why not (or "" when
    accepted). fitted: the least-squares parameters (None when no fit was made); configured:
    the building file's (None when not known). fit_rmse_c / holdout_rmse_c: RMSE of the model
    run free over the fitting / held-out rows [°C]; configured_holdout_rmse_c: the configured
    model's over the held-out rows [°C]. relative_se: relative standard errors of ``tau_h``
    and ``gain`` (COP * R) [fraction].
    """

    zone_id: str
    accepted: bool
    reason: str
    fitted: RcParameters | None
    configured: RcParameters | None
    fit_rmse_c: float | None = None
    holdout_rmse_c: float | None = None
    configured_holdout_rmse_c: float | None = None
    relative_se: dict[str, float] = field(default_factory=dict)
    fit_rows: int = 0
    holdout_rows: int = 0
    step_h: float = 0.0
    start: datetime | None = None
    end: datetime | None = None
    source: str = ""
    limits: FitLimits = field(default_factory=FitLimits)

    @property
    def in_force(self) -> RcParameters | None:
        """The model to plan with: the fitted one when accepted, else the configured one."""
        return self.fitted if self.accepted else self.configured

    def as_json(self) -> dict[str, Any]:
        """The outcome as plain JSON values."""
        def num(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "zone_id": self.zone_id, "accepted": self.accepted, "reason": self.reason,
            "in_force": "fitted" if self.accepted else
                        ("configured" if self.configured else None),
            "fitted": None if self.fitted is None else self.fitted.as_json(),
            "configured": None if self.configured is None else self.configured.as_json(),
            "fit_rmse_c": num(self.fit_rmse_c), "holdout_rmse_c": num(self.holdout_rmse_c),
            "configured_holdout_rmse_c": num(self.configured_holdout_rmse_c),
            "relative_se": {k: round(v, 4) for k, v in self.relative_se.items()},
            "fit_rows": self.fit_rows, "holdout_rows": self.holdout_rows,
            "step_h": self.step_h,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "source": self.source,
            "max_holdout_rmse_c": self.limits.max_holdout_rmse_c,
        }

    def toml(self) -> str:
        """The lines to paste into the zone's ``[[devices]]`` table of the building file
        (empty when the fit was refused)."""
        if not self.accepted or self.fitted is None:
            return ""
        return (f"# {self.zone_id}: fitted on {self.fit_rows} rows, held-out RMSE "
                f"{self.holdout_rmse_c:.3f} °C\n"
                f"r_c_per_kw = {self.fitted.r_c_per_kw:.5g}\n"
                f"c_kwh_per_c = {self.fitted.c_kwh_per_c:.5g}\n")


def simulate_zone(
    params: RcParameters, start_c: float, power_kw: np.ndarray, t_out_c: np.ndarray,
    step_h: float,
) -> np.ndarray:
    """Zone temperature [°C] at each of the n + 1 interval boundaries, run free from start_c
    [°C] under power_kw [kW] and t_out_c [°C] (n intervals of step_h [h])."""
    return _run(math.log(params.tau_h), math.log(params.cop * params.r_c_per_kw),
                _sign(params.mode), start_c, np.asarray(power_kw, dtype=float),
                np.asarray(t_out_c, dtype=float), step_h)


def _run(log_tau: float, log_gain: float, sign: float, start_c: float, power: np.ndarray,
         t_out: np.ndarray, step_h: float) -> np.ndarray:
    decay = math.exp(-step_h / math.exp(log_tau))
    steady = t_out + sign * math.exp(log_gain) * power
    driven = lfilter([0.0, 1.0 - decay], [1.0, -decay], np.append(steady, 0.0))
    return np.asarray(start_c * decay ** np.arange(len(steady) + 1) + driven)


def _rmse(error: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(error)))) if len(error) else float("nan")


def fit_zone(
    history: ZoneHistory,
    *,
    mode: Mode,
    cop: float,
    configured: RcParameters | None = None,
    limits: FitLimits | None = None,
) -> ThermalFit:
    """Fit the zone's R [°C/kW] and C [kWh/°C] (with the given COP [-] and mode) to
    `history`, judge the fit against `limits`, and fall back to `configured` when refused."""
    limits = limits or FitLimits()
    if cop <= 0:
        raise ValueError(f"cop must be positive, got {cop}")
    sign = _sign(mode)
    n = len(history.times)
    power = np.asarray(history.power_kw, dtype=float)
    t_in = np.asarray(history.t_in_c, dtype=float)
    t_out = np.asarray(history.t_out_c, dtype=float)
    h = history.step_h
    transitions = n - 1
    held = min(max(1, round(transitions * limits.holdout_fraction)), transitions - 1)
    used = transitions - held
    base = {"zone_id": history.zone_id, "configured": configured, "fit_rows": used,
            "holdout_rows": held, "step_h": h, "start": history.times[0].to_pydatetime(),
            "end": (history.times[-1] + pd.Timedelta(hours=h)).to_pydatetime(),
            "source": history.source, "limits": limits}

    def holdout_rmse(params: RcParameters) -> float:
        run = simulate_zone(params, t_in[used], power[used:-1], t_out[used:-1], h)
        return _rmse(run[1:] - t_in[used + 1:])

    configured_rmse = holdout_rmse(configured) if configured is not None and held else None

    def refuse(reason: str, **more: Any) -> ThermalFit:
        fallback = ("; the configured model stays in force" if configured is not None
                    else "; no configured model to fall back to")
        return ThermalFit(accepted=False, reason=reason + fallback, fitted=more.pop("fitted", None),
                          configured_holdout_rmse_c=configured_rmse, **base, **more)

    if history.hours < limits.min_hours or used < 2:
        return refuse(f"only {history.hours:.1f} h of history; at least "
                      f"{limits.min_hours:g} h are needed")
    if float(np.max(np.abs(power[:used]))) < 1e-6:
        return refuse("the HVAC never ran in the fitting data, so its effect cannot be learned")

    guess = _first_guess(power[:used], t_in[:used + 1], t_out[:used], sign, h, configured)
    target = t_in[1:used + 1]

    def residual(theta: np.ndarray) -> np.ndarray:
        run = _run(float(theta[0]), float(theta[1]), sign, t_in[0], power[:used], t_out[:used], h)
        return np.asarray(run[1:] - target)

    lowest_gain = math.log(1e-5)
    solution = least_squares(residual, guess, bounds=([math.log(0.05), lowest_gain],
                                                      [math.log(1e5), math.log(1e3)]))
    log_tau, log_gain = (float(v) for v in solution.x)
    gain = math.exp(log_gain)
    fitted = RcParameters(r_c_per_kw=gain / cop, c_kwh_per_c=math.exp(log_tau) * cop / gain,
                          cop=cop, mode=mode)
    fit_rmse = _rmse(solution.fun)
    relative_se = _relative_se(solution.jac, solution.fun)
    more: dict[str, Any] = {"fitted": fitted, "fit_rmse_c": fit_rmse,
                            "holdout_rmse_c": holdout_rmse(fitted), "relative_se": relative_se}
    if log_gain < lowest_gain + 1.0:
        return refuse(f"the measured power does not move the zone temperature the way a {mode} "
                      "HVAC would (check the mode, and that the power is this zone's)", **more)
    worst = max(relative_se.values())
    if not math.isfinite(worst) or worst > limits.max_relative_se:
        return refuse("the data do not pin the parameters down (relative standard error of "
                      + ", ".join(f"{k} {v:.0%}" for k, v in relative_se.items())
                      + f", limit {limits.max_relative_se:.0%}); more varied data are needed",
                      **more)
    low_r, high_r = limits.r_bounds
    low_c, high_c = limits.c_bounds
    if not (low_r <= fitted.r_c_per_kw <= high_r and low_c <= fitted.c_kwh_per_c <= high_c):
        return refuse(f"R = {fitted.r_c_per_kw:.4g} °C/kW, C = {fitted.c_kwh_per_c:.4g} kWh/°C "
                      f"is outside the physical bounds (R {low_r:g}..{high_r:g} °C/kW, "
                      f"C {low_c:g}..{high_c:g} kWh/°C)", **more)
    if not more["holdout_rmse_c"] <= limits.max_holdout_rmse_c:
        return refuse(f"held-out RMSE {more['holdout_rmse_c']:.3f} °C exceeds "
                      f"{limits.max_holdout_rmse_c:g} °C", **more)
    return ThermalFit(accepted=True, reason="", configured_holdout_rmse_c=configured_rmse,
                      **base, **more)


def _first_guess(power: np.ndarray, t_in: np.ndarray, t_out: np.ndarray, sign: float,
                 h: float, configured: RcParameters | None) -> np.ndarray:
    """(log R C, log COP R) from the regression T[k+1] - T_out[k] = d (T[k] - T_out[k]) + g P[k]
    (g = (1 - d) s COP R); the configured model's (or a day and 1 °C/kW) when it is unphysical."""
    design = np.column_stack([t_in[:-1] - t_out, power])
    (decay, g), *_ = np.linalg.lstsq(design, t_in[1:] - t_out, rcond=None)
    if 0.0 < decay < 1.0 and sign * g > 0:
        return np.array([math.log(-h / math.log(decay)), math.log(sign * g / (1.0 - decay))])
    if configured is not None:
        return np.array([math.log(configured.tau_h),
                         math.log(configured.cop * configured.r_c_per_kw)])
    return np.array([math.log(24.0), 0.0])


def _relative_se(jac: np.ndarray, residuals: np.ndarray) -> dict[str, float]:
    """Standard errors of log(R C) and log(COP R), i.e. relative errors of R C and COP R."""
    dof = max(len(residuals) - 2, 1)
    variance = float(np.sum(np.square(residuals))) / dof
    try:
        cov = np.linalg.inv(jac.T @ jac) * variance
    except np.linalg.LinAlgError:
        return {"tau_h": math.inf, "gain": math.inf}
    diag = np.diag(cov)
    return {name: float(math.sqrt(v)) if v >= 0 else math.inf
            for name, v in zip(("tau_h", "gain"), diag, strict=True)}
