"""What a scenario is and what it may do: ``Case``, ``Outcome``, ``CaseResult`` and
``Harness`` (the harness VEN's moves inside one case: send, poll, register, ask the operator,
check).

A case is a coroutine ``run(h: Harness)``. It fails at the first ``h.expect`` that does not
hold (``CaseFailed``); a step the operator cannot do ends it as ``needs-operator``
(``NeedsOperator``); a case that finds the VTN does not offer an optional feature ends as
``n/a`` with the reason (``NotApplicable``). Every message either way is recorded by the
``Wire`` and judged by ``common.conformance``; any finding fails a case that would otherwise
pass.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from common.conformance import payload_name
from common.messages.enums import (
    OptType,
    ProfileName,
    ReadingType,
    ReportName,
    ReportType,
    ResponseRequired,
    TransportName,
)
from common.messages.event import (
    CreatedEvent,
    DistributeEvent,
    EventResponse,
    RequestEvent,
)
from common.messages.poll import Poll, Response
from common.messages.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
)
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    Report,
    ReportDescription,
    SamplingRate,
    UpdatedReport,
    UpdateReport,
)
from common.messages.types import EiResponse, ItemBase, Message, QualifiedEventId
from ven.conformance.operator import Operator, OperatorFailed, OperatorUnavailable, Step
from ven.conformance.wire import Record, Wire

__all__ = [
    "Case", "CaseFailed", "CaseResult", "Check", "Harness", "NeedsOperator", "NotApplicable",
    "Outcome", "TlsFiles",
]


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_OPERATOR = "needs-operator"
    NOT_APPLICABLE = "n/a"


class CaseFailed(Exception):
    """An expectation of the case did not hold."""


class NeedsOperator(Exception):
    """A step needs an operator this run does not have."""


class NotApplicable(Exception):
    """The case does not apply to this VTN (an optional feature it does not offer, or a
    transport the run does not use); the message says why."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The kit's client certificate, its key and the CA bundle for the VTN (https runs): the
    security case G1_4010 opens connections of its own with them."""

    cert: str
    key: str
    ca: str


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation of a case and whether it held."""

    ok: bool
    text: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "text": self.text, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Case:
    """One certification case: its ID (``N1_0010``), title, and scenario (None: ``n/a``)."""

    case_id: str
    title: str
    run: Callable[[Harness], Awaitable[None]] | None
    steps: tuple[str, ...] = ()
    not_applicable: str | None = None
    """Why the kit reports the case ``n/a`` (push, XMPP, not for a VTN...)."""
    operator: bool = False
    """True when the case needs operator steps."""
    push: bool = False
    """A push variant: the kit registers with a transport address and the VTN pushes."""


@dataclass
class CaseResult:
    case_id: str
    title: str
    outcome: Outcome
    reason: str | None = None
    checks: list[Check] = field(default_factory=list)
    transcript: list[Record] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def findings(self) -> list[dict[str, str]]:
        return [{**f.as_dict(), "payload": r.payload_of(i)}
                for r in self.transcript for i, f in enumerate(r.findings)]

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "title": self.title, "outcome": str(self.outcome),
                "reason": self.reason, "seconds": round(self.seconds, 3),
                "checks": [c.as_dict() for c in self.checks], "findings": self.findings,
                "transcript": [r.as_dict() for r in self.transcript]}


_SAMPLING = SamplingRate(min_period=timedelta(minutes=1), max_period=timedelta(hours=1),
                         on_change=False)
_IDS = itertools.count(1)

POLL_LIMIT = 12
"""Polls a ``drain`` makes at most before it gives up waiting for an empty oadrResponse."""
PUSH_WAIT = 15.0
"""Push variants: how long the kit waits for a push it expects [s]."""
PUSH_QUIET = 3.0
"""Push variants: how long no push must arrive for "nothing is waiting" [s]."""


