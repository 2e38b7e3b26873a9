"""Keeping event performance up to date: recompute the rows a report touched, from storage.

Called after every oadrUpdateReport with the readings it stored: each event whose active
period overlaps them gets the VEN's row recomputed from *all* the VEN's stored readings of the
event window (``vtn.performance.compute``), so late or resent readings replace, never add.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from common.messages.enums import OptType
from vtn.domain import Event, Reading, Ven
from vtn.performance import DEFAULT_SIMPLE_LEVEL_SHARES, Participation, Performance, compute
from vtn.services.context import Vtn
from vtn.storage import ReadingQuery

__all__ = ["participation", "recompute", "refresh_after_readings"]

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


async def recompute(vtn: Vtn, event: Event, ven: Ven) -> Performance:
    """Compute `ven`'s performance in `event` from its stored readings and store it."""
    now = vtn.clock.now()
    end = event.request.end or now
    readings = await vtn.store.reports.readings(ReadingQuery(
        ven_id=ven.ven_id, start_from=event.request.start - _LOOKBACK, start_before=end))
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
