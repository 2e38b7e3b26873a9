"""Wire text <-> Python values for XSD simple types: dateTime, duration, boolean, float.

Readers raise ``common.errors.InvalidData`` on text they cannot represent; writers raise
``ValueError`` for values the 2.0b wire cannot carry (a naive datetime, a sub-second duration):
those are programming errors on our side, not a peer's.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from common.errors import InvalidData

_DURATION = re.compile(
    r"\s*([+-])?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?\s*"
)
_BARE_WEEKS = re.compile(r"\s*(\d+)W\s*")
_fromisoformat = datetime.fromisoformat


def read_datetime(text: str | None) -> datetime:
    """xcal:DateTimeType text -> timezone-aware UTC datetime (a missing zone is taken as UTC)."""
    if not text:
        raise InvalidData("empty date-time")
    try:
        value = _fromisoformat(text)
    except ValueError:
        try:  # (stripping first would cost every well-formed text a copy)
            value = _fromisoformat(text.strip())
        except ValueError as exc:
            raise InvalidData(f"not a date-time: {text!r}") from exc
    if value.tzinfo is UTC:  # "…Z" and "…+00:00" both give the UTC singleton
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def write_datetime(value: datetime) -> str:
    """Timezone-aware datetime -> ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (UTC)."""
    if value.tzinfo is None:
        raise ValueError(f"refusing to write a naive datetime: {value!r}")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        return f"{text}.{value.microsecond:06d}Z"
    return f"{text}Z"


@functools.lru_cache(maxsize=256)
def read_duration(text: str | None) -> timedelta:
    """xcal:DurationValueType (ISO 8601 / RFC 5545 duration) -> timedelta.

    Weeks, days, hours, minutes and seconds are exact; a non-zero year or month count is refused
    (InvalidData) because its length depends on the calendar.
    """
    if text is None:
        raise InvalidData("empty duration")
    match = _DURATION.fullmatch(text)
    if match is None:
        bare = _BARE_WEEKS.fullmatch(text)
        if bare is None:
            raise InvalidData(f"not a duration: {text!r}")
        return timedelta(weeks=int(bare.group(1)))
    sign, years, months, weeks, days, hours, minutes, seconds = match.groups()
    if (years and int(years)) or (months and int(months)):
        raise InvalidData(f"durations in years or months are not supported: {text!r}")
    try:
        value = timedelta(  # (memoised: a message repeats the same few durations)
            weeks=int(weeks or 0),
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
        )
    except OverflowError as exc:  # more than timedelta's 999999999 days
        raise InvalidData(f"duration out of range: {text!r}") from exc
    return -value if sign == "-" else value


@functools.lru_cache(maxsize=256)
def write_duration(value: timedelta) -> str:
    """timedelta -> ``[-]P[nD][T[nH][nM][nS]]``; ``PT0S`` for zero. Whole seconds only."""
    if value.microseconds:
        raise ValueError(f"2.0b durations have whole seconds only: {value!r}")
    sign = ""
    if value < timedelta(0):
        sign, value = "-", -value
    days = value.days
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P{days}D" if days else f"{sign}P"
    if hours or minutes or seconds or not days:
        text += "T"
        if hours:
            text += f"{hours}H"
        if minutes:
            text += f"{minutes}M"
        if seconds or not (hours or minutes):
            text += f"{seconds}S"
    return text


def read_bool(text: str | None) -> bool:
    """xs:boolean text -> bool."""
    token = (text or "").strip()
    if token in ("true", "1"):
        return True
    if token in ("false", "0"):
        return False
    raise InvalidData(f"not a boolean: {text!r}")


def write_bool(value: bool) -> str:
    """bool -> ``true``/``false``."""
    return "true" if value else "false"


def read_float(text: str | None) -> float:
    """xs:float / xs:double / xs:decimal text -> float (INF, -INF, NaN accepted)."""
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidData(f"not a number: {text!r}") from exc


def write_float(value: float) -> str:
    """float -> shortest round-tripping xs:float text (INF, -INF, NaN for the specials)."""
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return "NaN"
    return "INF" if value > 0 else "-INF"


def write_decimal(value: float) -> str:
    """float -> xs:decimal text (no exponent), exact: it reads back as the same float."""
    if not math.isfinite(value):
        raise ValueError(f"xs:decimal cannot carry {value!r}")
    text = repr(float(value))
    if "e" in text or "E" in text:  # (format(value, "f") would round 1e-10 to "0.000000")
        text = format(Decimal(text), "f")
    return text


def read_int(text: str | None) -> int:
    """xs:unsignedInt text -> int."""
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidData(f"not an integer: {text!r}") from exc
