"""Log records as JSON lines, for log collectors: one object per line.

Every line has ``time`` (ISO 8601 with the local offset, milliseconds), ``level``, ``logger``
and ``message`` (the formatted text); then the fields given with ``extra=`` and the formatter's
own ``fields`` (e.g. the worker number); ``exception`` holds a traceback when there is one.
Values that are not JSON types are written as their ``str``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["JsonFormatter"]

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}
"""The attributes every record has: anything else on a record came with ``extra=``."""


class JsonFormatter(logging.Formatter):
    """Formats each record as one line of JSON; `fields` are added to every line."""

    def __init__(self, fields: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._fields = dict(fields or {})

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object (no newline inside it)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(
                timespec="milliseconds"),
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