class Harness:
    """The harness VEN inside one case (see the module docstring)."""

    def __init__(self, wire: Wire, operator: Operator, *, ven_name: str,
                 push_address: str | None = None, push_wait: float = PUSH_WAIT,
                 push_quiet: float = PUSH_QUIET, tls_files: TlsFiles | None = None) -> None:
        self.wire = wire
        self.tls_files = tls_files
        self.operator = operator
        self.ven_name = ven_name
        self.push_address = push_address
        """Push variant: the transport address registered (the kit's listener); else pull."""
        self.push_wait = push_wait
        self.push_quiet = push_quiet
        if push_address is not None:
            wire.push_answer = self.reply_for
        self.checks: list[Check] = []
        self.waived: dict[str, str] = {}
        """Rules whose findings do not fail this case (rule id -> why), as the harness
        switches a rule off for a case that breaks it on purpose (the kit's own messages)."""
        self.ven_id: str | None = None
        self.registration_id: str | None = None
        self.vtn_id: str | None = None

    # ---- assertions --------------------------------------------------------------------------

    def expect(self, ok: bool, text: str, detail: str = "") -> None:
        """Record the expectation `text`; end the case as failed when it does not hold."""
        self.checks.append(Check(ok, text, "" if ok else detail))
        if not ok:
            raise CaseFailed(f"{text}{': ' + detail if detail else ''}")

    def waive(self, rule: str, why: str) -> None:
        """Let findings of `rule` stand in the transcript without failing this case."""
        self.waived[rule] = why
        self.checks.append(Check(True, f"rule {rule} does not fail this case: {why}", ""))

    def expect_reply(self, record: Record, kind: type[Message], text: str) -> Any:
        """The reply of `record`, expected to be a `kind` with response code 200."""
        if record.error:
            self.expect(False, text, f"no answer: {record.error}")
        self.expect(isinstance(record.reply, kind), text,
                    f"expected {_name(kind)}, got HTTP {record.status} "
                    f"{record.reply_name or _snippet(record.response_body)}")
        code = _code(record.reply)
        if code is not None:
            self.expect(code == 200, f"{text}: eiResponse 200", f"responseCode {code}")
        return record.reply

    # ---- moves --------------------------------------------------------------------------------

    def request_id(self) -> str:
        return f"kit-{next(_IDS)}"

    async def send(self, service: str, message: Message | bytes, *, name: str | None = None
                   ) -> Record:
        return await self.wire.post(service, message, name=name)

    async def query(self) -> Record:
        return await self.send("EiRegisterParty", QueryRegistration(request_id=self.request_id()))

    def registration(self, *, ven_id: str | None = None, registration_id: str | None = None
                     ) -> CreatePartyRegistration:
        return CreatePartyRegistration(
            request_id=self.request_id(), profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP, report_only=False, xml_signature=False,
            ven_name=self.ven_name, http_pull_model=self.push_address is None, ven_id=ven_id,
            registration_id=registration_id, transport_address=self.push_address)

    async def register(self, *, ven_id: str | None = None, registration_id: str | None = None,
                       text: str = "the VTN registers the VEN") -> CreatedPartyRegistration:
        record = await self.send("EiRegisterParty", self.registration(
            ven_id=ven_id, registration_id=registration_id))
        created = self.expect_reply(record, CreatedPartyRegistration, text)
        self.expect(bool(created.ven_id) and bool(created.registration_id),
                    f"{text}: a venID and a registrationID",
                    f"venID {created.ven_id!r}, registrationID {created.registration_id!r}")
        self.ven_id, self.registration_id = created.ven_id, created.registration_id
        self.vtn_id = created.vtn_id
        return created

    def metadata(self) -> RegisterReport:
        """The VEN's METADATA: TELEMETRY_USAGE (power [W]) and TELEMETRY_STATUS."""
        now = datetime.now(UTC)
        usage = Report(
            report_request_id="0", report_specifier_id="KIT_TELEMETRY_USAGE",
            report_name=ReportName.METADATA_TELEMETRY_USAGE, created_date_time=now,
            duration=_SAMPLING.max_period,
            report_descriptions=(ReportDescription(
                r_id="kit-usage", report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ, item_base=ItemBase.power(),
                sampling_rate=_SAMPLING),))
        status = Report(
            report_request_id="0", report_specifier_id="KIT_TELEMETRY_STATUS",
            report_name=ReportName.METADATA_TELEMETRY_STATUS, created_date_time=now,
            duration=_SAMPLING.max_period,
            report_descriptions=(ReportDescription(
                r_id="kit-status", report_type=ReportType.X_RESOURCE_STATUS,
                reading_type=ReadingType.X_NOT_APPLICABLE, sampling_rate=_SAMPLING),))
        return RegisterReport(request_id=self.request_id(), reports=(usage, status),
                              ven_id=self.ven_id)

    async def register_reports(self) -> RegisteredReport:
        record = await self.send("EiReport", self.metadata())
        registered = self.expect_reply(record, RegisteredReport,
                                       "the VTN acknowledges the VEN's oadrRegisterReport")
        if registered.report_requests:
            await self.send("EiReport", CreatedReport(
                response=self.ok(registered.response.request_id),
                pending_reports=tuple(r.report_request_id for r in registered.report_requests),
                ven_id=self.ven_id))
        return registered

    def ok(self, request_id: str) -> EiResponse:
        return EiResponse(response_code=200, request_id=request_id)

    @property
    def push(self) -> bool:
        """True in a push variant (the VTN POSTs to the kit; the kit never polls)."""
        return self.push_address is not None

    async def poll(self) -> Record:
        assert self.ven_id is not None
        return await self.send("OadrPoll", Poll(ven_id=self.ven_id))

    async def next_message(self, *, wait: float | None = None) -> Message | None:
        """The VTN's next message for the VEN, ``None`` when nothing is waiting: pull, what an
        oadrPoll brings (oadrResponse: nothing); push, the next push within `wait` seconds
        (default ``push_wait``)."""
        if self.push:
            deadline = asyncio.get_running_loop().time() + (
                self.push_wait if wait is None else wait)
            while True:
                left = deadline - asyncio.get_running_loop().time()
                try:
                    message = await asyncio.wait_for(self.wire.inbox.get(), max(left, 0))
                except TimeoutError:
                    return None
                named = getattr(message, "ven_id", None)
                if named is None or named == self.ven_id:  # else: late, for an earlier VEN
                    return message
        record = await self.poll()
        self.expect(record.reply is not None, "the VTN answers oadrPoll with a payload",
                    f"HTTP {record.status} {record.error or _snippet(record.response_body)}")
        return None if isinstance(record.reply, Response) else record.reply

    async def nothing_waiting(self, text: str) -> None:
        """Expect the VTN to have nothing for the VEN: pull, an oadrPoll brings oadrResponse;
        push, nothing is pushed for ``push_quiet`` seconds."""
        if self.push:
            message = await self.next_message(wait=self.push_quiet)
            self.expect(message is None, f"{text} (push: nothing more is pushed)",
                        f"pushed {payload_name(message) if message else ''}")
            return
        self.expect_reply(await self.poll(), Response, f"{text} (an oadrPoll brings oadrResponse)")

    async def probe(self) -> Record:
        """A payload a registered VEN may send (pull: oadrPoll; push: oadrRequestEvent)."""
        assert self.ven_id is not None
        if self.push:
            return await self.send("EiEvent", RequestEvent(request_id=self.request_id(),
                                                           ven_id=self.ven_id))
        return await self.poll()

    async def drain(self, *, answer_events: bool = True) -> list[Message]:
        """Take what the VTN has for the VEN until nothing waits (pull: oadrResponse; push:
        ``push_quiet`` seconds without a push), answering as a VEN must; the messages."""
        seen: list[Message] = []
        for _ in range(POLL_LIMIT):
            message = await self.next_message(wait=self.push_quiet if self.push else None)
            if message is None:
                return seen
            seen.append(message)
            await self.answer(message, answer_events=answer_events)
        self.expect(False, f"the VTN's queue empties within {POLL_LIMIT} messages",
                    f"still sending after {POLL_LIMIT} messages")
        return seen

    def reply_for(self, message: Message) -> Message | None:
        """The VEN's answer to `message` (push: the HTTP answer; pull: POSTed by ``answer``);
        ``None`` for an oadrDistributeEvent (push: oadrResponse 200, then the case sends
        oadrCreatedEvent in a POST of its own, as in pull)."""
        if isinstance(message, RegisterReport):
            return RegisteredReport(response=self.ok(message.request_id), ven_id=self.ven_id)
        if isinstance(message, CreateReport):
            return CreatedReport(
                response=self.ok(message.request_id), ven_id=self.ven_id,
                pending_reports=tuple(r.report_request_id for r in message.report_requests))
        if isinstance(message, CancelReport):
            return CanceledReport(response=self.ok(message.request_id), ven_id=self.ven_id)
        if isinstance(message, UpdateReport):  # a VTN's report (R1_3070-3120)
            return UpdatedReport(response=self.ok(message.request_id), ven_id=self.ven_id)
        if isinstance(message, CancelPartyRegistration):
            return CanceledPartyRegistration(
                response=self.ok(message.request_id), registration_id=message.registration_id,
                ven_id=self.ven_id)
        return None

    async def answer(self, message: Message, *, answer_events: bool = True) -> None:
        """What the VEN does about `message` from the VTN: the answer (pull: POSTed; push:
        given already as the HTTP answer), and for events an oadrCreatedEvent POST."""
        reply = self.reply_for(message)
        if reply is not None and not self.push:
            service = "EiRegisterParty" if isinstance(reply, CanceledPartyRegistration) else (
                "EiReport")
            await self.send(service, reply)
        if isinstance(message, DistributeEvent) and answer_events:
            await self.opt(message, OptType.OPT_IN)
        elif isinstance(message, CancelPartyRegistration):
            self.ven_id = self.registration_id = None

    async def opt(self, distribute: DistributeEvent, opt: OptType,
                  only: set[str] | None = None) -> Record | None:
        """oadrCreatedEvent for the events of `distribute` that need an answer (or `only`)."""
        answers = tuple(
            EventResponse(response_code=200, request_id=distribute.request_id,
                          qualified_event_id=QualifiedEventId(
                              event_id=e.event.event_descriptor.event_id,
                              modification_number=e.event.event_descriptor.modification_number),
                          opt_type=opt)
            for e in distribute.events
            if (e.event.event_descriptor.event_id in only if only is not None
                else e.response_required is ResponseRequired.ALWAYS))
        if not answers:
            return None
        assert self.ven_id is not None
        return await self.send("EiEvent", CreatedEvent(
            response=self.ok(distribute.request_id), ven_id=self.ven_id,
            event_responses=answers))

    async def bootstrap(self) -> None:
        """N1_0020's sequence without its checks of the VTN's own reports: query, register,
        register the VEN's reports, take what the VTN sends until nothing waits."""
        await self.query()
        await self.register()
        await self.register_reports()
        await self.drain()

    async def operate(self, step: Step, **params: Any) -> dict[str, Any]:
        """Have the operator do `step` (needs-operator or a failed case when it cannot)."""
        try:
            return await self.operator.perform(step, params)
        except OperatorUnavailable as exc:
            raise NeedsOperator(str(exc)) from exc
        except OperatorFailed as exc:
            self.expect(False, f"the operator does {step}", str(exc))
            raise

    async def cleanup(self) -> None:
        """Leave the VTN as found: cancel a registration this case made (not judged)."""
        if self.ven_id and self.registration_id:
            await self.send("EiRegisterParty", CancelPartyRegistration(
                request_id=self.request_id(), registration_id=self.registration_id,
                ven_id=self.ven_id))
            self.ven_id = self.registration_id = None


def _name(kind: type[Message]) -> str:
    return "oadr" + kind.__name__


def _code(message: object) -> int | None:
    response = getattr(message, "response", None)
    if isinstance(response, EiResponse):
        return int(response.response_code)
    return None


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return (text[:160] + "...") if len(text) > 160 else (text or "(empty body)")


def response_code(message: object) -> int | None:
    """The eiResponse code of `message` (None: it has none)."""
    return _code(message)


def snippet(body: bytes) -> str:
    """A short readable form of a body for a check's detail."""
    return _snippet(body)
