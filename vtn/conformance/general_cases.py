"""The G cases where the VEN is tested (G1_40xx pull, G0_90xx push): TLS and certificates,
the empty poll, and de-queueing through repeated polls.

Interpretations:

- G1_4010 reads the TLS facts of the VEN's requests in the case (or, in push mode, of the
  harness's pushes to it): every exchange over TLS 1.2 or later with the VEN's client
  certificate (and, when the harness was given ``--ven-fingerprint``, that certificate). It
  is n/a on a plain-HTTP run. Whether the VEN also offers the two Alliance TLS 1.2 suites is
  shown by the recorded cipher; the harness's listener accepts those suites besides modern ones.
- G1_4011: an oadrPoll answered with a plain oadrResponse (nothing queued) leaves the VEN
  polling. The push twin G0_9011 is n/a: a push VEN does not poll.
- G1_4015: three messages queued at once (two oadrDistributeEvents, an oadrRegisterReport)
  are taken by three polls, each answered; pull only (no push twin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from common.messages.event import DistributeEvent
from common.messages.poll import Poll
from common.messages.report import RegisteredReport, RegisterReport
from vtn.conformance.records import Outcome
from vtn.conformance.scenarios import PASSED, Context, Verdict, make_event

__all__ = ["GENERAL_CASES", "PULL_ONLY"]

PULL_ONLY = frozenset({"G1_4015_TH_VTN"})
"""Cases without a push twin."""


async def g1_4010(ctx: Context) -> Verdict:
    """TLS: every exchange of the case over TLS 1.2/1.3 with the VEN's certificate; n/a on
    plain HTTP."""
    if (problem := await ctx.registered()) is not None:
        return problem
    if (missed := await ctx.offer()) is not None:  # an exchange in either transport
        return missed
    await ctx.polls(1)
    records = [r for r in ctx.vtn.since(ctx.start) if r.status != 0]
    if not records:
        return Outcome.FAIL, "no exchange with the VEN to judge"
    if all(r.tls_version is None for r in records):
        return Outcome.NOT_APPLICABLE, ("the run is over plain HTTP: run the harness with "
                                        "--cert, --key and --ca")
    for record in records:
        if record.tls_version not in ("TLSv1.2", "TLSv1.3"):
            return Outcome.FAIL, f"an exchange used {record.tls_version or 'no TLS'}"
        if record.client_fingerprint is None:
            return Outcome.FAIL, "an exchange carried no certificate of the VEN"
        wanted = ctx.vtn.ven_fingerprint
        if wanted is not None and record.client_fingerprint != wanted:
            return Outcome.FAIL, (f"certificate {record.client_fingerprint} is not the VEN's "
                                  f"{wanted}")
    ciphers = sorted({f"{r.tls_version} {r.cipher}" for r in records})
    return Outcome.PASS, f"TLS: {', '.join(ciphers)}"


async def g1_4011(ctx: Context) -> Verdict:
    """Empty poll: plain oadrResponse answers leave the VEN polling; n/a in push mode."""
    if ctx.vtn.push:
        return Outcome.NOT_APPLICABLE, "a push VEN does not poll (no oadrPoll in push mode)"
    if (problem := await ctx.registered()) is not None:
        return problem
    if not await ctx.polls(3):
        return Outcome.FAIL, "the VEN stopped polling after empty answers"
    return PASSED


async def g1_4015(ctx: Context) -> Verdict:
    """De-queue: three messages queued at once are all polled for and answered."""
    if (problem := await ctx.registered()) is not None:
        return problem
    vtn = ctx.vtn
    first = make_event(vtn.new_id("dequeue"))
    second = make_event(vtn.new_id("dequeue"))
    mark = len(vtn.records)
    vtn.events = (first, second)
    items = [vtn.queue(DistributeEvent(request_id=vtn.new_id("distribute"), vtn_id=vtn.vtn_id,
                                       events=(first,))),
             vtn.queue(RegisterReport(request_id=vtn.new_id("register-report"),
                                      ven_id=vtn.registration.ven_id if vtn.registration
                                      else None)),
             vtn.queue(DistributeEvent(request_id=vtn.new_id("distribute"), vtn_id=vtn.vtn_id,
                                       events=(first, second)))]
    if not await vtn.until(lambda: all(vtn.delivered(i) for i in items), ctx.timeout):
        left = sum(not vtn.delivered(i) for i in items)
        return Outcome.FAIL, f"{left} of 3 queued messages were never polled for"
    for event in (first, second):
        event_id = event.event.event_descriptor.event_id
        if await ctx.answer_of(mark, event_id, 0) is None:
            return Outcome.FAIL, f"no oadrCreatedEvent for {event_id}"
    if not vtn.received(mark, RegisteredReport):
        return Outcome.FAIL, "the queued oadrRegisterReport got no oadrRegisteredReport"
    if len(vtn.received(mark, Poll)) < 3:
        return Outcome.FAIL, "fewer polls than queued messages"
    return PASSED


GENERAL_CASES: tuple[tuple[str, str, Callable[[Context], Awaitable[Verdict]]], ...] = (
    ("G1_4010_TH_VTN", "Security: TLS version, cipher and client certificate", g1_4010),
    ("G1_4011_TH_VTN", "Empty oadrPoll answer", g1_4011),
    ("G1_4015_TH_VTN", "De-queue using oadrPoll", g1_4015),
)
"""(ID, title, script) of each G case, in run order."""
