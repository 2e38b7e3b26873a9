"""Times and durations as operators type them: ISO 8601, short forms (``1h30m``), ``+5m``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from common.errors import InvalidData
from common.xml.lexical import read_duration
from vtn.admin.problems import BadRequest

__all__ = ["parse_duration", "parse_instant", "parse_start"]

_SHORT = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_DURATION_HINT = "a duration such as PT1H30M, 1h30m, 15m or 90s"


def parse_duration(value: object, field: str) -> timedelta:
    """A non-negative duration: ISO 8601 (``PT15M``) or short (``15m``, ``1h30m``, ``2d``)."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field}: expected {_DURATION_HINT}, got {value!r}", field=field)
    text = value.strip()
    if text.upper().startswith("P"):
        if text.upper() in ("P", "PT") or text.upper().endswith("T"):
            raise BadRequest(f"{field}: {text!r} is not {_DURATION_HINT}", field=field)
        try:
            return read_duration(text.upper())
        except InvalidData as exc:
            raise BadRequest(f"{field}: {text!r} is not {_DURATION_HINT}", field=field) from exc
    match = _SHORT.fullmatch(text.lower())
    if match is None or not any(match.groups()):
        raise BadRequest(f"{field}: {text!r} is not {_DURATION_HINT}", field=field)
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_instant(value: object, field: str) -> datetime:
    """A timezone-aware ISO 8601 date-time, converted to UTC; a missing zone is refused."""
    if not isinstance(value, str):
        raise BadRequest(f"{field}: expected an ISO 8601 date-time, got {value!r}", field=field)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadRequest(f"{field}: {value!r} is not an ISO 8601 date-time "
                         "(e.g. 2026-07-01T14:00:00Z)", field=field) from exc
    if when.utcoffset() is None:
        raise BadRequest(f"{field}: {value!r} has no time zone; add Z or an offset "
                         "such as +02:00", field=field)
    return when.astimezone(UTC)


def parse_start(value: object, now: datetime, field: str = "start") -> datetime:
    """An event start: ``now``, ``+DURATION`` from `now` (``+5m``, ``+PT1H``), or an ISO time.

    The result is UTC, truncated to whole seconds (2.0b durations are whole seconds). A relative
    start is aligned up to the whole minute (``+1m`` at 14:00:51 is 14:02:00), so that the
    event's intervals, and the performance intervals computed from minute readings, are whole.
    """
    if isinstance(value, str) and value.strip().lower() == "now":
        when = now
    elif isinstance(value, str) and value.strip().startswith("+"):
        when = _minute_up((now + parse_duration(value.strip()[1:], field)).replace(microsecond=0))
    else:
        when = parse_instant(value, field)
    return when.astimezone(UTC).replace(microsecond=0)


def _minute_up(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + timedelta(minutes=1)
