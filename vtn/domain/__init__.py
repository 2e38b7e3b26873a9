"""What the VTN knows and owns: VENs, events, invitations, opts, reports, the push outbox
and the operators' audit log."""

from vtn.domain.audit import AuditEntry, OperatorAction
from vtn.domain.event import (
    Baseline,
    Event,
    EventRequest,
    EventTargets,
    Signal,
    SignalInterval,
    distribution_order,
    event_status,
    priority_rank,
    targets_ven,
)
from vtn.domain.invitation import Invitation
from vtn.domain.opt import AvailabilityPeriod, Opt
from vtn.domain.outbox import PushOutboxItem
from vtn.domain.report import (
    Reading,
    ReportCapability,
    ReportDescription,
    ReportSubscription,
    SubscriptionStatus,
)
from vtn.domain.ven import Ven, VenRegistration

__all__ = [
    "AuditEntry",
    "AvailabilityPeriod",
    "Baseline",
    "Event",
    "EventRequest",
    "EventTargets",
    "Invitation",
    "OperatorAction",
    "Opt",
    "PushOutboxItem",
    "Reading",
    "ReportCapability",
    "ReportDescription",
    "ReportSubscription",
    "Signal",
    "SignalInterval",
    "SubscriptionStatus",
    "Ven",
    "VenRegistration",
    "distribution_order",
    "event_status",
    "priority_rank",
    "targets_ven",
]
