"""Report subscriptions at work: accepting and cancelling requests, queueing due reports."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from common.clock import Clock
from common.errors import ProtocolError
from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    Report,
    ReportRequest,
    UpdateReport,
)
from common.messages.types import EiResponse
from common.xml import encode
from ven.client.config import ReportPoints
from ven.client.invitations import new_id
from ven.client.readings import NotYetMeasured, ReadingSource
from ven.client.reports import (
    METADATA_SPECIFIER,
    after_window,
    build_report,
    due_window,
    floor_time,
    is_projection,
    pending_ids,
    subscribe,
)
from ven.client.store import Outgoing, Store, Subscription
from ven.wording import plural

__all__ = ["ReportDesk", "update_report_item"]

log = logging.getLogger("ven.client")

def update_report_item(ven_id: str, report: Report, window: tuple[datetime, datetime]) -> Outgoing:
    """The outbox entry carrying `report` (one oadrUpdateReport)."""
    message = UpdateReport(request_id=new_id(), reports=(report,), ven_id=ven_id)
    start, end = window
    label = (f"report {report.report_request_id} {start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC "
             f"({plural(len(report.intervals), 'value')})")
    return ("EiReport", "update_report", label, encode(message))


class ReportDesk:
    """Keeps the VTN's report requests and turns complete periods into queued reports."""

    def __init__(
        self, *, store: Store, points: ReportPoints, source: ReadingSource, clock: Clock
    ) -> None:
        self._store = store
        self._points = points
        self._source = source
        self._clock = clock
        self._projected: dict[str, tuple[object, ...]] = {}  # last projection queued, by request

    async def accept(
        self, requests: Sequence[ReportRequest], request_id: str | None, ven_id: str
    ) -> bool:
        """Subscribe to `requests` and queue an oadrCreatedReport listing every pending report
        (code 452 naming a reportSpecifierID or rID we never offered). Returns True when the
        VTN asked for our METADATA again (the caller re-sends oadrRegisterReport)."""
        if not requests and request_id is None:
            return False
        now = self._clock.now()
        new: list[Subscription] = []
        refused: list[ProtocolError] = []
        metadata = False
        for request in requests:
            if request.report_specifier.report_specifier_id == METADATA_SPECIFIER:
                metadata = True
                continue
            try:
                subscription = subscribe(request, self._points, now)
            except ProtocolError as exc:
                log.warning("Refusing report request %s: %s", request.report_request_id, exc)
                refused.append(exc)
                continue
            new.append(subscription)
            log.info("The VTN asked for report %s (%s: %s every %g s, sent every %g s)",
                     request.report_request_id, subscription.report_name,
                     ", ".join(subscription.r_ids), subscription.granularity_s,
                     subscription.report_back_s)
        active = {s.report_request_id: s for s in await self._store.subscriptions()}
        active.update({s.report_request_id: s for s in new})
        code, description = ((int(refused[0].code), "; ".join(map(str, refused))) if refused
                             else (200, "OK"))
        created = CreatedReport(
            response=EiResponse(response_code=code, request_id=request_id or "",
                                response_description=description),
            pending_reports=pending_ids(list(active.values())),
            ven_id=ven_id,
        )
        await self._store.commit(
            subscriptions=new, now=now,
            outbox=[("EiReport", "created_report", "report requests accepted", encode(created))])
        return metadata

    async def cancel(self, message: CancelReport, ven_id: str) -> None:
        """Stop the named reports; with reportToFollow queue one last report of the complete
        intervals so far. Queues the oadrCanceledReport first."""
        now = self._clock.now()
        changed: list[Subscription] = []
        outgoing: list[Outgoing] = []
        for request_id in message.report_request_ids:
            sub = await self._store.subscription(request_id)
            if sub is None or sub.state != "active":
                continue
            until = floor_time(min(now, sub.end or now), timedelta(seconds=sub.granularity_s))
            if message.report_to_follow and sub.covered_until < until:
                window = (sub.covered_until, until)
                try:
                    report = await build_report(sub, window, self._points, self._source, now)
                    outgoing.append(update_report_item(ven_id, report, window))
                except NotYetMeasured:
                    log.info("Report %s: its last period is not measured yet; not sent",
                             request_id)
            changed.append(dataclasses.replace(
                sub, state="cancelled", covered_until=max(until, sub.covered_until)))
            log.info("The VTN cancelled report %s (%s)", request_id, sub.report_name)
        remaining = [s for s in await self._store.subscriptions()
                     if s.report_request_id not in message.report_request_ids]
        canceled = CanceledReport(
            response=EiResponse(response_code=200, request_id=message.request_id),
            pending_reports=pending_ids(remaining), ven_id=ven_id)
        outgoing.insert(0, ("EiReport", "canceled_report", "report cancellation acknowledged",
                            encode(canceled)))
        await self._store.commit(subscriptions=changed, outbox=outgoing, now=now)

    async def queue_due(self, ven_id: str) -> int:
        """Queue an oadrUpdateReport for every complete report period; returns how many.

        Each period is read from the source and queued together with the subscription's new
        ``covered_until`` in one transaction: never lost, never queued twice.
        """
        queued = 0
        for sub in await self._store.subscriptions():
            if is_projection(sub):
                queued += await self._queue_projection(sub, ven_id)
                continue
            while (window := due_window(sub, self._clock.now())) is not None:
                now = self._clock.now()
                try:
                    report = await build_report(sub, window, self._points, self._source, now)
                except NotYetMeasured:
                    break  # its meter has not completed the period: the next round
                sub = after_window(sub, window[1])
                await self._store.commit(subscriptions=[sub], now=now,
                                         outbox=[update_report_item(ven_id, report, window)])
                queued += 1
        return queued

    async def _queue_projection(self, sub: Subscription, ven_id: str) -> int:
        """Queue the expected-delivery report (``is_projection``) when what the plans expect
        differs from what was last queued for `sub` (once more after a restart); nothing while
        no event is planned. Returns 1 when a report was queued, else 0."""
        if sub.state != "active":
            return 0
        now = self._clock.now()
        report = await build_report(sub, (now, now), self._points, self._source, now)
        if not report.intervals:
            return 0
        seen = tuple((i.dtstart, i.duration, p.r_id, p.value)
                     for i in report.intervals for p in i.payloads)
        if self._projected.get(sub.report_request_id) == seen:
            return 0
        first = min(i.dtstart or now for i in report.intervals)
        last = max((i.dtstart or now) + (i.duration or timedelta(0)) for i in report.intervals)
        report = dataclasses.replace(
            report, dtstart=first, duration=last - first,
            report_id=f"{sub.report_request_id}-{now.strftime('%Y%m%dT%H%M%S%fZ')}")
        await self._store.commit(subscriptions=[], now=now,
                                 outbox=[update_report_item(ven_id, report, (first, last))])
        self._projected[sub.report_request_id] = seen
        log.info("Queued report %s: what the plans expect to deliver (%s)",
                 sub.report_request_id, plural(len(report.intervals), "value"))
        return 1
