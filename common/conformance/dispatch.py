"""``check(message, exchange)``: the rules of a message's type, chosen by its type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.conformance import event, opt, registration, report
from common.conformance.context import Exchange
from common.conformance.findings import Finding, Rule
from common.messages.event import DistributeEvent
from common.messages.opt import CreateOpt
from common.messages.poll import Poll
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.messages.report import CreateReport, RegisteredReport, RegisterReport, UpdateReport
from common.messages.types import Message

__all__ = ["CHECKS", "RULES", "check"]

RULES: tuple[Rule, ...] = (*event.RULES, *opt.RULES, *report.RULES, *registration.RULES)
"""Every automatic rule, in the order of CONFORMANCE.md §2.3."""

_Check = Callable[[Any, Exchange], list[Finding]]


def _poll(message: Poll, exchange: Exchange) -> list[Finding]:
    return registration.check_poll(message, exchange) + event.check_poll_answered(
        message, exchange)


CHECKS: dict[type[Message], _Check] = {
    DistributeEvent: event.check_distribute_event,
    Poll: _poll,
    CreateOpt: opt.check_create_opt,
    RegisterReport: report.check_register_report,
    CreateReport: report.check_report_requests,
    RegisteredReport: report.check_report_requests,
    UpdateReport: report.check_update_report,
    CreatePartyRegistration: registration.check_create_registration,
    CreatedPartyRegistration: registration.check_created_registration,
}
"""The checks of each message type; a type not listed has no automatic rule."""


def check(message: Message, exchange: Exchange | None = None) -> list[Finding]:
    """The findings of `message`; without an `exchange`, the rules that need context are
    silent (a fresh, empty context). The exchange is read, not changed (``Exchange.feed``
    records)."""
    rule_check = CHECKS.get(type(message))
    if rule_check is None:
        return []
    return rule_check(message, exchange if exchange is not None else Exchange())
