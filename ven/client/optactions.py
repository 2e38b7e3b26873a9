"""Opt schedules on an operator's command (``oadr-ven opt schedule|cancel``): the action text
queued in the state file, and what the VEN sends for it (oadrCreateOpt with vavailability,
oadrCancelOpt), checking the VTN's oadrCreatedOpt / oadrCanceledOpt."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from common.errors import NotAllowed
from common.messages.enums import OptReason, OptType
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt
from common.messages.types import Message
from ven.client.config import OptSchedule
from ven.client.invitations import new_id, schedule_opt
from ven.client.messaging import Exchange

__all__ = ["CANCEL_PREFIX", "SCHEDULE_PREFIX", "cancel_action", "cancel_schedule",
           "schedule_action", "schedule_from_action", "send_schedule"]

SCHEDULE_PREFIX = "opt-schedule "
CANCEL_PREFIX = "cancel-opt "


def schedule_action(schedule: OptSchedule) -> str:
    """The operator action text of `schedule` (``opt-schedule {json}``); duration 0 is an
    open-ended window."""
    return SCHEDULE_PREFIX + json.dumps({
        "opt_id": schedule.opt_id, "opt_type": schedule.opt_type.value,
        "start": schedule.start.isoformat(), "duration_s": schedule.duration.total_seconds(),
        "reason": str(schedule.reason), "resource_ids": list(schedule.resource_ids),
        "market_context": schedule.market_context})


def schedule_from_action(action: str) -> OptSchedule:
    """The schedule an ``opt-schedule`` action carries; ``ValueError`` when malformed."""
    try:
        data = json.loads(action.removeprefix(SCHEDULE_PREFIX))
        start = datetime.fromisoformat(data["start"])
        duration = timedelta(seconds=float(data["duration_s"]))
        schedule = OptSchedule(
            opt_id=str(data["opt_id"]), opt_type=OptType(data["opt_type"]), start=start,
            duration=duration, reason=OptReason(data["reason"]),
            resource_ids=tuple(str(r) for r in data["resource_ids"]),
            market_context=data["market_context"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed opt-schedule action: {exc}") from exc
    if start.tzinfo is None or duration < timedelta(0) or not schedule.opt_id:
        raise ValueError("an opt schedule needs an optID, a start with its zone and a "
                         "duration >= 0")
    return schedule


def cancel_action(opt_id: str) -> str:
    """The operator action text cancelling the schedule `opt_id`."""
    return CANCEL_PREFIX + opt_id


def _refused(answer: Message | None, what: str) -> NotAllowed:
    response = getattr(answer, "response", None)
    words = ("no answer" if answer is None else
             f"{type(answer).__name__}" + ("" if response is None else
                                           f" {int(response.response_code)}"))
    return NotAllowed(f"the VTN did not accept {what} ({words})")


async def send_schedule(exchange: Exchange, ven_id: str, schedule: OptSchedule,
                        now: datetime) -> dict[str, Any]:
    """oadrCreateOpt of `schedule`; ``NotAllowed`` unless the VTN answers oadrCreatedOpt 200."""
    answer = await exchange.request("EiOpt", schedule_opt(ven_id, schedule, now))
    if not isinstance(answer, CreatedOpt) or not answer.response.ok:
        raise _refused(answer, f"opt schedule {schedule.opt_id}")
    return {"opt_id": schedule.opt_id, "opt_type": schedule.opt_type.value,
            "start": schedule.start.isoformat(),
            "duration_s": schedule.duration.total_seconds() or None}


async def cancel_schedule(exchange: Exchange, ven_id: str, opt_id: str) -> dict[str, Any]:
    """oadrCancelOpt of `opt_id`; ``NotAllowed`` unless the VTN answers oadrCanceledOpt 200."""
    answer = await exchange.request("EiOpt", CancelOpt(request_id=new_id(), opt_id=opt_id,
                                                       ven_id=ven_id))
    if not isinstance(answer, CanceledOpt) or not answer.response.ok:
        raise _refused(answer, f"the cancellation of opt schedule {opt_id}")
    return {"opt_id": opt_id, "cancelled": True}
