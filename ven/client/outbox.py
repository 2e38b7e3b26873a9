"""Delivering the outbox: each queued message until the VTN acknowledges it."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from common.clock import Clock
from common.errors import ProtocolError
from common.messages.report import CancelReport, UpdatedReport
from common.xml import decode
from ven.client.config import RetryPolicy
from ven.client.messaging import Exchange
from ven.client.store import OutboxItem, Store
from ven.client.transport import TransportError
from ven.wording import duration_words, plural

__all__ = ["OutboxSender"]

log = logging.getLogger("ven.client")

REPORT_SUMMARY_EVERY = timedelta(minutes=15)
"""Delivered reports are logged one by one at DEBUG, and summed up at INFO this often."""


class OutboxSender:
    """Sends queued messages oldest first, signing them (when configured) at send time."""

    def __init__(
        self, *, store: Store, exchange: Exchange, clock: Clock, retry: RetryPolicy
    ) -> None:
        self._store = store
        self._exchange = exchange
        self._clock = clock
        self._retry = retry
        self._reports_since: datetime | None = None  # start of the unsummarised deliveries
        self._reports_delivered = 0
        self._deferring = False  # reports were left for a later round

    async def deliver(self, ven_id: str, *, report_budget: timedelta | None = None
                      ) -> tuple[int, list[CancelReport]]:
        """One delivery round; returns (how many were acknowledged, cancellations the VTN
        piggy-backed on oadrUpdatedReport).

        `report_budget` bounds the time the round spends on reports (on the injected clock):
        once it is spent, the reports still queued wait, in order, for the next round, while
        everything else (event answers, opts, registration messages) is still sent. A slow VTN
        and a long report backlog then cannot keep the VEN from polling (it polls once per
        round; an event missed for minutes may start and end unseen).

        An item leaves the queue only when the VTN acknowledged it with a 2xx eiResponse. A
        refusal (non-2xx eiResponse, or a service the VTN does not offer) keeps it in the
        state file as ``rejected`` and is logged. When the VTN is up but fails on one item
        (an HTTP error status) that item is held back with its own back-off and the round
        goes on. When the VTN cannot be reached the round stops and the error is raised, so
        that the loop backs off; queued items wait, in order.
        """
        delivered = 0
        cancels: list[CancelReport] = []
        started = self._clock.now()
        deferred = 0
        for item in await self._store.outbox(due_at=started):
            if (item.kind == "update_report" and report_budget is not None
                    and self._clock.now() - started >= report_budget):
                deferred += 1
                continue
            message = decode(item.message_xml)
            if getattr(message, "ven_id", ven_id) != ven_id:  # re-registered with a new venID
                message = dataclasses.replace(message, ven_id=ven_id)  # type: ignore[type-var]  # Message subclasses are dataclasses
            try:
                answer = await self._exchange.request(item.service, message)
            except TransportError as exc:
                if exc.service_missing:
                    await self._store.outbox_done(item.id, rejected_reason=str(exc))
                    log.error("The VTN does not offer the %s service; %s was not delivered "
                              "(kept in the state file as rejected)", item.service, item.label)
                    continue
                if exc.status is not None:
                    await self._hold_back(item, str(exc))
                    continue
                await self._store.outbox_attempt(item.id, str(exc))
                raise
            except ProtocolError as exc:
                await self._store.outbox_attempt(item.id, str(exc))
                raise
            response = getattr(answer, "response", None)
            if response is None:
                if item.kind == "update_report":
                    await self._hold_back(item, "the VTN sent no oadrUpdatedReport")
                    continue
                await self._store.outbox_done(item.id)
            elif response.ok:
                await self._store.outbox_done(item.id)
                delivered += 1
                if item.kind == "update_report":
                    self._report_delivered(item.label)
            else:
                reason = f"code {int(response.response_code)}: {response.response_description}"
                await self._store.outbox_done(item.id, rejected_reason=reason)
                log.error("The VTN refused %s (%s); kept in the state file as rejected",
                          item.label, reason)
            if isinstance(answer, UpdatedReport) and answer.cancel_report is not None:
                cancels.append(answer.cancel_report)
        self._deferred(deferred, report_budget)
        return delivered, cancels

    def _deferred(self, count: int, budget: timedelta | None) -> None:
        """One WARNING when reports start waiting for later rounds (the VTN answers slowly or
        the backlog is long), one INFO when a round sends them all again."""
        if count and not self._deferring:
            log.warning("%s wait for the next round: sending reports took the round's %s, "
                        "and the VEN polls before it sends more (the VTN answers slowly or "
                        "the backlog is long)", plural(count, "report"),
                        duration_words(budget or timedelta(0)))
        elif not count and self._deferring:
            log.info("The report backlog is sent: reports go out at every round again")
        self._deferring = bool(count)

    def _report_delivered(self, label: str) -> None:
        """One DEBUG line per report; one INFO summary at most every
        ``REPORT_SUMMARY_EVERY`` (the first delivery is summed up at once)."""
        log.debug("Delivered %s", label)
        now = self._clock.now()
        self._reports_delivered += 1
        if self._reports_since is None:
            self._reports_since = now
        elif now - self._reports_since < REPORT_SUMMARY_EVERY:
            return
        log.info("Delivered %s to the VTN since %s (next summary in %s)",
                 plural(self._reports_delivered, "report"),
                 self._reports_since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                 duration_words(REPORT_SUMMARY_EVERY))
        self._reports_since = now
        self._reports_delivered = 0

    async def _hold_back(self, item: OutboxItem, error: str) -> None:
        """Retry `item` later with its own back-off, without blocking the rest: it stays
        queued (never dropped) and shows in ``oadr-ven status``."""
        delay = min(self._retry.maximum, self._retry.initial * 2.0 ** min(item.attempts, 30))
        await self._store.outbox_attempt(
            item.id, error, retry_at=self._clock.now() + timedelta(seconds=delay))
        log.error("The VTN failed on %s (%s); it stays queued, next try in %.0f s",
                  item.label, error, delay)
