"""Loggers of the VTN's protocol side and the words they use for VENs and events."""

from __future__ import annotations

import logging

from vtn.domain import Ven

__all__ = ["PROTOCOL", "PUSH", "SERVER", "ven_label"]

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
