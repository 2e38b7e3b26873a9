"""Log line formats of both programs: text lines for people, JSON lines for log collectors.

Both carry the record's time as ISO 8601 with milliseconds and the zone's offset: the local zone
by default (the VTN), or UTC (``utc=True``: the VEN, whose event and report times are UTC too).
A text line reads ``2026-07-15T18:00:05.000+00:00 INFO message``. A JSON line has ``time``,
``level``, ``logger``
and ``message`` (the formatted text); then the fields given with ``extra=`` and the formatter's
own ``fields`` (e.g. the worker number); ``exception`` holds a traceback when there is one.
Values that are not JSON types are written as their ``str``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "TextFormatter", "record_time"]

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}
"""The attributes every record has: anything else on a record came with ``extra=``."""


def record_time(record: logging.LogRecord, *, utc: bool = False) -> str:
    """When `record` was made: ISO 8601 with milliseconds and the offset of its zone."""
    when = datetime.fromtimestamp(record.created, UTC)
    return (when if utc else when.astimezone()).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``TIME LEVEL [prefix]message`` lines, TIME as ``record_time`` writes it."""

    def __init__(self, prefix: str = "", *, utc: bool = False) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {prefix}%(message)s")
        self._utc = utc

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The record's time with its zone (``datefmt`` is not used)."""
        return record_time(record, utc=self._utc)


class JsonFormatter(logging.Formatter):
    """Formats each record as one line of JSON; `fields` are added to every line."""

    def __init__(self, fields: Mapping[str, Any] | None = None, *, utc: bool = False) -> None:
        super().__init__()
        self._fields = dict(fields or {})
        self._utc = utc

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object (no newline inside it)."""
        line: dict[str, Any] = {
            "time": record_time(record, utc=self._utc),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self._fields,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
