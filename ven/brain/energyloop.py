"""``EnergyManager``: the running VEN's always-on energy manager (rolling-horizon MPC).

At every boundary of the ``[energy] step_min`` grid of the clock's time (:00, :15, ... with
15 min; simulated time included; the first plan at once), the manager steps the building brain
to now and re-plans the next ``horizon_h`` with ``ven.energy.mpc.plan``:

- state: the devices' states of the brain's model (``SimulatedBuilding.state``) and the
  billing month's import peak so far, remembered from the meter's completed 15-min intervals
  (``MonthPeak``); with devices of their own (MQTT), what they measure wins: a zone's or tank's
  reported ``temperature_c`` [°C] and a battery's ``soc`` [fraction] replace the model's where
  the device's telemetry is fresh (``[mqtt] stale_after``) and carries the value; a device
  without one falls back to the model's figure, logged once (WARNING) until it reports again
  (INFO); the summary's ``state`` says which each device's is;
- forecasts: the uncontrolled load and PV from ``ven.learning`` on the meter's history
  (``ven.energy.forecasts.learned_forecast``, on the metering grid; an interval that starts
  off the grid takes its grid interval's value); where the history cannot give one (too short),
  the building file's base load by hour and no PV (the steady model); the outdoor
  temperature from the simulation's weather; a synthetic carbon curve (``typical_carbon``);
- DR events: each opted-in event's plan gives a ``DrTarget`` per event interval (its baseline
  minus the requested shed), and the event dispatch keeps precedence: while an event's plan
  is in control (recovery window included), the MPC sends no command to the devices that plan
  controls (``BuildingBrain.event_devices``), and it re-plans as soon as that set changes (an
  event starts or ends), so the devices the event releases return to the MPC at once;
- prices: the configured tariff; where the price feed (``[energy.price_feed]``,
  ``ven.energy.pricefeed``) has prices covering an interval, the feed's price replaces it;
  ELECTRICITY_PRICE signals of those events (``price``, ``priceRelative``,
  ``priceMultiplier``, relative to the feed's or tariff's price) take precedence over both in
  their intervals (``Tariff.with_series``). The feed is fetched by ``run`` on the clock
  (``refresh_feed``); a failed fetch keeps the last good prices;
- zone models: with ``[energy.zone_models]``, the zones are planned with the fits
  ``oadr-ven model fit --save`` wrote (``ven.learning.savedmodels``) when usable, else with the
  building file's model; the file is read at start (one INFO line per zone) and again when it
  changes, and a fit that goes stale falls back at the next re-plan (logged).

The strategy is the building file's until changed at run time (``set_strategy``: the building
API's ``PUT /energy/strategy``, saved in the state file); the change re-plans at the loop's next
look (at most ``CHECK_S`` of the clock's time later), not at the next step boundary.

The first interval's commands go to the devices (``BuildingBrain.send_commands``). One INFO
line per re-plan; a failed plan (an exception or no optimal solution) is a WARNING, and the
devices the MPC drove are released to their normal control until the next re-plan.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from common.clock import Clock
from ven.devices.commands import DeviceCommand, Release
from ven.devices.daytype import LocalCalendar, by_hour
from ven.devices.history import T_OUT
from ven.devices.state import DeviceState
from ven.energy.config import EnergyConfig
from ven.energy.forecasts import learned_forecast, typical_carbon
from ven.energy.inputs import DrTarget, EnergyForecast, PlanSettings, PlanState
from ven.energy.mpc import Schedule, plan
from ven.energy.pricefeed import PriceFeed, feed_state_line
from ven.energy.strategy import Strategy, StrategyError, strategy_from_config
from ven.energy.tariff import MonthPeak, Tariff
from ven.learning.savedmodels import (
    ModelInForce,
    SavedModelsError,
    models_in_force,
    read_saved_models,
)

if TYPE_CHECKING:
    from ven.brain.handler import BuildingBrain

__all__ = ["EnergyManager", "PlanInputs", "plan_lines", "strategy_json"]

log = logging.getLogger("ven.energy")

CHECK_S = 60.0
"""Longest wait between looks at the event control [s of the clock's time]."""
NEXT_INTERVALS = 8
"""Intervals of the plan in force shown by status and the building API [-]."""

Planner = Callable[..., Schedule]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanInputs:
    """Everything one plan needs, taken from the brain at `now` (so the solve can run apart)."""

    now: datetime
    state: PlanState
    forecast: EnergyForecast
    tariff: Tariff
    targets: tuple[DrTarget, ...]
    held: frozenset[str]  # devices an event's plan controls now
    learned: bool  # False: the steady model's forecast
    strategy: Strategy | None = None  # None: the manager's at the solve
    settings: PlanSettings | None = None  # None: the configuration's
    price_sources: Mapping[str, int] = field(default_factory=dict)  # intervals priced by each
    state_sources: Mapping[str, str] = field(default_factory=dict)  # device -> measured/model


class EnergyManager:
    """Re-plans the building every ``config.step`` and drives its devices (see module)."""

    def __init__(self, brain: BuildingBrain, config: EnergyConfig, clock: Clock, *,
                 planner: Planner = plan) -> None:
        self.brain = brain
        self.config = config
        self._clock = clock
        self._planner = planner
        self._peak = MonthPeak()
        self._peak_until: pd.Timestamp | None = None
        self._next: datetime | None = None
        self._held: frozenset[str] | None = None
        self._driven: frozenset[str] = frozenset()
        self.schedule: Schedule | None = None  # the plan in force (None: none, or it failed)
        self.made_at: datetime | None = None
        self.replans = 0
        self.failures = 0
        self.last_error: str | None = None
        self._summary: dict[str, Any] | None = None
        self.file_strategy = config.strategy  # the building file's (the default)
        self.strategy_source = "building file"  # or "run time" (set_strategy)
        self.chosen: dict[str, Any] | None = None  # the run-time choice as given (persisted)
        self.feed = None if config.price_feed is None else PriceFeed(config.price_feed)
        self._fallback: dict[str, str] = {}  # devices planned from the model: why
        self.models: list[ModelInForce] = []  # each zone's model in force
        self._models_seen: tuple[float, int] | None = None  # the file's (mtime, size) read
        self._models_doc: dict[str, Any] | None = None
        self._models_problem = ""
        self.load_zone_models(clock.now(), announce=True)

    # ---- the strategy --------------------------------------------------------------------------

    def strategy_of(self, name: Any, weights: Any = None) -> Strategy:
        """The strategy `name` with optional `weights` (cost, comfort, carbon for balanced;
        battery wear and penalties for every strategy); battery wear and penalties not given
        keep the building file's values. ``StrategyError`` (a clear message) when unusable."""
        if not isinstance(name, str):
            raise StrategyError("strategy must be a string (economic, comfort, environmental "
                                "or balanced)")
        if weights is None:
            weights = {}
        if not isinstance(weights, Mapping):
            raise StrategyError("weights must be an object of numbers")
        for key, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value)):
                raise StrategyError(f"weight {key!r} must be a finite number, got {value!r}")
        kept = {k: getattr(self.file_strategy, k) for k in _KEPT}
        return strategy_from_config({"strategy": name, "weights": {**kept, **weights}})

    def set_strategy(self, name: Any, weights: Any = None, *, source: str = "run time"
                     ) -> Strategy:
        """Plan with strategy `name` from now on (see ``strategy_of``; the plan in force stays
        until the re-plan, which is due at once: the loop's next look)."""
        strategy = self.strategy_of(name, weights)
        self.config = replace(self.config, strategy=strategy)
        self.strategy_source = source
        self.chosen = {"strategy": strategy.name, "weights": dict(weights or {})}
        self._next = None  # re-plan at the next look
        log.info("Energy manager strategy: %s (%s)", strategy.name, source)
        return strategy

    def restore_strategy(self, saved: Mapping[str, Any] | None) -> None:
        """Apply the run-time strategy saved in the state file (it wins over the building
        file's); an unusable one is logged (WARNING) and the building file's stays."""
        if saved is None:
            return
        try:
            chosen = self.set_strategy(saved.get("strategy"), saved.get("weights"),
                                       source="run time")
            log.info("The %s strategy chosen at run time (state file) wins over the building "
                     "file's %s", chosen.name, self.file_strategy.name)
        except StrategyError as exc:
            log.warning("The strategy saved in the state file is unusable (%s); the building "
                        "file's %s strategy applies", exc, self.file_strategy.name)

    def strategy_json(self) -> dict[str, Any]:
        """The strategy the next re-plan uses, its weights and where it comes from."""
        return {**strategy_json(self.config.strategy), "source": self.strategy_source,
                "building_file": self.file_strategy.name}

    # ---- the loop ------------------------------------------------------------------------------

    def due(self, now: datetime | None = None) -> bool:
        """True when a re-plan is due: its step has come, or an event took or gave back
        devices since the last plan."""
        now = now or self._clock.now()
        if self._next is None or now >= self._next:
            return True
        return self.brain.event_devices(now) != self._held

    def wait_s(self, now: datetime | None = None) -> float:
        """Seconds of the clock's time until the next look (at most ``CHECK_S``; the price
        feed's next fetch counts too) [s]."""
        now = now or self._clock.now()
        if self._next is None:
            return 0.0
        wait = min(CHECK_S, (self._next - now).total_seconds())
        if self.feed is not None and self.feed.next_at is not None:
            wait = min(wait, (self.feed.next_at - now).total_seconds())
        return max(0.0, wait)

    async def refresh_feed(self, now: datetime | None = None) -> bool:
        """Fetch the price feed now (``run`` does when it is due); True when it gave prices.
        Never raises: a failure is logged and the last good prices stay."""
        if self.feed is None:
            return False
        try:
            return await self.feed.refresh(now or self._clock.now())
        except Exception:  # a bug in the feed must not stop the VEN
            log.exception("Price feed %s could not be read", self.feed.settings.source)
            return False

    def step(self, now: datetime | None = None) -> Schedule | None:
        """Re-plan now (synchronously) and send the first interval's commands; None when the
        plan failed (logged; the devices the MPC drove are released)."""
        now = now or self._clock.now()
        try:
            inputs = self.prepare(now)
        except Exception as exc:  # a bad forecast input must not stop the VEN
            self._failed(now, exc)
            return None
        return self.finish(inputs, self.solve(inputs))

    async def run(self, stop: asyncio.Event, sleeper: Callable[[float], Awaitable[None]],
                  save: Callable[[dict[str, Any]], Awaitable[None]] | None = None) -> None:
        """Re-plan whenever due until `stop` (the solve runs in a worker thread); `save` gets
        each new summary (for ``oadr-ven status``)."""
        while not stop.is_set():
            now = self._clock.now()
            if self.feed is not None and self.feed.due(now):
                await self.refresh_feed(now)
            if self.due(now):
                try:
                    inputs = self.prepare(now)
                except Exception as exc:
                    self._failed(now, exc)
                else:
                    result = await asyncio.to_thread(self.solve, inputs)
                    self.finish(inputs, result)
                if save is not None and self._summary is not None:
                    try:
                        await save(self._summary)
                    except Exception as exc:  # the plan stays in force; status shows it late
                        log.warning("The energy plan could not be saved for status (%s: %s); "
                                    "it is in force and saved again at the next re-plan",
                                    type(exc).__name__, exc)
            await sleeper(self.wait_s() or CHECK_S)

    # ---- one re-plan ---------------------------------------------------------------------------

    def prepare(self, now: datetime) -> PlanInputs:
        """Step the brain to `now` and take the state, forecasts, targets and prices."""
        brain, cfg = self.brain, self.config
        brain.tick(now)
        start = pd.Timestamp(brain.meter.time).tz_convert("UTC")
        index = pd.date_range(start, start + pd.Timedelta(cfg.horizon), freq=cfg.step,
                              inclusive="left")
        self._record_peak()
        sim = brain.meter.simulation
        t_out = pd.Series(sim.weather.frame(index + cfg.step / 2)[T_OUT].to_numpy(),
                          index=index)
        carbon = typical_carbon(index, brain.building.timezone)
        step = pd.Timedelta(cfg.step)
        grid = pd.date_range(start.floor(step), start + pd.Timedelta(cfg.horizon), freq=step,
                             inclusive="left")  # the history's metering grid
        try:
            on_grid = learned_forecast(brain.building, brain.meter.history_frame, grid,
                                       t_out.reindex(grid, method="bfill").fillna(
                                           float(t_out.iloc[0])))
            forecast = EnergyForecast(  # each interval takes its grid interval's forecast
                fixed_kw=on_grid.fixed_kw.reindex(index, method="ffill"),
                pv_kw=on_grid.pv_kw.reindex(index, method="ffill"), t_out_c=t_out,
                carbon_g_per_kwh=carbon)
            learned = True
        except ValueError as exc:  # LearningInputError: too little history
            log.debug("Energy plan: learned forecast unavailable (%s); steady model", exc)
            forecast, learned = self._steady_forecast(index, t_out, carbon), False
        moment = start.to_pydatetime()
        states, sources = self._measured(dict(sim.state()), now)
        tariff, priced = self._priced(index)
        self.load_zone_models(now)
        fitted = {m.zone_id: m.params for m in self.models if m.source == "fitted"}
        return PlanInputs(now=moment,
                          state=PlanState(now=moment, devices=states,
                                          month_peak_kw=self._peak.so_far(cfg.tariff, moment)),
                          forecast=forecast, tariff=tariff,
                          targets=self._targets(start), held=brain.event_devices(now),
                          learned=learned, strategy=cfg.strategy,
                          settings=replace(cfg.settings, zone_models={
                              **cfg.settings.zone_models, **fitted}),
                          price_sources=priced, state_sources=sources)

    def solve(self, inputs: PlanInputs) -> Schedule | BaseException:
        """The plan of `inputs` (or the exception that stopped it); touches nothing shared."""
        try:
            return self._planner(self.brain.building, inputs.state, inputs.forecast,
                                 inputs.tariff, inputs.strategy or self.config.strategy,
                                 horizon=self.config.horizon, step=self.config.step,
                                 targets=inputs.targets,
                                 settings=inputs.settings or self.config.settings)
        except Exception as exc:
            return exc

    def _due_after(self, moment: datetime) -> datetime:
        """The next re-plan: the next boundary of the step's grid (plans align to it)."""
        step = pd.Timedelta(self.config.step)
        return (pd.Timestamp(moment).floor(step) + step).to_pydatetime()

    def finish(self, inputs: PlanInputs, result: Schedule | BaseException) -> Schedule | None:
        """Send a plan's first-interval commands (not to devices an event holds) and log it;
        when the strategy changed during the solve, the next re-plan is due at once."""
        try:
            return self._finish(inputs, result)
        finally:
            if inputs.strategy is not None and inputs.strategy is not self.config.strategy:
                self._next = None

    def _finish(self, inputs: PlanInputs, result: Schedule | BaseException) -> Schedule | None:
        self._next = self._due_after(inputs.now)
        self._held = self.brain.event_devices()
        if isinstance(result, BaseException):
            self._failed(inputs.now, result)
            return None
        if not result.optimal:
            self._failed(inputs.now, RuntimeError(f"no optimal plan (HiGHS: {result.status})"))
            return None
        held = self._held
        commands = [c for c in result.commands if c.device_id not in held]
        driven = frozenset(c.device_id for c in commands)
        self._release(self._driven - driven - held)
        self.brain.send_commands(commands)
        self._driven = driven
        self.schedule, self.made_at = result, self._clock.now()
        self.replans += 1
        self.last_error = None
        t = result.totals
        currency = inputs.tariff.currency
        log.info("Energy plan (%s, %g h from %s%s): energy cost %.2f %s, demand charge +%.2f, "
                 "peak %.1f kW, solved in %.3f s; %d command(s)%s%s",
                 result.strategy, self.config.horizon / timedelta(hours=1),
                 inputs.now.astimezone(self.brain.log_zone).strftime("%Y-%m-%d %H:%M"),
                 f", {len(inputs.targets)} DR interval(s)" if inputs.targets else "",
                 t["energy_cost"], currency, t["demand_charge_increment"], t["peak_kw"],
                 result.build_s + result.solve_s, len(commands),
                 f"; left to the event: {', '.join(sorted(held))}" if held else "",
                 "" if inputs.learned else "; steady-model forecast")
        self._summary = self._summarise(inputs, result, held)
        return result

    def summary(self) -> dict[str, Any] | None:
        """The plan in force as JSON (time made, strategy, horizon, totals, next intervals),
        or None before the first plan."""
        return self._summary

    # ---- helpers -------------------------------------------------------------------------------

    def _failed(self, now: datetime, exc: BaseException) -> None:
        self._next = self._due_after(now)
        self._held = self.brain.event_devices()
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("Energy plan failed at %s (%s); the devices stay on their normal control "
                    "until the next re-plan", now.astimezone(self.brain.log_zone)
                    .strftime("%Y-%m-%d %H:%M"), self.last_error)
        self._release(self._driven - self._held)
        self._driven = frozenset()
        self.schedule = None
        if self._summary is not None:
            self._summary = {**self._summary, "in_force": False, "last_error": self.last_error,
                             "failed_at": now.isoformat()}

    def _release(self, devices: frozenset[str]) -> None:
        if devices:
            self.brain.send_commands([Release(device_id=d) for d in sorted(devices)])

    def _record_peak(self) -> None:
        """Remember the imports of the meter's completed 15-min intervals (the month's peak)."""
        history = self.brain.meter.history_kw()
        if self._peak_until is not None:
            history = history[history.index > self._peak_until]
        else:  # first look: this billing month's intervals of the history
            month = self.config.tariff.month_of(self._clock.now())
            local = history.index.tz_convert(self.config.tariff.timezone)
            history = history[(local.year == month[0]) & (local.month == month[1])]
        for moment, kw in history.items():
            self._peak.record(self.config.tariff, pd.Timestamp(str(moment)).to_pydatetime(),
                              max(float(kw), 0.0))
        if len(history):
            self._peak_until = history.index[-1]

    def _steady_forecast(self, index: pd.DatetimeIndex, t_out: pd.Series,
                         carbon: pd.Series) -> EnergyForecast:
        building = self.brain.building
        cal = LocalCalendar.of(index, building.timezone)
        base = by_hour(building.base_load_kw, building.weekend_base_load_kw, cal)
        return EnergyForecast(fixed_kw=pd.Series(base, index=index),
                              pv_kw=pd.Series(np.zeros(len(index)), index=index),
                              t_out_c=t_out, carbon_g_per_kwh=carbon)

    def _targets(self, start: pd.Timestamp) -> tuple[DrTarget, ...]:
        """One ``DrTarget`` per event interval still ahead of the opted-in events' plans."""
        out: list[DrTarget] = []
        for event in self.brain.plans.values():
            request = event.request
            ends = request.index + pd.to_timedelta(request.duration_h, unit="h")
            for i, begin in enumerate(request.index):
                if not request.in_event[i] or ends[i] <= start:
                    continue
                cap = float(request.baseline_kw.iloc[i]) - float(request.target_kw.iloc[i])
                out.append(DrTarget(start=begin.to_pydatetime(), end=ends[i].to_pydatetime(),
                                    max_import_kw=max(cap, 0.0)))
        return tuple(out)

    def _priced(self, index: pd.DatetimeIndex) -> tuple[Tariff, dict[str, int]]:
        """The tariff, with the price feed's prices where it covers an interval and the
        ELECTRICITY_PRICE signals of the events in their intervals (these win); and how many
        intervals each of tariff, feed and events priced."""
        tariff = self.config.tariff
        base = tariff.import_prices(index)
        fed = np.zeros(len(index), dtype=bool)
        if self.feed is not None:
            feed = self.feed.prices_on(index, self.config.step)
            fed = ~np.isnan(feed)
            base = np.where(fed, feed, base)
        signals = [s for e in self.brain.plans.values() for s in e.signals
                   if s.name.upper() == "ELECTRICITY_PRICE"]
        evented = np.zeros(len(index), dtype=bool)
        prices = base.copy()
        for signal in signals:
            for iv in signal.intervals:
                a, b = pd.Timestamp(iv.start), pd.Timestamp(iv.start + iv.duration)
                hit = (index + pd.Timedelta(self.config.step) > a) & (index < b)  # overlap
                kind = signal.type
                prices[hit] = (iv.value if kind == "price" else base[hit] + iv.value
                               if kind == "priceRelative" else base[hit] * iv.value)
                evented |= np.asarray(hit)
        sources = {"events": int(evented.sum()), "feed": int((fed & ~evented).sum()),
                   "tariff": int((~fed & ~evented).sum())}
        if not (fed.any() or evented.any()):
            return tariff, sources
        return tariff.with_series(pd.Series(prices, index=index)), sources

    def _measured(self, states: dict[str, DeviceState], now: datetime
                  ) -> tuple[dict[str, DeviceState], dict[str, str]]:
        """The model's device states with what the devices measure where they report it (a
        zone's or tank's temperature, a battery's soc); and each such device's source."""
        sim = self.brain.meter.simulation
        gateway = self.brain.gateway
        if gateway is sim:  # the simulation is the building: its state is the measurement
            return states, {}
        statuses = gateway.device_status(now)
        sources: dict[str, str] = {}
        for dev_id, state in states.items():
            wanted = [f for f in ("temperature_c", "soc") if getattr(state, f) is not None]
            if not wanted:
                continue
            status = statuses.get(dev_id)
            values: dict[str, Any] = {f: None if status is None else getattr(status, f)
                                      for f in wanted}
            if status is None or status.seen is None:
                why = "no telemetry yet"
            elif not status.online:
                why = status.reason or "offline"
            elif any(v is None for v in values.values()):
                why = "its telemetry has no " + ", ".join(f for f, v in values.items()
                                                        if v is None)
            else:
                states[dev_id] = replace(state, **values)
                sources[dev_id] = "measured"
                if self._fallback.pop(dev_id, None) is not None:
                    log.info("Energy plan: device %s's state is measured again", dev_id)
                continue
            sources[dev_id] = f"model ({why})"
            if dev_id not in self._fallback:
                log.warning("Energy plan: device %s's state comes from the planning model "
                            "(%s) until it reports %s again", dev_id, why, " and ".join(wanted))
            self._fallback[dev_id] = why
        return states, sources

    def load_zone_models(self, now: datetime, *, announce: bool = False) -> list[ModelInForce]:
        """Each zone's model in force (``[energy.zone_models]``): the saved file read when it
        changed, each fit judged at `now`; logged at start (`announce`) and when one changes."""
        settings = self.config.zone_models
        if settings is None:  # the building file's models, logged at start
            if announce:
                self.models = models_in_force(self.brain.building, None, now)
                for model in self.models:
                    log.info("Zone model in force: %s", model.line())
            return self.models
        try:
            stat = settings.path.stat()
            seen: tuple[float, int] | None = (stat.st_mtime, stat.st_size)
        except OSError:
            seen = None
        if seen != self._models_seen or announce:
            self._models_seen = seen
            try:
                self._models_doc, self._models_problem = read_saved_models(settings.path), ""
            except SavedModelsError as exc:
                self._models_doc, self._models_problem = None, str(exc)
                log.warning("Zone models: %s; the building file's models stay in force", exc)
        models = models_in_force(self.brain.building, self._models_doc, now,
                                 max_age_days=settings.max_age_days,
                                 problem=self._models_problem)
        before = {m.zone_id: (m.source, m.params) for m in self.models}
        for model in models:
            if announce or before.get(model.zone_id) != (model.source, model.params):
                (log.info if model.source == "fitted" or not model.note else log.warning)(
                    "Zone model in force: %s", model.line())
        self.models = models
        return models

    def _summarise(self, inputs: PlanInputs, schedule: Schedule, held: frozenset[str]
                   ) -> dict[str, Any]:
        data = schedule.as_json()
        currency = inputs.tariff.currency
        return {"made_at": self._clock.now().isoformat(), "start": inputs.now.isoformat(),
                "in_force": True, "strategy": schedule.strategy,
                "strategy_source": self.strategy_source, "status": schedule.status,
                "horizon_h": self.config.horizon / timedelta(hours=1),
                "step_min": self.config.step / timedelta(minutes=1),
                "tariff": inputs.tariff.kind, "currency": currency,
                "prices": dict(inputs.price_sources),
                "price_feed": None if self.feed is None else self.feed.state_json(),
                "state": dict(inputs.state_sources),
                "zone_models": [m.as_json() for m in self.models],
                "forecast": "learned" if inputs.learned else "steady model",
                "dr_intervals": len(inputs.targets), "left_to_event": sorted(held),
                "solve_s": round(schedule.build_s + schedule.solve_s, 4),
                "totals": data["totals"], "commands": _commands_json(
                    [c for c in schedule.commands if c.device_id not in held]),
                "next": data["intervals"][:NEXT_INTERVALS], "replans": self.replans,
                "failures": self.failures}


