"""What a rule check returns: ``Rule`` (a stable id and the harness-style wording) and
``Finding`` (one violation, located in the message)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DECODES", "Direction", "Finding", "Rule", "path_of_event", "payload_name"]


class Direction(StrEnum):
    """Who sent a message: the VEN to the VTN, or the VTN to the VEN."""

    VEN_TO_VTN = "ven->vtn"
    VTN_TO_VEN = "vtn->ven"


@dataclass(frozen=True, slots=True)
class Rule:
    """One automatic conformance rule.

    ``id`` is stable (``"event.interval-durations-sum"``): tests, reports and suppressions key
    on it. ``description`` says the rule as the certification harness words it (CONFORMANCE.md
    §2.3); ``context`` is True when the rule needs earlier messages, the time or configured
    identifiers (an ``Exchange``) and is silent without them.
    """

    id: str
    description: str
    context: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One violation of a rule.

    ``path`` locates it in the payload, XPath-like, relative to the payload element
    (``oadrEvent[eventID=e1]/eiEventSignals/eiEventSignal[0]/intervals``); ``expected`` and
    ``seen`` are short texts for a table; ``message`` is one readable sentence.
    """

    rule: Rule
    path: str
    expected: str
    seen: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The finding as plain JSON-able strings."""
        return {
            "rule": self.rule.id,
            "description": self.rule.description,
            "path": self.path,
            "expected": self.expected,
            "seen": self.seen,
            "message": self.message,
        }


def path_of_event(event_id: str) -> str:
    """The path of one oadrEvent inside oadrDistributeEvent."""
    return f"oadrEvent[eventID={event_id}]"


DECODES = Rule("payload.decodes", "the payload must be a schema-valid 2.0b oadrPayload")
"""Not a §2.3 rule: a captured body that does not decode cannot be judged by any other."""


def payload_name(message: object) -> str:
    """The payload element's name of a typed message (``oadrDistributeEvent``…)."""
    return "oadr" + type(message).__name__
