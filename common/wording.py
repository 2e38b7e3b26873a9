"""Durations in the words an operator reads (logs, error messages), for the VTN and the VEN."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["duration_words"]


def duration_words(duration: timedelta) -> str:
    """``10 s``, ``5 min``, ``1 h 30 min``, ``1 min 30 s`` (the two largest units; whole
    seconds), instead of ``0:00:10``; a negative duration gets a minus sign."""
    seconds = round(duration.total_seconds())
    if seconds < 0:
        return "-" + duration_words(-duration)
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
