"""What a harness run keeps: every HTTP exchange with the VEN (``Record``) and each case's
verdict (``CaseResult``, ``Outcome``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

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

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-able values (bodies as UTF-8 text, replacement for bad bytes)."""
        return {
            "at": self.at.isoformat(),
            "case": self.case_id,
            "service": self.service,
            "payload": self.payload,
            "status": self.status,
            "answer": self.answer,
            "request_headers": self.request_headers,
            "request_body": self.request_body.decode("utf-8", "replace"),
            "response_body": self.response_body.decode("utf-8", "replace"),
            "tls_version": self.tls_version,
            "cipher": self.cipher,
            "client_fingerprint": self.client_fingerprint,
            "findings": [f.as_dict() for f in self.findings],
            "harness_findings": [f.as_dict() for f in self.harness_findings],
            "note": self.note,
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

    def as_dict(self) -> dict[str, object]:
        """The result as JSON-able values."""
        return {
            "case": self.case_id,
            "title": self.title,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "findings": [f.as_dict() for f in self.findings],
            "transcript": [r.as_dict() for r in self.transcript],
        }
