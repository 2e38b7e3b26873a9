"""Keeping event performance up to date: recompute the rows a report touched, from storage.

Called after every oadrUpdateReport with the readings it stored: each event whose active
period overlaps them gets the VEN's row recomputed from *all* the VEN's stored readings of the
event window (``vtn.performance.compute``), so late or resent readings replace, never add.

Performance is the VEN's as a whole: when a report offers several usage points (a building and
its metered circuits, each naming its resource in reportDataSource), the usage of the parts is
left out (``part_usage_rids``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from common.messages.enums import OptType, ReportType
from vtn.domain import Event, Reading, ReportCapability, Ven
from vtn.performance import DEFAULT_SIMPLE_LEVEL_SHARES, Participation, Performance, compute
from vtn.services.context import Vtn
from vtn.storage import ReadingQuery

__all__ = ["part_usage_rids", "participation", "recompute", "refresh_after_readings"]

_LOOKBACK = timedelta(hours=1)
"""How far before the event's start an interval may begin and still overlap it."""


def _shares(vtn: Vtn) -> tuple[float, ...]:
    events = getattr(vtn.config, "events", None)
    return tuple(getattr(events, "simple_level_shares", DEFAULT_SIMPLE_LEVEL_SHARES))


def _targets(event: Event, ven: Ven) -> bool:
    t = event.request.targets
    return (t.all_vens or ven.ven_id in t.ven_ids
            or bool(set(t.group_ids) & set(ven.group_ids))
            or bool(set(t.resource_ids) & set(ven.resource_ids))
            or bool(set(t.party_ids) & set(ven.party_ids)))


async def participation(vtn: Vtn, event: Event, ven: Ven) -> Participation:
    """Whether `event` is for `ven`, and how the VEN answered."""
    if not _targets(event, ven):
        return Participation.NOT_TARGETED
    invitation = await vtn.store.invitations.get(event.event_id, ven.ven_id)
    opt = invitation.opt_type if invitation is not None else None
    if opt is OptType.OPT_IN:
        return Participation.OPTED_IN
    if opt is OptType.OPT_OUT:
        return Participation.OPTED_OUT
    return Participation.NO_ANSWER


def part_usage_rids(capabilities: Sequence[ReportCapability]) -> frozenset[str]:
    """The usage rIDs that measure a part of a VEN, not the whole: in a report with several
    usage points, those that name a resource (reportDataSource) when one does not; when every
    one names a resource, all but the first offered."""
    parts: set[str] = set()
    for capability in capabilities:
        usage = [d for d in capability.descriptions if d.report_type is ReportType.USAGE]
        if len(usage) < 2:
            continue
        whole = [d for d in usage if d.resource_id is None] or usage[:1]
        parts.update(d.r_id for d in usage if d not in whole)
    return frozenset(parts)


async def recompute(vtn: Vtn, event: Event, ven: Ven) -> Performance:
    """Compute `ven`'s performance in `event` from its stored readings (the usage of its parts
    left out, ``part_usage_rids``) and store it."""
    now = vtn.clock.now()
    end = event.request.end or now
    readings = await vtn.store.reports.readings(ReadingQuery(
        ven_id=ven.ven_id, start_from=event.request.start - _LOOKBACK, start_before=end))
    parts = part_usage_rids(await vtn.store.reports.capabilities(ven.ven_id))
    if parts:
        readings = tuple(r for r in readings if r.r_id not in parts)
    stance = await participation(vtn, event, ven)
    result = compute(event, ven.ven_id, readings, participation=stance, now=now,
                     shares=_shares(vtn))
    await vtn.store.performance.put(result)
    return result


async def refresh_after_readings(vtn: Vtn, ven: Ven, readings: Sequence[Reading]) -> int:
    """Recompute `ven`'s row of every event the `readings` overlap; returns how many."""
    if not readings:
        return 0
    first: datetime = min(r.start for r in readings)
    last: datetime = max(r.start + r.duration for r in readings)
    events = await vtn.store.events.list(ending_after=first)
    touched = [e for e in events if e.request.start < last and not e.cancelled]
    for event in touched:
        await recompute(vtn, event, ven)
    return len(touched)