_KEPT = ("degradation_per_kwh", "penalty_band_per_ch", "penalty_shed_per_kwh",
         "penalty_ev_per_kwh")
"""Weights a run-time strategy change keeps from the building file unless given."""


def strategy_json(strategy: Strategy) -> dict[str, Any]:
    """A strategy's name and weights as JSON."""
    return {"name": strategy.name, "weights": {
        k: getattr(strategy, k) for k in ("cost", "comfort", "carbon", *_KEPT)}}


def _commands_json(commands: Sequence[DeviceCommand]) -> list[dict[str, Any]]:
    return [{"device_id": c.device_id, "command": type(c).__name__,
             **{k: getattr(c, k) for k in ("kw", "celsius", "on") if hasattr(c, k)}}
            for c in commands]


def plan_lines(summary: dict[str, Any] | None) -> list[str]:
    """``oadr-ven status``'s lines for the energy manager's plan in force."""
    if summary is None:
        return ["Energy manager: no plan yet (or off: no [energy] table in the building file)."]
    t = summary["totals"]
    state = "in force" if summary.get("in_force", True) else (
        f"NOT in force: the last re-plan failed ({summary.get('last_error')})")
    lines = [f"Energy manager: {summary['strategy']} plan made {summary['made_at'][:16]} UTC "
             f"for {summary['horizon_h']:g} h from {summary['start'][:16]} UTC ({state}); "
             f"energy cost {t['energy_cost']:.2f} {summary['currency']}, demand charge "
             f"+{t['demand_charge_increment']:.2f}, peak {t['peak_kw']:.1f} kW, solved in "
             f"{summary['solve_s']:.3f} s"]
    if summary.get("left_to_event"):
        lines.append(f"  left to the event's plan: {', '.join(summary['left_to_event'])}")
    prices = summary.get("prices") or {}
    if prices.get("feed") or prices.get("events"):
        lines.append(f"  prices: {prices.get('events', 0)} interval(s) from price events, "
                     f"{prices.get('feed', 0)} from the feed, {prices.get('tariff', 0)} from "
                     "the tariff")
    if summary.get("price_feed"):
        lines.append(feed_state_line(summary["price_feed"]))
    states = summary.get("state") or {}
    modelled = {d: s for d, s in states.items() if s != "measured"}
    if states:
        lines.append(f"  state: {len(states) - len(modelled)} device(s) measured"
                     + "".join(f"; {d} from the {s}" for d, s in sorted(modelled.items())))
    for zone in summary.get("zone_models") or ():
        note = f"; saved fit not used: {zone['note']}" if zone.get("note") else ""
        lines.append(f"  zone {zone['zone_id']}: {zone['in_force']} model R = "
                     f"{zone['r_c_per_kw']:.4g} °C/kW, C = {zone['c_kwh_per_c']:.4g} kWh/°C"
                     f"{note}")
    for row in summary["next"][:4]:
        lines.append(f"  {row['start'][11:16]} UTC import {row['import_kw']:.1f} kW, export "
                     f"{row['export_kw']:.1f} kW")
    return lines

