"""Conformance rule checks over typed 2.0b messages: the automatic rules of certification.

Pure: no I/O, no clock. ``check(message)`` applies the rules a single message can be judged
by; ``Exchange().feed(message, at=..., direction=...)`` applies them in the context of a
conversation (earlier messages, the time, known identifiers) and records the message.

- ``findings``: ``Rule`` and ``Finding``; ``Direction``.
- ``event``, ``opt``, ``report``, ``registration``: the rules of each service.
- ``context``: ``Exchange``, the conversation's state.
- ``dispatch``: ``check`` and ``RULES`` (every rule).
- ``run_report``: the kit's reports (JSON, JUnit XML, Markdown), for both sides.
"""

from common.conformance.context import Exchange
from common.conformance.dispatch import RULES, check
from common.conformance.findings import DECODES, Direction, Finding, Rule, payload_name

__all__ = [
    "DECODES", "RULES", "Direction", "Exchange", "Finding", "Rule", "check", "payload_name",
]
