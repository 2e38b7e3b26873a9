"""``BuildingBrain``: the VEN's ``EventHandler`` that plans events and drives the building."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from common.clock import Clock
from common.messages.enums import OptType
from ven.baseline import AdjustmentKind, BaselineResult, Confidence, Method
from ven.brain.expectation import EventExpectation, expect, material_change, shortfall_lines
from ven.brain.meter import HISTORY_DAYS, HISTORY_STEP, MeteredBuilding
from ven.brain.outcome import EventOutcome, measure
from ven.brain.planning import (
    MIN_PLAN_STEP,
    EventPlan,
    clip_signals,
    event_baseline,
    plan_event,
    replan_event,
)
from ven.brain.signals import event_signals
from ven.brain.words import describe_outcome, describe_plan
from ven.client.config import DEFAULT_SUPPORTED_SIGNALS
from ven.client.events import EventPhase, EventState
from ven.devices.commands import DeviceCommand, Release
from ven.devices.gateway import DeviceGateway, DeviceStatus
from ven.dispatch import SolveOptions
from ven.dispatch.commands import plan_to_commands
from ven.instructions import EventSignal

__all__ = ["BuildingBrain", "ControlState"]

log = logging.getLogger("ven.brain")

_RECENT_PLANS = 16  # finished plans kept for reports that arrive after the event [-]
CLOSE_REPLAN = timedelta(minutes=15)
"""An event planned earlier than this before its start is planned once more this long before
it (from the device states of then, run on to the start), so that what the VTN hears before
the event comes from the plan the event starts with, not from one made hours ahead while the
building (and its energy manager) went on [min]."""
_BASELINE_CACHE = 64  # baseline windows kept for reports outside events [-]
_PERIODS_KEPT = timedelta(days=7)
"""How long after its end an event's active period is kept for the day-of windows of later
events (``common.baselines.adjustment.adjustment_window``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlState:
    """What the brain is doing at one moment (for TELEMETRY_STATUS).

    event_id: the event in control (None = normal operation); level: SIMPLE level of the
    event [0..3] (0 outside events); offset_pct: planned load change against the baseline [%]
    (negative = shed).
    """

    event_id: str | None = None
    level: float = 0.0
    offset_pct: float = 0.0


class BuildingBrain:
    """Plans every opted-in event on the building and carries the plans out.

    Hooks (``on_event``, ``on_cancel``) plan, re-plan or drop an event at once; ``tick(now)``
    steps the metered building up to `now`, applying the active plan's commands at each plan
    interval and releasing every device when no plan is in control. Nothing sleeps: the VEN's
    loop (or a test's ``ManualClock``) drives ``tick``. `supported` is the client's list of
    supported signal names (the list that decides a 460 answer). An event planned before its
    day-of adjustment window had data is planned again at the first ``tick`` after the window
    ends, with the adjusted baseline (``_apply_day_of``).

    With a `gateway` of its own (MQTT devices), the model still steps whole minutes that are
    over, but the devices are sent the commands of the plan interval in force at once: when a
    plan or re-plan is made and when an interval starts (at the first ``tick`` after it), not at
    the model's next step.

    With `closed_loop` (the default) the plan is carried out in receding horizon: at every
    plan-interval boundary after the first, the rest of the event and its rebound are
    re-planned from the measured device states, with the forecast corrected by the last
    interval's measured - planned load (``replan_event``), before that interval's commands
    are applied. One DEBUG line per re-plan; the event's INFO summary counts them.

    Each plan keeps control for `recovery` after the event (None: the building file's
    ``[programme] recovery_minutes``, 60 by default, ``planning.RECOVERY_WINDOW``):
    the devices are released as that plan's recovery schedule says (a zone's set point
    stepped back to normal, a load switched back on when its turn comes), so that the load
    stays at or below the no-event load plus ``Weights.rebound_free``; every device is
    released when the window ends.
    """

    def __init__(
        self,
        meter: MeteredBuilding,
        clock: Clock,
        *,
        supported: Collection[str] = DEFAULT_SUPPORTED_SIGNALS,
        options: SolveOptions | None = None,
        closed_loop: bool = True,
        log_zone: tzinfo = UTC,
        gateway: DeviceGateway | None = None,
        recovery: timedelta | None = None,
    ) -> None:
        if recovery is None:
            recovery = timedelta(minutes=meter.building.programme.recovery_minutes)
        if recovery < timedelta(0):
            raise ValueError(f"recovery window must not be negative, got {recovery}")
        self.recovery = recovery
        self.meter = meter
        # where commands go and what the devices say back; the model itself by default
        self.gateway: DeviceGateway = gateway if gateway is not None else meter.simulation
        self.log_zone = log_zone  # plans and outcomes as logged (the VEN's [log] zone)
        self.closed_loop = closed_loop
        self.building = meter.building
        self.zone = ZoneInfo(self.building.timezone)
        self._clock = clock
        self._supported = tuple(supported)
        self._options = options
        self._plans: dict[str, EventPlan] = {}
        self._devices_out: dict[str, tuple[str, ...]] = {}
        self._recent: deque[EventPlan] = deque(maxlen=_RECENT_PLANS)
        self._event_days: set[date] = set()
        self._baselines: dict[tuple[pd.Timestamp, pd.Timestamp], BaselineResult] = {}
        # event -> its active period [start, end) (what ran, for one dropped while running),
        # so that a later event's day-of window is moved back before the events it overlaps
        self._periods: dict[str, tuple[datetime, datetime]] = {}
        # event -> end of its day-of adjustment window, for events planned before it had data
        self._day_of_due: dict[str, datetime] = {}
        # event -> when it is planned once more shortly before its start (``CLOSE_REPLAN``)
        self._close_due: dict[str, datetime] = {}
        self._applied: tuple[str, int, int] | None = None  # the model's commands: whose
        self._controlling = False
        self._sent: tuple[str, int, int, int] | None = None  # the devices' commands: whose
        self._devices_controlled = False
        self._released: dict[str, frozenset[str]] = {}  # event -> devices the gateway released
        self._said: dict[str, EventExpectation] = {}  # event -> the expectation announced
        self._following = False
        # called once per device an event's plan loses to a manual override (event, device):
        # the VEN opts that device out of the event (oadrCreateOpt with its resource ID)
        self.on_override: Callable[[str, str], None] | None = None

    @classmethod
    def simulated(
        cls,
        building_file: str | Path,
        clock: Clock,
        *,
        seed: int = 0,
        history_days: int = HISTORY_DAYS,
        supported: Collection[str] = DEFAULT_SUPPORTED_SIGNALS,
        options: SolveOptions | None = None,
        closed_loop: bool = True,
        log_zone: tzinfo = UTC,
        recovery: timedelta | None = None,
    ) -> BuildingBrain:
        """A brain for the simulated building of a building file, starting at clock.now()."""
        meter = MeteredBuilding.from_file(building_file, start=clock.now(), seed=seed,
                                          history_days=history_days)
        return cls(meter, clock, supported=supported, options=options, closed_loop=closed_loop,
                   log_zone=log_zone, recovery=recovery)

    def __repr__(self) -> str:
        return f"BuildingBrain({self.building.id!r}, plans={sorted(self._plans)})"

    @property
    def plans(self) -> Mapping[str, EventPlan]:
        """The plans of the events not over yet, by event ID."""
        return dict(self._plans)

    def latest(self, event_id: str) -> EventPlan | None:
        """The latest plan of an event (re-plans included), running or recently finished."""
        found = self._plans.get(event_id)
        if found is not None:
            return found
        return next((p for p in reversed(self._recent) if p.event_id == event_id), None)

    def expectation(self, event_id: str) -> EventExpectation | None:
        """What the latest plan of `event_id` expects to deliver per event interval against
        what is asked [kW], with the reasons of any shortfall (``ven.brain.expectation``)."""
        plan = self.latest(event_id)
        if plan is None:
            return None
        return expect(plan, self.building, released=self._released.get(event_id, ()))

    def announced(self, event_id: str) -> EventExpectation | None:
        """What the VEN says it expects to deliver in a planned event (its x-EXPECTED_DELIVERY
        report and ``oadr-ven status``): the latest plan's expectation the first time and
        whenever a plan or re-plan changes it materially (``material_change``: an interval
        still to come moved by more than 5 % of the requested shed, or another modification),
        else the one announced before, so that the VTN hears each material change once and
        not every small move of a re-plan. None when the event is not planned (any more)."""
        if event_id not in self._plans:
            self._said.pop(event_id, None)
            return None
        latest = self.expectation(event_id)
        if latest is None:
            return None
        said = self._said.get(event_id)
        if said is not None and not material_change(said, latest, self.meter.time):
            return said
        self._said[event_id] = latest
        if said is not None:
            log.info("Event %s: the plan now expects %s (it said %s before): telling the VTN",
                     event_id, _pct_words(latest), _pct_words(said))
        return latest

    # ---- EventHandler ---------------------------------------------------------------------------

    async def on_event(self, state: EventState) -> None:
        """Plan an opted-in event (or re-plan a modification); drop an opted-out one."""
        if state.opt is not OptType.OPT_IN:
            why = "opted out" if state.opt is OptType.OPT_OUT else "waiting for an answer"
            if state.event_id in self._plans:
                self.drop(state.event_id, f"{why}: all devices back to normal operation")
            else:
                log.info("Event %s not planned (%s)", state.event_id, why)
            return
        opted_out = tuple(sorted(d for d, o in state.device_opts.items()
                                 if o is OptType.OPT_OUT))
        current = self._plans.get(state.event_id)
        if current is not None and current.modification_number == state.modification_number \
                and self._devices_out.get(state.event_id, ()) == opted_out:
            return  # an answer was sent again: nothing to plan
        found = event_signals(state.event, state.effective_start, self._supported)
        for reason in found.skipped:
            log.warning("Event %s: ignoring a signal (%s)", state.event_id, reason)
        self.plan(state.event_id, state.modification_number, found.signals, opted_out=opted_out)

    async def resume(self, states: Iterable[EventState]) -> None:
        """Plan again the events a restarted VEN holds (the client announces only changes);
        the opted-in ones that ran before the restart keep moving later events' day-of
        windows back (``earlier_events``)."""
        now = self._clock.now()
        for state in states:
            if state.phase in (EventPhase.COMPLETED, EventPhase.STOPPING) \
                    and state.opt is OptType.OPT_IN and state.end is not None:
                end = min(state.end, now)
                if state.effective_start < end:
                    self._periods.setdefault(state.event_id, (state.effective_start, end))
        for state in states:
            if state.phase is EventPhase.ACTIVE:
                await self.on_event(state)

    async def on_cancel(self, state: EventState) -> None:
        """Stop acting on a cancelled event: release every device."""
        self.drop(state.event_id, "cancelled: all devices back to normal operation")

    # ---- planning -------------------------------------------------------------------------------

    def plan(
        self,
        event_id: str,
        modification_number: int,
        signals: Sequence[EventSignal],
        *,
        opted_out: Collection[str] = (),
        fresh: bool = False,
    ) -> EventPlan | None:
        """Plan (or re-plan) an event from its signals; None when there is nothing to do.
        `fresh`: from the device states of now (the model built again, not re-solved in
        place)."""
        self.tick()
        now = self.meter.time
        if not signals:
            log.warning("Event %s has no signal this VEN acts on: nothing planned", event_id)
            self.drop(event_id, "dropped: all devices back to normal operation")
            return None
        start = min(iv.start for s in signals for iv in s.intervals)
        end = max(iv.start + iv.duration for s in signals for iv in s.intervals)
        if end <= now:
            log.info("Event %s is already over: nothing planned", event_id)
            return None
        baseline = self._event_baseline(start, end, event_id=event_id)
        after = self._recovery_baseline(start, end, event_id)
        self._event_days.add(start.astimezone(self.zone).date())
        self._periods[event_id] = (start, end)
        for other, (_, until) in list(self._periods.items()):
            if until < now - _PERIODS_KEPT:
                del self._periods[other]
        ahead = clip_signals(signals, now) if start < now else tuple(signals)
        previous = self._plans.get(event_id)
        released = self.released_devices()
        planned = plan_event(event_id, modification_number, ahead, baseline,
                             self.meter.simulation, previous=previous,
                             opted_out=sorted({*opted_out, *released}), options=self._options,
                             recovery=self.recovery, recovery_baseline=after, fresh=fresh)
        self._released[event_id] = released
        if released:
            log.info("Event %s: planned without %s (offline or overridden)", event_id,
                     ", ".join(sorted(released)))
        if not planned.result.has_solution:
            log.warning("Event %s: the solver found no plan (%s%s); the building runs normally",
                        event_id, planned.result.status.value,
                        f": {planned.result.message}" if planned.result.message else "")
        self._plans[event_id] = planned
        self._devices_out[event_id] = tuple(sorted(opted_out))
        adjustment = baseline.adjustment
        window_end = adjustment.window_end or start - adjustment.rule.gap
        if adjustment.kind is not AdjustmentKind.NONE and not adjustment.applied \
                and now < window_end:
            self._day_of_due[event_id] = window_end  # re-planned then (``_apply_day_of``)
        else:
            self._day_of_due.pop(event_id, None)
        if now < start - CLOSE_REPLAN:
            self._close_due[event_id] = start - CLOSE_REPLAN  # ``_apply_close``
        else:
            self._close_due.pop(event_id, None)
        self._applied = None  # apply the new plan's commands at the model's next step
        self._sent = None  # and send them to the devices now (when the event is on)
        log.info("%s", describe_plan(planned, self.building, self.log_zone))
        for note in planned.request.notes:
            log.info("Event %s: %s", event_id, note)
        for line in shortfall_lines(expect(planned, self.building, released=released),
                                    self.log_zone):
            log.warning("%s", line[0].upper() + line[1:])
        self._drive_devices()
        return planned

    def drop(self, event_id: str, why: str) -> None:
        """Stop acting on an event now and release every device."""
        self.tick()
        plan = self._plans.pop(event_id, None)
        self._devices_out.pop(event_id, None)
        self._released.pop(event_id, None)
        self._day_of_due.pop(event_id, None)
        self._close_due.pop(event_id, None)
        self._said.pop(event_id, None)
        period = self._periods.pop(event_id, None)
        if period is not None and period[0] < self.meter.time:  # it ran until now
            self._periods[event_id] = (period[0], min(period[1], self.meter.time))
        if plan is None:
            return
        self._recent.append(plan)
        self._release_all()
        self._release_devices()
        log.info("Event %s %s", event_id, why)
        self._drive_devices()  # another event may be in control

    # ---- driving the building -------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Step the building up to `now` (default: the clock's now), carrying out the plans;
        returns the number of simulation steps."""
        now = now or self._clock.now()
        steps = self.meter.advance(now, self._before_step)
        for event_id, plan in list(self._plans.items()):
            if plan.until <= self.meter.time:
                del self._plans[event_id]
                self._devices_out.pop(event_id, None)
                self._day_of_due.pop(event_id, None)
                self._close_due.pop(event_id, None)
                self._said.pop(event_id, None)
                self._recent.append(plan)
                log.info("%s", describe_outcome(plan, self.outcome(plan), self.log_zone))
                if plan.replans:
                    log.info("Event %s: re-planned %d time(s) in closed loop (%.2f s in all, "
                             "last forecast correction %+.2f kW)", event_id, plan.replans,
                             plan.replan_s, plan.last_bias_kw)
        self._apply_day_of()
        self._apply_close()
        self._follow_devices()
        self._drive_devices(now)
        return steps

    def _apply_day_of(self) -> None:
        """Re-plan (``plan``, which computes the event baseline again) each event planned
        before its day-of adjustment window had data, once that window is complete (the meter
        stands at or after its end), so that its baseline and shed target carry the
        adjustment."""
        for event_id, due in list(self._day_of_due.items()):
            plan = self._plans.get(event_id)
            if plan is None or self.meter.time < due:
                continue
            del self._day_of_due[event_id]
            new = self.plan(event_id, plan.modification_number, plan.signals,
                            opted_out=self._devices_out.get(event_id, ()), fresh=True)
            if new is None:
                continue
            words = new.baseline.adjustment_words.removeprefix("day-of ")
            if new.baseline.adjustment.applied:
                log.info("Event %s: day-of adjustment now applied: %s", event_id, words)
            else:
                log.warning("Event %s: day-of adjustment still not applied once its window "
                            "ended: %s", event_id, words)

    def _apply_close(self) -> None:
        """Plan again (``plan``) each event planned hours ahead once its start is
        ``CLOSE_REPLAN`` away, from the states of now run on to the start."""
        for event_id, due in list(self._close_due.items()):
            plan = self._plans.get(event_id)
            if plan is None or self.meter.time < due:
                continue
            del self._close_due[event_id]
            log.debug("Event %s: planned again %s before its start", event_id,
                      CLOSE_REPLAN)
            self.plan(event_id, plan.modification_number, plan.signals,
                      opted_out=self._devices_out.get(event_id, ()), fresh=True)

    def measured_kw(self, start: datetime, end: datetime) -> float:
        """Mean measured building load over [start, end) [kW]: the gateway's meter when it has
        one (``[mqtt] meter``), else the model's; NaN when not measured (yet)."""
        real = self.gateway.metered_kw(start, end)
        return self.meter.mean_kw(start, end) if real is None else real

    def outcome(self, plan: EventPlan) -> EventOutcome:
        """What `plan` has delivered so far, measured as ``measured_kw``."""
        gateway = None if self.gateway is self.meter.simulation else self.gateway
        return measure(plan, self.meter, gateway)

    @property
    def clock(self) -> Clock:
        """The clock the brain runs on (the devices' time; the model lags it by < 1 step)."""
        return self._clock

    def device_status(self, now: datetime | None = None) -> Mapping[str, DeviceStatus]:
        """What the gateway says of every device (online, override) at `now`."""
        return self.gateway.device_status(now or self._clock.now())

    def released_devices(self, now: datetime | None = None) -> frozenset[str]:
        """Devices the dispatch must leave out: offline or overridden (``DeviceGateway``)."""
        return frozenset(d for d, s in self.device_status(now).items() if not s.available)

    def event_devices(self, moment: datetime | None = None) -> frozenset[str]:
        """The devices an event's plan controls at `moment` (its recovery window included);
        empty in normal operation. The energy manager leaves these to the event."""
        plan, _ = self._in_control(moment or self._clock.now())
        return frozenset() if plan is None else frozenset(plan.plan.power_kw.columns)

    def send_commands(self, commands: Sequence[DeviceCommand]) -> None:
        """Commands from outside the event dispatch (the energy manager): to the model, and to
        the devices when they have a gateway of their own (not to released devices)."""
        self._apply(commands)
        if self.gateway is not self.meter.simulation:
            self._send(commands)

    def _follow_devices(self) -> None:
        """Re-plan a running event without the devices that went offline or were overridden
        (and with those that came back): what the building says back wins."""
        if self._following or self.gateway is self.meter.simulation:
            return
        self._following = True
        try:
            status = self.device_status()
            released = frozenset(d for d, s in status.items() if not s.available)
            for event_id, plan in list(self._plans.items()):
                if self._released.get(event_id) == released:
                    continue
                newly = sorted(released - self._released.get(event_id, frozenset()))
                log.warning("Event %s: re-planning; released from the plan: %s", event_id,
                            ", ".join(newly) or "none (devices came back)")
                for device_id in newly:
                    if status[device_id].override and self.on_override is not None:
                        self.on_override(event_id, device_id)
                self.plan(event_id, plan.modification_number, plan.signals,
                          opted_out=self._devices_out.get(event_id, ()))
        finally:
            self._following = False

    def _before_step(self, moment: datetime) -> None:
        plan, pos = self._in_control(moment)
        if plan is None:
            self._applied = None
            if self._controlling:
                self._release_all()
            return
        key = (plan.event_id, plan.modification_number, pos)
        if key == self._applied:
            return
        following = self._applied is not None and self._applied[:2] == key[:2] \
            and 0 < pos < len(plan.request.index)
        if self.closed_loop and plan.plan.has_solution and (following or self._ahead(plan, pos,
                                                                                      moment)):
            plan = self._replan(plan, pos)
        commands = plan_to_commands(plan.plan, self.building, moment)
        self._apply(commands)
        self._applied = key
        self._controlling = True
        log.debug("Event %s interval %d: %d command(s)", plan.event_id, pos, len(commands))

    @staticmethod
    def _ahead(plan: EventPlan, pos: int, moment: datetime) -> bool:
        """Whether `plan` starts now (`pos` 0 at `moment`) but was made ahead of it, from the
        device states of that earlier time (an event received hours ahead, or planned again
        when its day-of window ended): re-planned then from the measured states."""
        return pos == 0 and plan.replans == 0 and plan.planned_at is not None \
            and plan.planned_at + MIN_PLAN_STEP <= moment

    def _replan(self, plan: EventPlan, pos: int) -> EventPlan:
        """Re-plan `plan` from interval `pos` on (the meter stands at its start; 0: the whole
        plan, made ahead, from the states at its start)."""
        index = plan.request.index
        error = 0.0
        planned = measured = math.nan
        if pos > 0:
            start = index[pos - 1]
            planned = float(plan.plan.net_load_kw.iloc[pos - 1])
            measured = self.measured_kw(start.to_pydatetime(), index[pos].to_pydatetime())
            error = measured - planned if math.isfinite(measured) else 0.0
        new = replan_event(plan, self.meter.simulation, pos, error_kw=error,
                           options=self._options)
        self._plans[plan.event_id] = new
        last = ("planned ahead, now from the measured states" if pos == 0 else
                f"measured {measured:.2f} kW vs planned {planned:.2f} kW")
        log.debug("Event %s re-plan at interval %d: %s (correction %+.2f kW), %s, shed %.2f kW "
                  "for target %.2f kW, %.2f s", plan.event_id, pos, last, new.last_bias_kw,
                  new.result.status.value, float(new.plan.expected_shed_kw.iloc[pos]),
                  float(new.plan.target_kw.iloc[pos]), new.replan_s - plan.replan_s)
        return new

    def _in_control(self, moment: datetime) -> tuple[EventPlan | None, int]:
        """The plan whose interval holds `moment` (the latest-starting plan wins)."""
        ts = pd.Timestamp(moment)
        found: tuple[EventPlan | None, int] = (None, -1)
        for plan in self._plans.values():
            if not plan.plan.has_solution or not plan.start <= moment < plan.until:
                continue
            if found[0] is None or plan.start >= found[0].start:
                found = (plan, int(plan.request.index.searchsorted(ts, side="right")) - 1)
        return found

    def _release_all(self) -> None:
        self._apply([Release(device_id=d.id) for d in self.building.devices])
        self._controlling = False
        self._applied = None

    def _apply(self, commands: Sequence[DeviceCommand]) -> None:
        self.meter.simulation.apply(commands)  # the model follows the plan

    # ---- driving the devices (a gateway of their own) -------------------------------------------

    def _drive_devices(self, now: datetime | None = None) -> None:
        """Send the devices the commands of the plan interval in force at `now` as soon as it
        starts, is planned or is re-planned. The model simulates whole steps that are over (its
        commands are applied at the start of each one, ``_before_step``); the devices live now,
        so they do not wait for the model's next step. Nothing to do when the model is the
        building (the embedded simulation)."""
        if self.gateway is self.meter.simulation:
            return
        moment = now or self._clock.now()
        plan, pos = self._in_control(moment)
        if plan is None:
            if self._devices_controlled:
                self._release_devices()
            return
        key = (plan.event_id, plan.modification_number, plan.replans, pos)
        if key == self._sent:
            return
        commands = plan_to_commands(plan.plan, self.building, moment)
        self._send(commands)
        self._sent = key
        self._devices_controlled = True
        log.debug("Event %s interval %d: %d command(s) sent to the devices", plan.event_id, pos,
                  len(commands))

    def _release_devices(self) -> None:
        if self.gateway is not self.meter.simulation:
            self._send([Release(device_id=d.id) for d in self.building.devices])
        self._devices_controlled = False
        self._sent = None

    def _send(self, commands: Sequence[DeviceCommand]) -> None:
        """Commands to the gateway, leaving out (all but releases to) released devices."""
        released = self.released_devices()
        self.gateway.send([c for c in commands
                           if c.device_id not in released or isinstance(c, Release)])

    # ---- baselines and control state (for reports) ----------------------------------------------

    def _recovery_baseline(self, start: datetime, end: datetime,
                           event_id: str | None = None) -> pd.Series | None:
        """The customer baseline [kW] over the recovery window after an event [start, end)
        (with the event's day-of adjustment); None without a window or without data."""
        if self.recovery <= timedelta(0):
            return None
        whole = self._event_baseline(start, end + self.recovery, event_id=event_id)
        if not whole.ok:
            return None
        values = whole.baseline
        return values[values.index >= pd.Timestamp(end).floor(HISTORY_STEP)]

    def _event_baseline(self, start: datetime, end: datetime, *, adjusted: bool = True,
                        event_id: str | None = None) -> BaselineResult:
        """The baseline of [start, end); for event `event_id`, its day-of window is moved back
        before the other events that ran or are planned before it (``earlier_events``)."""
        earlier = [p for other, p in self._periods.items() if other != event_id]
        return event_baseline(self.meter.history_kw(), self.building, start, end,
                              event_days=tuple(self._event_days - {
                                  start.astimezone(self.zone).date()}), adjusted=adjusted,
                              earlier_events=earlier)

    def baseline_kw(self, start: datetime, end: datetime) -> tuple[pd.Series, Method, Confidence]:
        """Baseline [kW] per metering interval overlapping [start, end): the event's baseline
        (with its day-of adjustment) inside an event, else the baseline engine's value without
        the day-of adjustment (with method and confidence): a VTN compares it with the usage
        before an event to check the event's adjustment."""
        a = pd.Timestamp(start).tz_convert("UTC").floor(HISTORY_STEP)
        b = pd.Timestamp(end).tz_convert("UTC").ceil(HISTORY_STEP)
        key = (a, b)
        result = self._baselines.get(key)
        if result is None:
            result = self._event_baseline(a.to_pydatetime(), b.to_pydatetime(), adjusted=False)
            if len(self._baselines) >= _BASELINE_CACHE:
                self._baselines.pop(next(iter(self._baselines)))
            self._baselines[key] = result
        values = result.baseline.copy()
        for plan in [*self._recent, *self._plans.values()]:
            event = plan.baseline.baseline  # the whole event window, also once re-planned
            inside = values.index.intersection(event.index)
            values.loc[inside] = event.loc[inside]
        return values, result.method, result.confidence

    def control_state(self, moment: datetime) -> ControlState:
        """What the brain is doing at `moment` (normal operation outside events)."""
        plan, pos = self._in_control(moment)
        if plan is None or pos < 0 or not plan.request.in_event[pos]:
            return ControlState()
        level = 0.0
        for sig in plan.signals:
            if sig.name.upper() == "SIMPLE":
                level = max([iv.value for iv in sig.intervals
                             if iv.start <= moment < iv.start + iv.duration], default=level)
        base = float(plan.request.baseline_kw.iloc[pos])
        shed = float(plan.plan.expected_shed_kw.iloc[pos])
        offset = -100.0 * shed / base if base > 0 else 0.0
        return ControlState(event_id=plan.event_id, level=level, offset_pct=offset)


def _pct_words(found: EventExpectation) -> str:
    """``58 kW of the 60 kW asked (97 %)``."""
    pct = found.expected_pct
    return (f"{found.expected_kw:.1f} kW of the {found.requested_kw:.1f} kW asked"
            + ("" if pct is None else f" ({pct:.0f} %)"))
