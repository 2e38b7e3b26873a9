"""What a harness run keeps: every HTTP exchange with the VEN (``Record``) and each case's
verdict (``CaseResult``, ``Outcome``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from common.conformance import Finding
from common.messages.types import Message

__all__ = ["CaseResult", "Outcome", "Record"]


class Outcome(StrEnum):
    """A case's verdict."""

    PASS = "pass"
    FAIL = "fail"
    NEEDS_OPERATOR = "needs-operator"
    NOT_APPLICABLE = "n/a"


@dataclass
class Record:
    """One HTTP request of the VEN and the harness's answer, byte for byte.

    ``payload`` / ``answer`` name the payloads (``oadrPoll``...; empty when the body did not
    decode). ``findings`` are the rule findings on the VEN's message (direction ven->vtn);
    ``harness_findings`` those on the harness's answer (a deliberate fault of a negative case
    shows up there and fails nothing). ``tls_version``, ``cipher`` and ``client_fingerprint``
    are ``None`` on plain HTTP.
    """

    at: datetime
    case_id: str
    service: str
    request_headers: dict[str, str]
    request_body: bytes
    payload: str
    status: int = 200
    answer: str = ""
    response_body: bytes = b""
    tls_version: str | None = None
    cipher: str | None = None
    client_fingerprint: str | None = None
    findings: list[Finding] = field(default_factory=list)
    harness_findings: list[Finding] = field(default_factory=list)
    note: str = ""
    message: Message | None = field(default=None, repr=False)
    """The VEN's decoded message (not serialised: the body is)."""
    direction: str = "ven->vtn"
    """``ven->vtn``: the VEN's request and the harness's answer; ``vtn->ven``: a push, the
    harness's message (``request_body``, named by ``answer``) and the VEN's HTTP answer
    (``response_body``, named by ``payload``, decoded into ``message``)."""

    def as_dict(self) -> dict[str, Any]:
        """The record in the shared report's shape (``common.conformance.run_report``; bodies
        as UTF-8 text, replacement for bad bytes). For a push the request is the harness's."""
        push = self.direction == "vtn->ven"
        tls = None if self.tls_version is None else {
            "version": self.tls_version, "cipher": self.cipher,
            "peer_fingerprint": self.client_fingerprint, "peer_sha256": None}
        return {
            "direction": self.direction,
            "at": self.at.isoformat(),
            "case": self.case_id,
            "service": self.service,
            "url": self.service,
            "request": {"payload": self.answer if push else self.payload,
                        "headers": self.request_headers,
                        "body": self.request_body.decode("utf-8", "replace")},
            "response": {"status": self.status, "payload": self.payload if push else self.answer,
                         "headers": {},
                         "body": self.response_body.decode("utf-8", "replace")},
            "tls": tls,
            "error": None,
            "note": self.note,
            "findings": [{**f.as_dict(), "payload": self.payload} for f in self.findings],
            "harness_findings": [{**f.as_dict(), "payload": self.answer}
                                 for f in self.harness_findings],
        }


@dataclass
class CaseResult:
    """The verdict of one case: its outcome, why, the VEN's findings and its transcript."""

    case_id: str
    title: str
    outcome: Outcome
    reason: str
    findings: list[Finding] = field(default_factory=list)
    transcript: list[Record] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The result in the shared report's shape (``common.conformance.run_report``)."""
        return {
            "case_id": self.case_id,
            "title": self.title,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "checks": [],
            "findings": [{**f.as_dict(), "payload": r.payload}
                         for r in self.transcript for f in r.findings],
            "transcript": [r.as_dict() for r in self.transcript],
        }
