"""Event signals -> a shed target per interval, prices, and per-device participation rules.

The wire layer's typed event is adapted to :class:`EventSignal` by the caller; this module
never imports ``common.messages``. Mapping (see the README's interpretations section):

- ``SIMPLE``/``level``: levels 1, 2, 3 shed ``Building.simple_level_shares`` of the baseline;
  level 0 sheds nothing.
- ``LOAD_DISPATCH``/``setpoint``: the building should draw ``value`` [kW], so the shed is
  ``baseline - value``; ``LOAD_DISPATCH``/``delta``: shed ``value`` [kW].
- ``LOAD_CONTROL``: ``x-loadControlCapacity`` (use at most ``value`` of the baseline, 0..1),
  ``x-loadControlLevelOffset`` (offset k >= 1 acts as SIMPLE level min(k, 3)),
  ``x-loadControlPercentOffset`` (a negative offset sheds ``-value`` percent of the baseline),
  ``x-loadControlSetpoint`` (like a LOAD_DISPATCH setpoint [kW]).
- ``ELECTRICITY_PRICE``: ``price`` [USD/kWh], ``priceRelative`` (tariff + value [USD/kWh]),
  ``priceMultiplier`` (tariff * value); it makes the dispatch price-aware, it sets no target.

Several shed signals in one event combine to the largest shed per interval. Load *increases*
(negative sheds) are not acted on: the target is clipped at 0 and a note says so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from common.errors import SignalNotSupported
from common.wording import duration_words
from ven.devices.model import SHIFTING_LIMIT, AnyDevice, Building, Participation, PvArray

SIGNAL_TYPES: dict[str, frozenset[str]] = {
    "SIMPLE": frozenset({"level"}),
    "LOAD_DISPATCH": frozenset({"setpoint", "delta"}),
    "LOAD_CONTROL": frozenset(
        {
            "x-loadControlCapacity",
            "x-loadControlLevelOffset",
            "x-loadControlPercentOffset",
            "x-loadControlSetpoint",
        }
    ),
    "ELECTRICITY_PRICE": frozenset({"price", "priceRelative", "priceMultiplier"}),
}
"""Signal names this VEN acts on, and the 2.0b signal types accepted for each."""

ALLOWED_CHANGE: dict[Participation, float] = {
    Participation.PARTICIPATION: 1.0,
    Participation.SHIFTING: SHIFTING_LIMIT,
    Participation.OFF: 0.0,
}
"""Largest change of a device's power under each rule [fraction of its baseline power]."""

_STRICTNESS = {Participation.PARTICIPATION: 0, Participation.SHIFTING: 1, Participation.OFF: 2}


class SignalInterval(NamedTuple):
    """One interval of a signal: start (tz-aware), duration, and payload value."""

    start: datetime
    duration: timedelta
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSignal:
    """An event signal as the dispatch needs it: 2.0b signalName, signalType and intervals."""

    name: str
    type: str
    intervals: tuple[SignalInterval, ...]

    def __post_init__(self) -> None:
        ivs = tuple(SignalInterval(*iv) for iv in self.intervals)
        object.__setattr__(self, "intervals", ivs)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    """What the dispatch must plan: intervals, target, prices and per-device rules.

    index: interval starts, tz-aware UTC; the last ``(~in_event).sum()`` intervals follow the
    event and exist to watch the rebound.
    duration_h: interval lengths [h]. in_event: True for intervals inside the event.
    target_kw: shed to achieve per interval [kW] (0 after the event).
    baseline_kw: building baseline the target was derived from [kW].
    price_usd_per_kwh: energy price per interval [USD/kWh], or None without a price signal.
    rules: participation rule per interval (rows) and device id (columns), as strings.
    notes: what was interpreted, clipped or ignored on the way.
    no_event_kw: the building's load without the event per interval [kW], the reference of
    the recovery window (see ``ModelData.rebound_floor``); None = the dispatch's forecast.
    """

    index: pd.DatetimeIndex
    duration_h: np.ndarray
    in_event: np.ndarray
    target_kw: pd.Series
    baseline_kw: pd.Series
    price_usd_per_kwh: pd.Series | None
    rules: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    no_event_kw: pd.Series | None = None

    @property
    def allowed_change(self) -> pd.DataFrame:
        """Largest change of each device's power per interval [fraction of its baseline]."""
        return self.rules.apply(lambda col: col.map(lambda r: ALLOWED_CHANGE[Participation(r)]))

    def with_target(
        self, target_kw: Sequence[float] | pd.Series, price: pd.Series | None = None
    ) -> PlanRequest:
        """A copy with a new target [kW] (and optionally prices [USD/kWh]) on the same index."""
        target = pd.Series(np.asarray(target_kw, dtype=float), index=self.index, name="target_kw")
        return PlanRequest(
            index=self.index,
            duration_h=self.duration_h,
            in_event=self.in_event,
            target_kw=target,
            baseline_kw=self.baseline_kw,
            price_usd_per_kwh=self.price_usd_per_kwh if price is None else price,
            rules=self.rules,
            notes=self.notes,
            no_event_kw=self.no_event_kw,
        )


