"""Identifiers the VTN makes up (venID, registrationID, eventID, outbox item ids)."""

from __future__ import annotations

from uuid import uuid4

__all__ = ["new_id"]


def new_id() -> str:
    """A fresh random identifier: 32 lowercase hex digits (a UUID4 without dashes)."""
    return uuid4().hex
