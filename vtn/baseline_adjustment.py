"""The VTN's own computation of a VEN's day-of baseline adjustment, from its readings (pure).

A VEN names its baseline method in the baseline rID's readingType (``x-baseline-<slug>``); for
a programme preset (``common.baselines.presets``) the VTN knows the day-of adjustment rule. The
VEN reports its baseline *without* the day-of adjustment outside events and *with* it inside
them; so the VTN compares, over the preset's window before the event (CAISO 10-in-10: the
3 h ending 1 h before the start), the VEN's usage with its reported (unadjusted) baseline, by
the same code the VEN uses (``common.baselines.adjustment``), and shows the result next to
the event's baseline. The baseline the event is settled against stays the VEN's reported one
(which carries the adjustment); ``unadjusted_kw`` undoes the VTN's adjustment to show its size.
As on the VEN, the window is moved back before the same VEN's earlier events that it would
overlap (``common.baselines.adjustment.adjustment_window``; ``active_period`` says which part
of an event counts), so a chain of events is adjusted from the load before its first one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from common.baselines.adjustment import (
    AdjustmentKind,
    AppliedAdjustment,
    adjustment_window,
    not_applied,
    same_day_adjustment,
    with_window,
)
from common.baselines.presets import PRESET_ADJUSTMENTS, adjustment_for
from common.messages.enums import ReportType
from vtn.domain import Event, Reading
from vtn.expected import projection_ids
from vtn.performance import BASELINE_METHOD_PREFIX, Performance, reading_kw

__all__ = ["LEAD", "MAX_MISSING_SHARE", "SLOT", "active_period", "day_of_adjustment",
           "readings_from", "unadjusted_kw", "with_adjustment"]

Period = tuple[datetime, datetime]

LEAD = max(rule.lead for rule in PRESET_ADJUSTMENTS.values())
"""How far before an event's start the readings the adjustment needs may begin (4 h)."""
SLOT = timedelta(minutes=15)
"""Readings are compared per slot of this length (the presets' metering interval)."""
MAX_MISSING_SHARE = 0.10
"""Largest share of the window the VEN's usage readings may leave uncovered [-]."""


def _slots(readings: Iterable[Reading], kind: ReportType, start: datetime,
           count: int) -> tuple[list[float], timedelta]:
    """The time-weighted mean [kW] of the `kind` readings that start in each of `count` slots
    of ``SLOT`` from `start` (NaN where none does), and how long they cover in all. The last
    reading per start wins (a value resent under a newer report request)."""
    end = start + count * SLOT
    latest: dict[datetime, tuple[float, timedelta]] = {}
    for r in readings:
        if r.report_type is not kind or not start <= r.start < end or r.duration <= timedelta(0):
            continue
        kw = reading_kw(r)
        if kw is not None and math.isfinite(kw):
            latest[r.start] = (kw, min(r.duration, end - r.start))
    energy, hours = [0.0] * count, [0.0] * count
    for t, (kw, duration) in latest.items():
        slot = (t - start) // SLOT
        h = duration.total_seconds() / 3600.0
        energy[slot] += kw * h
        hours[slot] += h
    means = [e / h if h > 0 else math.nan for e, h in zip(energy, hours, strict=True)]
    return means, sum((d for _, d in latest.values()), timedelta(0))


def active_period(event: Event, until: datetime) -> Period | None:
    """The part of `event` that ran or will run, [start, end), as far as it matters to the
    day-of window of an event starting at `until`: up to its cancellation when it was
    cancelled after its start, None when it was cancelled before it; an open-ended one up to
    `until`."""
    start, end = event.request.start, event.request.end
    if end is None:
        end = max(until, start)
    if event.cancelled_at is not None:
        end = min(end, event.cancelled_at)
    return (start, end) if start < end else None


def readings_from(event_start: datetime, earlier: Iterable[Period] = ()) -> datetime:
    """Where the readings any preset's day-of adjustment of an event starting at
    `event_start` needs begin: the earliest start of the presets' windows, moved back before
    the `earlier` events (``LEAD`` before the start without them)."""
    periods = tuple(earlier)
    starts = [adjustment_window(event_start, rule, periods, step=SLOT)[0]
              for rule in PRESET_ADJUSTMENTS.values() if rule.kind is not AdjustmentKind.NONE]
    return min([event_start - LEAD, *starts])


def day_of_adjustment(event_start: datetime, method: str | None,
                      readings: Iterable[Reading],
                      earlier: Iterable[Period] = ()) -> AppliedAdjustment | None:
    """The day-of adjustment of an event starting at `event_start` by the preset `method`
    (its name or readingType slug), from one VEN's `readings` (usage and baseline [kW]),
    compared per quarter hour of the window (readings of any length, time-weighted). The
    window is the rule's, moved back before the same VEN's `earlier` events (their active
    periods, ``active_period``) that it would overlap; the result names it. None when `method`
    is not a known preset (its rule is unknown); not applied, with the reason, when the VEN's
    usage readings cover less than 90 % of the window or the baseline is missing there."""
    rule = None if method is None else adjustment_for(method)
    if rule is None:
        return None
    if rule.kind is AdjustmentKind.NONE:
        return not_applied(rule, "no same-day adjustment configured")
    window = adjustment_window(event_start, rule, earlier, step=SLOT)
    start = window[0]
    count = max(round(rule.window / SLOT), 1)
    mine = tuple(readings)
    actual, covered = _slots(mine, ReportType.USAGE, start, count)
    baseline, _ = _slots(mine, ReportType.BASELINE, start, count)
    share = covered / rule.window
    if share < 1.0 - MAX_MISSING_SHARE:
        return with_window(not_applied(rule, f"not computed: the usage readings cover "
                                             f"{share:.0%} of the adjustment window"),
                           window, event_start)
    return with_window(same_day_adjustment(baseline, actual, rule, MAX_MISSING_SHARE), window,
                       event_start)


def unadjusted_kw(baseline_kw: float | None, adjustment: AppliedAdjustment | None) -> float | None:
    """The baseline [kW] without `adjustment` (None when it was not applied or unknown)."""
    if baseline_kw is None or adjustment is None or not adjustment.applied:
        return None
    if adjustment.kind is AdjustmentKind.RATIO:
        return baseline_kw / adjustment.value if adjustment.value else None
    return baseline_kw - adjustment.value


def with_adjustment(performance: Performance, readings: Iterable[Reading],
                    earlier: Iterable[Period] = ()) -> Performance:
    """`performance` with its ``baseline_adjustment`` computed from `readings` (the VEN's
    readings of the window before the event, from ``readings_from``), the window moved back
    before the VEN's `earlier` events (active periods of its other events)."""
    mine = tuple(r for r in readings if r.ven_id == performance.ven_id)
    projected = projection_ids(mine)  # a projection's baseline is not a reported baseline
    mine = tuple(r for r in mine if r.report_request_id not in projected)
    method = performance.baseline_method or next(
        (r.reading_type.value.removeprefix(BASELINE_METHOD_PREFIX) for r in reversed(mine)
         if r.report_type is ReportType.BASELINE
         and r.reading_type.value.startswith(BASELINE_METHOD_PREFIX)), None)
    adjustment = day_of_adjustment(performance.start, method, mine, earlier)
    return dataclasses.replace(performance, baseline_adjustment=adjustment)