def check_signal(signal: EventSignal) -> None:
    """Raise SignalNotSupported unless this VEN can act on `signal`."""
    name = _canonical_name(signal.name)
    if name not in SIGNAL_TYPES:
        raise SignalNotSupported(
            f"signal {signal.name!r} is not supported; this VEN acts on "
            f"{', '.join(sorted(SIGNAL_TYPES))}"
        )
    if signal.type not in SIGNAL_TYPES[name]:
        raise SignalNotSupported(
            f"signal {name} with type {signal.type!r} is not supported; accepted types: "
            f"{', '.join(sorted(SIGNAL_TYPES[name]))}"
        )
    for iv in signal.intervals:
        if iv.start.tzinfo is None:
            raise SignalNotSupported(f"signal {name}: interval start {iv.start} is not tz-aware")
        if iv.duration <= timedelta(0):
            raise SignalNotSupported(
                f"signal {name}: interval duration {duration_words(iv.duration)} is not positive")
        if name == "SIMPLE" and iv.value not in (0, 1, 2, 3):
            raise SignalNotSupported(f"SIMPLE level {iv.value!r} is not one of 0, 1, 2, 3")


def timeline(
    signals: Sequence[EventSignal],
    *,
    step: timedelta | None = timedelta(minutes=15),
    rebound: timedelta = timedelta(hours=1),
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Planning intervals of an event: (starts UTC, durations [h], in_event mask).

    The boundaries are the union of every signal interval's edges, split so that no interval
    is longer than `step`; `rebound` of post-event intervals (of length `step`, or of the last
    event interval) follow the event.
    """
    edges: set[pd.Timestamp] = set()
    for sig in signals:
        for iv in sig.intervals:
            start = pd.Timestamp(iv.start).tz_convert("UTC")
            edges.add(start)
            edges.add(start + pd.Timedelta(iv.duration))
    if not edges:
        empty = pd.DatetimeIndex([], tz="UTC")
        return empty, np.zeros(0), np.zeros(0, dtype=bool)
    bounds = sorted(edges)
    starts: list[pd.Timestamp] = []
    for a, b in itertools.pairwise(bounds):
        starts.extend(_split(a, b, step))
    end = bounds[-1]
    n_event = len(starts)
    post_step = pd.Timedelta(step) if step else (end - starts[-1])
    t = end
    while t < end + pd.Timedelta(rebound):
        starts.append(t)
        t = t + post_step
    edges_all = [*starts, t] if len(starts) > n_event else [*starts, end]
    index = pd.DatetimeIndex(starts, tz="UTC")
    duration_h = np.diff(np.array([e.value for e in edges_all], dtype=np.int64)) / 3.6e12
    in_event = np.arange(len(starts)) < n_event
    return index, duration_h, in_event


def _split(a: pd.Timestamp, b: pd.Timestamp, step: timedelta | None) -> list[pd.Timestamp]:
    if step is None or b - a <= pd.Timedelta(step):
        return [a]
    n = math.ceil((b - a) / pd.Timedelta(step))
    return [a + k * pd.Timedelta(step) for k in range(n)]


def plan_request(
    signals: Sequence[EventSignal],
    building: Building,
    baseline_kw: pd.Series | float,
    *,
    step: timedelta | None = timedelta(minutes=15),
    rebound: timedelta = timedelta(hours=1),
    tariff_usd_per_kwh: float = 0.20,
) -> PlanRequest:
    """Map an event's signals to a PlanRequest.

    baseline_kw: the building's baseline [kW], a scalar or a Series on a tz-aware index (a
    value holds until the next one; looked up at each interval start).
    tariff_usd_per_kwh: the normal price that priceRelative/priceMultiplier modify [USD/kWh].
    Raises SignalNotSupported for a signal name or type this VEN cannot act on.
    """
    for sig in signals:
        check_signal(sig)
    index, duration_h, in_event = timeline(signals, step=step, rebound=rebound)
    notes: list[str] = []
    baseline = _baseline_on(index, baseline_kw)
    target = np.zeros(len(index))
    price: np.ndarray | None = None
    shed_signals = 0
    for sig in signals:
        name = _canonical_name(sig.name)
        values = _values_on(index, sig)
        if name == "ELECTRICITY_PRICE":
            p = _price(sig.type, values, tariff_usd_per_kwh)
            price = p if price is None else np.where(np.isnan(p), price, p)
            continue
        shed_signals += 1
        shed = _shed(name, sig.type, values, baseline.to_numpy(), building)
        negative = int((shed[in_event] < 0).sum())
        if negative:
            notes.append(
                f"{name}/{sig.type}: {negative} interval(s) ask for a negative shed (a load "
                "increase, or a baseline <= 0); target 0 there"
            )
        target = np.fmax(target, np.nan_to_num(np.clip(shed, 0, None)))
    target[~in_event] = 0.0
    if price is not None:
        price = np.where(np.isnan(price), tariff_usd_per_kwh, price)
    if shed_signals == 0 and price is None:
        notes.append("event has no signal; nothing to shed")
    return PlanRequest(
        index=index,
        duration_h=duration_h,
        in_event=in_event,
        target_kw=pd.Series(target, index=index, name="target_kw"),
        baseline_kw=baseline,
        price_usd_per_kwh=None if price is None else pd.Series(price, index=index, name="price"),
        rules=participation_rules(building, index, duration_h),
        notes=tuple(notes),
    )


def participation_rules(
    building: Building, index: pd.DatetimeIndex, duration_h: np.ndarray
) -> pd.DataFrame:
    """Rule per interval and device: the strictest hourly rule the interval overlaps.

    Hours are the building's local hours; a device with ``dr_enabled=False`` is OFF throughout.
    PV arrays are never dispatched and are left out.
    """
    tz = ZoneInfo(building.timezone)
    devices = [d for d in building.devices if not isinstance(d, PvArray)]
    hours = [_local_hours(ts, dur, tz) for ts, dur in zip(index, duration_h, strict=True)]
    columns = {dev.id: [_strictest(dev, hs) for hs in hours] for dev in devices}
    return pd.DataFrame(columns, index=index, dtype=object)


def _local_hours(start: pd.Timestamp, duration_h: float, tz: ZoneInfo) -> set[int]:
    local = start.tz_convert(tz)
    end = local + pd.Timedelta(hours=float(duration_h)) - pd.Timedelta(microseconds=1)
    hours = {local.hour}
    t = local.floor("h") + pd.Timedelta(hours=1)
    while t <= end:
        hours.add(t.hour)
        t += pd.Timedelta(hours=1)
    return hours


def _strictest(dev: AnyDevice, hours: Iterable[int]) -> str:
    rules = [dev.rule_at(h) for h in hours]
    return str(max(rules, key=_STRICTNESS.__getitem__))


def _canonical_name(name: str) -> str:
    return "SIMPLE" if name == "simple" else name


def _baseline_on(index: pd.DatetimeIndex, baseline_kw: pd.Series | float) -> pd.Series:
    if isinstance(baseline_kw, pd.Series):
        src = baseline_kw.sort_index()
        if len(src) == 0:
            values = np.zeros(len(index))
        else:
            pos = np.clip(src.index.searchsorted(index, side="right") - 1, 0, len(src) - 1)
            values = src.to_numpy(dtype=float)[pos]
    else:
        values = np.full(len(index), float(baseline_kw))
    values = np.nan_to_num(values, nan=0.0)
    return pd.Series(values, index=index, name="baseline_kw")


def _values_on(index: pd.DatetimeIndex, sig: EventSignal) -> np.ndarray:
    """Signal value at each interval start (NaN where the signal has no interval)."""
    out = np.full(len(index), np.nan)
    for iv in sig.intervals:
        start = pd.Timestamp(iv.start).tz_convert("UTC")
        inside = (index >= start) & (index < start + pd.Timedelta(iv.duration))
        out[inside] = float(iv.value)
    return out


def _level_share(levels: np.ndarray, building: Building) -> np.ndarray:
    shares = np.array([0.0, *building.simple_level_shares])
    lv = np.clip(np.nan_to_num(levels, nan=0.0), 0, 3).astype(int)
    return shares[lv]


def _shed(
    name: str, kind: str, values: np.ndarray, baseline: np.ndarray, building: Building
) -> np.ndarray:
    """Shed [kW] asked by one signal per interval (NaN-free; may be negative)."""
    v = values
    if name == "SIMPLE" or kind == "x-loadControlLevelOffset":
        shed = _level_share(v, building) * baseline
    elif kind in ("setpoint", "x-loadControlSetpoint"):
        shed = baseline - v
    elif kind == "delta":
        shed = v
    elif kind == "x-loadControlCapacity":
        shed = (1.0 - np.clip(v, 0.0, 1.0)) * baseline
    elif kind == "x-loadControlPercentOffset":
        shed = -v / 100.0 * baseline
    else:  # pragma: no cover - check_signal rejects everything else
        raise SignalNotSupported(f"signal {name} with type {kind!r} is not supported")
    return np.where(np.isnan(v), 0.0, shed)


def _price(kind: str, values: np.ndarray, tariff: float) -> np.ndarray:
    if kind == "price":
        return values
    if kind == "priceRelative":
        return tariff + values
    return tariff * values
