"""``oadr-vtn conformance check FILE...``: the automatic 2.0b rules over captured traffic.

Offline and self-contained: it reads files, decodes them with ``common.xml`` and judges them
with ``common.conformance``; it talks to no server and imports none of the VTN's modules.

A FILE is either

- one XML document (an oadrPayload), judged alone; its direction is taken from ``--from``,
  else from its payload type (see ``common.conformance.context.sender``); or
- a capture log: JSON lines, one message per line, in the order they travelled::

      {"time": "2026-07-01T17:00:00Z", "direction": "vtn->ven", "body": "<oadrPayload ...>"}

  ``time`` is ISO 8601 (a time without a zone is UTC) and ``direction`` is ``ven->vtn`` or
  ``vtn->ven``; blank lines are skipped. The lines are one conversation: the rules that need
  context (earlier messages, the time) use them.

A body that does not decode is a finding (``payload.decodes``) with the decoder's message.
Exit status: 0 no finding, 1 findings, 2 a file that cannot be read (missing, or a log line
that is not the JSON above).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.conformance import DECODES, Direction, Exchange, Finding, payload_name
from common.errors import ProtocolError
from common.xml import decode

__all__ = ["CheckedMessage", "UnreadableInput", "check_files", "run"]


class UnreadableInput(Exception):
    """Raised when a file cannot be read or a capture line is not the documented JSON."""


@dataclass
class CheckedMessage:
    """One message of a file and its findings."""

    index: int
    payload: str
    time: datetime | None
    direction: Direction | None
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "payload": self.payload,
            "time": None if self.time is None else self.time.isoformat(),
            "direction": None if self.direction is None else self.direction.value,
            "findings": [f.as_dict() for f in self.findings],
        }


def _exchange(args: argparse.Namespace) -> Exchange:
    return Exchange(vtn_ids=set(args.vtn_id or ()), ven_ids=set(args.ven_id or ()),
                    market_contexts=set(args.market_context or ()))


def _judge(exchange: Exchange, index: int, body: bytes, at: datetime | None,
           direction: Direction | None) -> CheckedMessage:
    try:
        message = decode(body)
    except ProtocolError as exc:
        finding = Finding(rule=DECODES, path="/", expected="a valid 2.0b oadrPayload",
                          seen=type(exc).__name__, message=exc.description)
        return CheckedMessage(index, "?", at, direction, [finding])
    findings = exchange.feed(message, at=at, direction=direction)
    return CheckedMessage(index, payload_name(message), at, direction, findings)


def _time(text: object, where: str) -> datetime:
    if not isinstance(text, str):
        raise UnreadableInput(f"{where}: \"time\" must be an ISO 8601 string")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableInput(f"{where}: {text!r} is not an ISO 8601 time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _capture(text: str, path: Path, args: argparse.Namespace) -> list[CheckedMessage]:
    exchange = _exchange(args)
    checked = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("body"), str):
            raise UnreadableInput(f"{where}: expected an object with \"time\", \"direction\" "
                                  "and \"body\"")
        try:
            direction = Direction(str(record.get("direction")))
        except ValueError:
            raise UnreadableInput(f"{where}: \"direction\" must be \"ven->vtn\" or "
                                  "\"vtn->ven\"") from None
        at = _time(record.get("time"), where)
        checked.append(_judge(exchange, number, record["body"].encode("utf-8"), at, direction))
    return checked


def check_files(args: argparse.Namespace) -> list[tuple[str, list[CheckedMessage]]]:
    """Judge each file of ``args.files``; raises ``UnreadableInput``."""
    results = []
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableInput(f"{name}: {exc.strerror or exc}") from None
        stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"<"):
            direction = None if args.sender is None else (
                Direction.VEN_TO_VTN if args.sender == "ven" else Direction.VTN_TO_VEN)
            at = None if args.at is None else _time(args.at, "--at")
            results.append((name, [_judge(_exchange(args), 1, data, at, direction)]))
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise UnreadableInput(f"{name}: neither XML nor UTF-8 JSON lines") from None
            results.append((name, _capture(text, path, args)))
    return results


def _table(results: list[tuple[str, list[CheckedMessage]]]) -> str:
    lines: list[str] = []
    total = 0
    for name, messages in results:
        for message in messages:
            if not message.findings:
                continue
            total += len(message.findings)
            when = "" if message.time is None else f" {message.time.isoformat()}"
            way = "" if message.direction is None else f" {message.direction.value}"
            lines.append(f"{name}#{message.index}{when}{way} {message.payload}: "
                         f"{len(message.findings)} finding(s)")
            for finding in message.findings:
                lines.append(f"  {finding.rule.id}: {finding.message}")
                lines.append(f"    at {finding.path}")
                lines.append(f"    expected {finding.expected}; seen {finding.seen}")
    count = sum(len(m) for _, m in results)
    lines.append(f"{total} finding(s) in {count} message(s) of {len(results)} file(s)")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """The ``conformance check`` command: 0 no finding, 1 findings, 2 unreadable input."""
    try:
        results = check_files(args)
    except UnreadableInput as exc:
        sys.stderr.write(f"oadr-vtn: {exc}\n")
        return 2
    total = sum(len(m.findings) for _, messages in results for m in messages)
    if args.json:
        document = {
            "findings": total,
            "files": [{"file": name, "messages": [m.as_dict() for m in messages]}
                      for name, messages in results],
        }
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_table(results))
    return 1 if total else 0
