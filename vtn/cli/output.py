"""The CLI's human output: aligned tables, local (or UTC) times with their zone, durations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

__all__ = ["minutes", "seconds", "show_time", "table"]

_ISO_DURATION = re.compile(r"(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def show_time(value: str | None, *, utc: bool = False) -> str:
    """An ISO 8601 instant from the API as ``2026-07-01 14:05 CEST`` (local) or ``... UTC``."""
    if not value:
        return "-"
    when = datetime.fromisoformat(value)
    when = when.astimezone(UTC) if utc else when.astimezone()
    pattern = "%Y-%m-%d %H:%M %Z" if when.second == 0 else "%Y-%m-%d %H:%M:%S %Z"
    return when.strftime(pattern)


def _duration(value: str | None) -> timedelta | None:
    match = _ISO_DURATION.fullmatch(value or "")
    if not value or match is None:
        return None
    sign, days, hours, mins, secs = match.groups()
    span = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(mins or 0),
                     seconds=int(secs or 0))
    return -span if sign else span


def minutes(value: str | None) -> str:
    """An ISO 8601 duration from the API in minutes (``90``, ``7.5``), or ``-``."""
    span = _duration(value)
    return "-" if span is None else f"{span.total_seconds() / 60:g}"


def seconds(value: str | None) -> str:
    """An ISO 8601 duration from the API in seconds, or ``-``."""
    span = _duration(value)
    return "-" if span is None else f"{span.total_seconds():g}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """`rows` under `headers`, columns aligned; numeric columns right-aligned; ``None`` is ``-``."""
    cells = [[("-" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [bool(cells) and all(_NUMBER.fullmatch(r[i]) or r[i] == "-" for r in cells)
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(r) for r in cells)])
