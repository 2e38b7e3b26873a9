"""Hourly values of a building file: a 24-entry list, one value, or a table of hour ranges."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_RANGE = re.compile(r"^\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?$")


class HourlyError(ValueError):
    """An hourly value is wrong; ``where`` is the sub-path inside the field (may be empty)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def hour_range(key: str) -> tuple[int, ...]:
    """Local hours covered by a range key: "18-22" -> 18..21, "22-6" -> 22,23,0..5, "7" -> 7.

    Ranges are half-open [start, end): "18-22" ends at 22:00. End may be 24; a range whose end
    is smaller than its start wraps past midnight. Raises ValueError when the key is not a range.
    """
    match = _RANGE.match(key)
    if match is None:
        raise ValueError(f'not an hour range like "18-22" or "7": "{key}"')
    start = int(match.group(1))
    if match.group(2) is None:
        if start > 23:
            raise ValueError(f'hour must be 0..23, got "{key}"')
        return (start,)
    end = int(match.group(2))
    if start > 23 or end > 24:
        raise ValueError(f'hours must be 0..23 (start) and 0..24 (end), got "{key}"')
    if start == end % 24 and not (start == 0 and end == 24):
        raise ValueError(f'empty or ambiguous hour range "{key}" (use "0-24" for the whole day)')
    if start < end:
        return tuple(range(start, end))
    return tuple(range(start, 24)) + tuple(range(0, end))


def expand_hourly(value: object, parse: Callable[[object], T]) -> tuple[T, ...]:
    """24 hourly values from the compact forms of a building file.

    value: a list of 24 entries; a single entry (the same for all hours); or a table whose keys
    are hour ranges ("18-22", "7", "22-6") plus an optional "default" for the hours no range
    covers. `parse` converts one entry or raises ValueError. Overlapping ranges are an error.
    Raises HourlyError naming the offending entry.
    """
    if isinstance(value, list):
        if len(value) != 24:
            raise HourlyError("", f"needs 24 hourly entries, got {len(value)}")
        return tuple(_parse_at(f"[{i}]", item, parse) for i, item in enumerate(value))
    if isinstance(value, dict):
        return _expand_table(value, parse)
    return tuple(_parse_at("", value, parse) for _ in range(24))


def _expand_table(table: dict[str, object], parse: Callable[[object], T]) -> tuple[T, ...]:
    slots: list[T | None] = [None] * 24
    owner: list[str | None] = [None] * 24
    for key, item in table.items():
        if key == "default":
            continue
        try:
            hours = hour_range(key)
        except ValueError as exc:
            raise HourlyError(f'."{key}"', str(exc)) from None
        parsed = _parse_at(f'."{key}"', item, parse)
        for hour in hours:
            if owner[hour] is not None:
                raise HourlyError(f'."{key}"', f'overlaps range "{owner[hour]}" at hour {hour}')
            owner[hour] = key
            slots[hour] = parsed
    if "default" in table:
        fallback = _parse_at(".default", table["default"], parse)
        return tuple(fallback if slot is None else slot for slot in slots)
    missing = [hour for hour, key in enumerate(owner) if key is None]
    if missing:
        raise HourlyError("", f'hours {missing} are not covered; add a "default" entry')
    return tuple(slot for slot in slots if slot is not None)


def _parse_at(where: str, item: object, parse: Callable[[object], T]) -> T:
    try:
        return parse(item)
    except ValueError as exc:
        raise HourlyError(where, str(exc)) from None
