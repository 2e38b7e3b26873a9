"""Loggers of the VTN's protocol side and the words they use for VENs and events."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

from vtn.domain import Ven

__all__ = ["PROTOCOL", "PUSH", "SERVER", "BadHttpLines", "ven_label"]

PROTOCOL = logging.getLogger("oadr.vtn.protocol")
"""What VENs do: registrations, deliveries, opts, reports, rejected messages."""
PUSH = logging.getLogger("oadr.vtn.push")
"""Push deliveries to VENs that do not poll."""
SERVER = logging.getLogger("oadr.vtn.server")
"""Start, stop and configuration of the server."""


def ven_label(ven: Ven | None, ven_id: str | None = None) -> str:
    """``ven-1 (office-sj)`` for a VEN with a name, ``ven-1`` without, or the bare `ven_id`."""
    if ven is None:
        return ven_id or "an unregistered VEN"
    return f"{ven.ven_id} ({ven.ven_name})" if ven.ven_name else ven.ven_id


class BadHttpLines(logging.Filter):
    """For aiohttp's server logger: a request that is not valid HTTP (a line too long, not HTTP
    at all) is the peer's fault, not the server's: one WARNING line without a traceback, like
    the VTN's other refusals, instead of an ERROR with one (a garbage sender floods no log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            said = record.getMessage().replace("Error handling request", "Rejected a request")
            reason = error.message.strip().splitlines()[0] if error.message else ""
            record.msg = "%s: not valid HTTP: %s (HTTP %d)"
            record.args = (said, reason or type(error).__name__, error.code)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True
