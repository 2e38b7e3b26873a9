"""One event's plan: baseline, plan request, dispatch model and solution, and re-planning."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ven.baseline import (
    CAISO_10_IN_10,
    NO_ADJUSTMENT,
    BaselineConfig,
    BaselineResult,
    compute_baseline,
    preset,
)
from ven.devices.model import Building
from ven.devices.simulated import Forecast, SimulatedBuilding
from ven.dispatch import (
    DispatchPlan,
    SolveOptions,
    SolveResult,
    build_model,
    extract,
    solve,
    update_request,
)
from ven.dispatch.commands import inputs_from_forecast
from ven.instructions import EventSignal, PlanRequest, SignalInterval, plan_request

__all__ = ["BASELINE_STEP", "RECOVERY_WINDOW", "REPLAN_TIME_LIMIT_S", "EventPlan",
           "baseline_config", "clip_signals", "event_baseline",
           "forecast_bias", "plan_event", "plan_step", "replan_event", "settled_target"]

BASELINE_STEP = timedelta(minutes=15)
"""Metering interval of the building's history, and of every baseline [min]."""
MIN_PLAN_STEP = timedelta(minutes=1)
"""The shortest planning interval: the metered building's step [min]."""
RECOVERY_WINDOW = timedelta(hours=1)
"""Default recovery window: how long after the event the plan keeps control, releasing the
devices in steps so that the load stays at or below the no-event load plus
``Weights.rebound_free`` (``ModelData.rebound_floor``) [h]."""
REPLAN_TIME_LIMIT_S = 2.0
"""Wall-time bound of one receding-horizon re-plan's solve [s] (keeps ``tick`` responsive)."""
BIAS_DECAY = 0.5
"""Weight of the last interval's forecast error on each further interval ahead [fraction]."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPlan:
    """What the brain planned for one event (one modification of it).

    baseline: the customer baseline over the event window [kW] with its method and confidence.
    requested_kw: the shed the event asks for, against the baseline, per interval [kW].
    request: intervals, device rules and the shed the dispatch must find against its forecast
        [kW] (see ``plan_event``); plan: the dispatch's schedules.
    solve_s: wall time of building (or updating) and solving the model [s].
    reused_model: True when a modification re-solved the previous model in place.
    replans: receding-horizon re-plans made so far (``replan_event``); plan then holds the
        executed head of the earlier plans and the latest re-plan's tail, and model/result are
        the latest re-plan's (a model of the remaining intervals only).
    replan_s: wall time of all the re-plans [s]; last_bias_kw: the building-level forecast
        correction the latest re-plan added to its next interval [kW].
    recovery_baseline: the customer baseline over the recovery window [kW] (also in
        ``request.baseline_kw``'s rows after the event), when the planner was given one.
    planned_at: the simulation's time when the plan (or its latest re-plan) was made (UTC): a
        plan made before its first interval started from device states of that time.
    """

    event_id: str
    modification_number: int
    signals: tuple[EventSignal, ...]
    baseline: BaselineResult
    requested_kw: pd.Series
    request: PlanRequest
    model: pyo.ConcreteModel
    result: SolveResult
    plan: DispatchPlan
    solve_s: float
    reused_model: bool = False
    replans: int = 0
    replan_s: float = 0.0
    last_bias_kw: float = 0.0
    recovery_baseline: pd.Series | None = None
    planned_at: datetime | None = None

    @property
    def start(self) -> datetime:
        """First event interval's start (UTC)."""
        return self.request.index[0].to_pydatetime()

    @property
    def end(self) -> datetime:
        """End of the last event interval (UTC); the rebound intervals follow it."""
        return self._edge(int(self.request.in_event.sum()))

    @property
    def until(self) -> datetime:
        """End of the plan, rebound intervals included (UTC)."""
        return self._edge(len(self.request.index))

    def _edge(self, count: int) -> datetime:
        hours = float(self.request.duration_h[:count].sum())
        span = pd.Timedelta(hours=hours).round("us")  # float hours of 1-min steps: no ns
        return (self.request.index[0] + span).to_pydatetime()


def settled_target(wanted: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """The dispatch's target [kW] per interval: the requested shed `wanted` plus the forecast's
    excess over the baseline `gap` (at least 0) where a shed is requested, else `wanted`. An
    interval whose forecast is already below the baseline by more than the request gets 0:
    no target row, the plan is free there (holding it at its forecast made the closed loop
    over-deliver by a third when the forecast runs high, tests/ven/test_brain.py)."""
    return np.where(wanted > 1e-9, np.clip(wanted + gap, 0, None), wanted)


def baseline_config(building: Building) -> BaselineConfig:
    """The building's programme preset (``[programme] baseline``; CAISO 10-in-10 if unset)."""
    name = building.programme.baseline
    return CAISO_10_IN_10 if name is None else preset(name)


def event_baseline(
    history_kw: pd.Series,
    building: Building,
    start: datetime,
    end: datetime,
    *,
    event_days: Collection[date] = (),
    adjusted: bool = True,
    earlier_events: Collection[tuple[datetime, datetime]] = (),
) -> BaselineResult:
    """The baseline [kW] over [start, end) widened to whole metering intervals, by the
    building's programme preset; `event_days` (local dates of earlier events) are not
    eligible. `adjusted`: with the preset's day-of adjustment (events); False: without it
    (the baseline reported outside events, so that the VTN can compute the adjustment from
    it and the usage before an event). `earlier_events`: the active periods of the VEN's
    other events; the day-of window is moved back before those it would overlap."""
    begin = pd.Timestamp(start).floor(BASELINE_STEP)
    finish = pd.Timestamp(end).ceil(BASELINE_STEP)
    config = baseline_config(building)
    if not adjusted:
        config = dataclasses.replace(config, adjustment=NO_ADJUSTMENT)
    return compute_baseline(history_kw, start=begin.to_pydatetime(), end=finish.to_pydatetime(),
                            timezone=building.timezone, interval=BASELINE_STEP,
                            event_days=event_days, config=config,
                            earlier_events=earlier_events)


def clip_signals(signals: Sequence[EventSignal], start: datetime) -> tuple[EventSignal, ...]:
    """The signals from `start` on (intervals that ended are dropped, a running one shortened)."""
    out = []
    for sig in signals:
        ivs = []
        for iv in sig.intervals:
            end = iv.start + iv.duration
            if end <= start:
                continue
            begin = max(iv.start, start)
            ivs.append(SignalInterval(begin, end - begin, iv.value))
        if ivs:
            out.append(EventSignal(name=sig.name, type=sig.type, intervals=tuple(ivs)))
    return tuple(out)


def plan_step(signals: Sequence[EventSignal]) -> timedelta:
    """The planning step of an event: min(15 min, its shortest signal interval), at least
    1 min (so a 3-minute event with 1-minute intervals is planned, and its rebound watched,
    minute by minute)."""
    shortest = min((iv.duration for sig in signals for iv in sig.intervals),
                   default=BASELINE_STEP)
    return max(min(BASELINE_STEP, shortest), MIN_PLAN_STEP)


def plan_event(
    event_id: str,
    modification_number: int,
    signals: Sequence[EventSignal],
    baseline: BaselineResult,
    simulation: SimulatedBuilding,
    *,
    previous: EventPlan | None = None,
    opted_out: Collection[str] = (),
    options: SolveOptions | None = None,
    settle_on_baseline: bool = True,
    recovery: timedelta = RECOVERY_WINDOW,
    recovery_baseline: pd.Series | None = None,
    fresh: bool = False,
) -> EventPlan:
    """Plan an event: request from `signals` and `baseline` on intervals of ``plan_step``
    (split at every signal edge), dispatch with the simulation's forecast and current device
    states. With `previous` (an earlier modification), the model
    is updated and re-solved in place when the intervals allow, else rebuilt. Devices in
    `opted_out` stay out of the event. A baseline without data falls back to the forecast.
    `fresh`: build the model again from the states of now even when `previous` could be
    re-solved in place (a re-plan made for its newer states).

    The plan runs on for `recovery` after the event (the recovery window): there the load
    should stay at or below the building's no-event load (the forecast made now, before the
    event has changed the devices' states; an earlier plan's where it has one) plus
    ``Weights.rebound_free``. `recovery_baseline`: the customer baseline over that window
    [kW], shown next to the measured rebound (``request.baseline_kw`` after the event).

    The event is settled against the baseline: the building should draw baseline - requested
    shed. With `settle_on_baseline`, the dispatch (which sheds against its own forecast) is
    asked for requested + (forecast - baseline) [kW] in the intervals with a requested shed,
    so that a forecast above the baseline is shed too (and one below it is credited).
    """
    building = simulation.building
    t0 = time.perf_counter()
    made = simulation.time
    step = plan_step(signals)
    base_kw = baseline.baseline
    if recovery_baseline is not None and len(recovery_baseline):
        base_kw = pd.concat([base_kw, recovery_baseline])
        base_kw = base_kw[~base_kw.index.duplicated(keep="first")].sort_index()
    request = plan_request(signals, building, base_kw, step=step, rebound=recovery)
    if len(request.index):  # planned ahead: from the states the event will find
        simulation = simulation.ahead(request.index[0].to_pydatetime())
    forecast = _forecast_on(simulation, request)
    if not baseline.ok:
        request = plan_request(signals, building, forecast.total_kw, step=step, rebound=recovery)
    request = dataclasses.replace(
        request, no_event_kw=_no_event(forecast.total_kw, previous))
    requested = request.target_kw.rename("requested_kw")
    if settle_on_baseline:
        gap = forecast.total_kw.to_numpy(dtype=float) - request.baseline_kw.to_numpy(dtype=float)
        request = request.with_target(settled_target(requested.to_numpy(dtype=float), gap))
    request = _without(request, opted_out)
    reused = False
    if previous is not None and not fresh and previous.request.rules.equals(request.rules) \
            and update_request(previous.model, request):  # (the model keeps its rules)
        model = previous.model
        result = solve(model, options, previous=previous.result)
        reused = True
    else:
        inputs = inputs_from_forecast(building, request, forecast, simulation.state())
        model = build_model(inputs)
        result = solve(model, options)
    plan = extract(model, result)
    return EventPlan(
        event_id=event_id, modification_number=modification_number, signals=tuple(signals),
        baseline=baseline, requested_kw=requested, request=request, model=model,
        result=result, plan=plan, solve_s=time.perf_counter() - t0, reused_model=reused,
        recovery_baseline=recovery_baseline, planned_at=made)


def _no_event(forecast_kw: pd.Series, previous: EventPlan | None) -> pd.Series:
    """The no-event load [kW] on the forecast's index: the earlier plan's where it has one
    (made before the event changed the devices' states), else the forecast."""
    out = forecast_kw.astype(float).rename("no_event_kw")
    if previous is None or previous.request.no_event_kw is None:
        return out
    known = previous.request.no_event_kw
    common = out.index.intersection(known.index)
    out.loc[common] = known.loc[common].to_numpy(dtype=float)
    return out


def forecast_bias(error_kw: float, count: int, decay: float = BIAS_DECAY) -> np.ndarray:
    """The correction added to the next `count` intervals' forecast [kW]: the last interval's
    measured - planned load `error_kw`, decaying by `decay` per interval ahead."""
    if not math.isfinite(error_kw):
        return np.zeros(count)
    return error_kw * np.power(decay, np.arange(count, dtype=float))


def replan_event(
    plan: EventPlan,
    simulation: SimulatedBuilding,
    pos: int,
    *,
    error_kw: float = 0.0,
    options: SolveOptions | None = None,
    settle_on_baseline: bool = True,
) -> EventPlan:
    """Receding-horizon re-plan of `plan` from its interval `pos` on (a plan-interval boundary,
    `simulation` standing at its start; 0: the whole plan again, from the device states at its
    start, for a plan made ahead of it).

    The remaining intervals (event and rebound) keep the plan's baseline, requested shed and
    rules; the dispatch starts from the *measured* device states (``simulation.state()``:
    zone and tank temperatures, state of charge, EV energy, on/off loads shed) and from a
    fresh forecast corrected by ``forecast_bias(error_kw)`` (the last interval's measured -
    planned load), so that the settled target absorbs what the forecast got wrong. The model
    is rebuilt (its horizon and initial states change, so ``update_request`` cannot apply)
    and solved within ``REPLAN_TIME_LIMIT_S``. When the re-plan finds no solution the old
    plan is kept. Returns the plan with its tail from `pos` replaced (see ``splice_plan``).
    """
    t0 = time.perf_counter()
    full = plan.request
    n = len(full.index)
    if not 0 <= pos < n:
        return plan
    building = simulation.building
    sub = _tail_request(full, plan.requested_kw, pos)
    forecast = _forecast_on(simulation, sub)
    bias = forecast_bias(error_kw, len(sub.index))
    forecast = dataclasses.replace(forecast, total_kw=forecast.total_kw + bias)
    wanted = plan.requested_kw.to_numpy(dtype=float)[pos:]
    if settle_on_baseline:
        gap = forecast.total_kw.to_numpy(dtype=float) - sub.baseline_kw.to_numpy(dtype=float)
        sub = sub.with_target(settled_target(wanted, gap))
    else:
        sub = sub.with_target(wanted)
    inputs = inputs_from_forecast(building, sub, forecast, simulation.state())
    model = build_model(inputs)
    opts = options or SolveOptions()
    limit = min(opts.time_limit_s, REPLAN_TIME_LIMIT_S)
    result = solve(model, dataclasses.replace(opts, time_limit_s=limit))
    elapsed = time.perf_counter() - t0
    if not result.has_solution:
        return dataclasses.replace(plan, replans=plan.replans + 1,
                                   replan_s=plan.replan_s + elapsed)
    tail = extract(model, result)
    return dataclasses.replace(
        plan, model=model, result=result, plan=splice_plan(plan.plan, tail, pos),
        replans=plan.replans + 1, replan_s=plan.replan_s + elapsed,
        last_bias_kw=float(bias[0]) if len(bias) else 0.0, planned_at=simulation.time)


def splice_plan(head: DispatchPlan, tail: DispatchPlan, pos: int) -> DispatchPlan:
    """`head`'s intervals before `pos` followed by `tail` (a plan of head's intervals from
    `pos` on). Status, gap and objective are the tail's; the EV energy of the tail continues
    the head's count; the energy cost is the tail's (the remaining intervals)."""
    def join(a: pd.DataFrame | pd.Series, b: pd.DataFrame | pd.Series):
        return pd.concat([a.iloc[:pos], b.reindex(columns=a.columns) if isinstance(
            a, pd.DataFrame) else b])

    ev = tail.ev_energy_kwh
    if pos > 0 and len(head.ev_energy_kwh.columns):
        ev = ev + head.ev_energy_kwh.iloc[pos - 1]
    cost = tail.energy_cost_usd  # the remaining intervals' cost (the head has been paid)
    frames = {name: join(getattr(head, name), getattr(tail, name)) for name in (
        "power_kw", "baseline_kw", "shed_kw", "onoff_shed", "zone_temp_c", "tank_temp_c",
        "battery_soc", "battery_charge_kw", "battery_discharge_kw", "expected_shed_kw",
        "target_kw", "shortfall_kw", "net_load_kw")}
    frames["ev_energy_kwh"] = join(head.ev_energy_kwh, ev)
    return dataclasses.replace(
        head, status=tail.status, has_solution=tail.has_solution, mip_gap=tail.mip_gap,
        objective=tail.objective, energy_cost_usd=cost,
        notes=tuple(dict.fromkeys((*head.notes, *tail.notes))), **frames)


def _tail_request(request: PlanRequest, requested: pd.Series, pos: int) -> PlanRequest:
    """The request's intervals from `pos` on, targeting the requested shed."""
    return PlanRequest(
        index=request.index[pos:], duration_h=np.asarray(request.duration_h)[pos:],
        in_event=np.asarray(request.in_event)[pos:],
        target_kw=requested.iloc[pos:].rename("target_kw"),
        baseline_kw=request.baseline_kw.iloc[pos:],
        price_usd_per_kwh=None if request.price_usd_per_kwh is None
        else request.price_usd_per_kwh.iloc[pos:],
        rules=request.rules.iloc[pos:], notes=(),
        no_event_kw=None if request.no_event_kw is None else request.no_event_kw.iloc[pos:])


def _without(request: PlanRequest, devices: Collection[str]) -> PlanRequest:
    """The request with `devices` (opted out one by one) held OFF."""
    present = [d for d in devices if d in request.rules.columns]
    if not present:
        return request
    rules = request.rules.copy()
    rules[present] = "off"
    notes = (*request.notes, f"opted out by the operator: {', '.join(present)}")
    return dataclasses.replace(request, rules=rules, notes=notes)


def _forecast_on(simulation: SimulatedBuilding, request: PlanRequest) -> Forecast:
    """The simulation's forecast [kW, °C] on the request's intervals (averaged when they are
    not all of one length)."""
    index, hours = request.index, request.duration_h
    if len(index) == 0:
        return simulation.forecast(simulation.time, 0)
    step = pd.Timedelta(hours=float(hours[0]))
    if np.allclose(hours, hours[0]) and step >= pd.Timedelta(minutes=1):
        return simulation.forecast(index[0].to_pydatetime(), len(index), _freq(step))
    minutes = math.ceil(float(hours.sum()) * 60)
    fine = simulation.forecast(index[0].to_pydatetime(), minutes, "1min")
    bins = np.clip(index.searchsorted(fine.total_kw.index, side="right") - 1, 0, len(index) - 1)

    def mean(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        out = frame.groupby(bins).mean()
        out.index = index[out.index]
        return out.reindex(index).ffill().bfill()

    return Forecast(device_kw=mean(fine.device_kw), base_kw=mean(fine.base_kw),
                    total_kw=mean(fine.total_kw), pv_kw=mean(fine.pv_kw),
                    t_out_c=mean(fine.t_out_c), ghi_w_m2=mean(fine.ghi_w_m2))


def _freq(step: pd.Timedelta) -> str:
    return f"{int(step.total_seconds())}s"
