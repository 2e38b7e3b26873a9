"""Invariant checks shared by the domain types: timezone-aware instants, non-negative durations."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["require_aware", "require_non_negative"]


def require_aware(name: str, value: datetime | None) -> None:
    """Raise ``ValueError`` when `value` is a naive datetime (``None`` passes)."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def require_non_negative(name: str, value: timedelta | None) -> None:
    """Raise ``ValueError`` when `value` is a negative duration (``None`` passes)."""
    if value is not None and value < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value!r}")
