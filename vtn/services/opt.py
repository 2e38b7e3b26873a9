"""EiOpt: oadrCreateOpt (an event opt, or an availability schedule) and oadrCancelOpt, stored."""

from __future__ import annotations

from common.errors import InvalidData, InvalidId, NotAllowed
from common.messages.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from vtn.domain import AvailabilityPeriod, Opt
from vtn.logs import PROTOCOL, ven_label
from vtn.services.context import Caller, Vtn, ok
from vtn.storage import Conflict, NotFound

__all__ = ["handle_cancel_opt", "handle_create_opt"]


def _same_opt(a: Opt, b: Opt) -> bool:
    """True when two opts say the same (the time the VTN received them aside)."""
    keys = (
        "opt_type",
        "opt_reason",
        "event_id",
        "modification_number",
        "availability",
        "resource_ids",
        "market_context",
    )
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _revision(old: Opt, new: Opt) -> bool:
    """True when `new` revises `old` under the same optID (P1_2030/2040): a schedule replaced
    by a schedule, or a new answer to the same event. Switching between an event opt and a
    schedule, or to another event, is not a revision (451)."""
    if old.event_id is None and new.event_id is None:
        return True
    return old.event_id is not None and old.event_id == new.event_id


async def handle_create_opt(vtn: Vtn, caller: Caller, message: CreateOpt) -> CreatedOpt:
    """oadrCreateOpt: store the opt; an event opt for the whole VEN also updates its invitation.

    Sending the same opt again is harmless (200). The same optID with another schedule (or
    another answer to the same event) is a revision: it replaces the stored one (P1_2040).
    Reusing an optID for an opt of another kind or event is 451.
    """
    ven = caller.registered()
    contexts = vtn.config.market_contexts
    if message.market_context and contexts and message.market_context not in contexts:
        raise InvalidData(f"market context {message.market_context!r} is not a program here")
    qualified = message.qualified_event_id
    if qualified is not None:
        try:
            await vtn.store.events.get(qualified.event_id)
        except NotFound as exc:
            raise InvalidId(f"event {qualified.event_id!r} is not known") from exc
    availability = tuple(
        AvailabilityPeriod(start=p.dtstart, duration=p.duration)
        for p in message.vavailability or ()
    )
    try:
        opt = Opt(
            opt_id=message.opt_id,
            ven_id=ven.ven_id,
            opt_type=message.opt_type,
            opt_reason=message.opt_reason,
            created_at=message.created_date_time,
            received_at=vtn.clock.now(),
            market_context=message.market_context,
            event_id=None if qualified is None else qualified.event_id,
            modification_number=None if qualified is None else qualified.modification_number,
            availability=availability,
            resource_ids=message.target.resource_ids,
        )
    except ValueError as exc:
        raise InvalidData(f"this opt cannot be used: {exc}") from exc
    try:
        await vtn.store.opts.add(opt)
    except Conflict as exc:
        existing = await vtn.store.opts.get(ven.ven_id, opt.opt_id)
        if not _same_opt(existing, opt):
            if not _revision(existing, opt):
                raise NotAllowed(
                    f"optID {opt.opt_id!r} is already used for another opt (an opt schedule "
                    "may be revised under its optID; an event opt only for the same event)"
                ) from exc
            await vtn.store.opts.revise(opt)
            PROTOCOL.info("VEN %s revised opt %s", ven_label(ven), opt.opt_id)
    if qualified is not None and not opt.resource_ids:
        await vtn.store.invitations.record_opt(
            qualified.event_id,
            ven.ven_id,
            modification_number=qualified.modification_number,
            opt_type=message.opt_type,
        )
    what = f"event {qualified.event_id}" if qualified else f"{len(availability)} period(s)"
    PROTOCOL.info(
        "VEN %s sent opt %s: %s for %s", ven_label(ven), opt.opt_id, opt.opt_type.value, what
    )
    return CreatedOpt(response=ok(message.request_id), opt_id=message.opt_id)


async def handle_cancel_opt(vtn: Vtn, caller: Caller, message: CancelOpt) -> CanceledOpt:
    """oadrCancelOpt: withdraw one of the VEN's opts (452 if it has no such opt)."""
    ven = caller.registered()
    try:
        await vtn.store.opts.cancel(ven.ven_id, message.opt_id)
    except NotFound as exc:
        raise InvalidId(f"optID {message.opt_id!r} is not known") from exc
    PROTOCOL.info("VEN %s cancelled opt %s", ven_label(ven), message.opt_id)
    return CanceledOpt(response=ok(message.request_id), opt_id=message.opt_id)
