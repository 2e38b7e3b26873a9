"""A price feed for the energy manager: import prices [currency/kWh] fetched from a URL or file.

The building file's ``[energy.price_feed]`` table configures it:

    [energy.price_feed]
    url = "https://prices.example/day-ahead.json"   # or path = "prices.csv" (a local file)
    refresh_min = 60                                # how often it is fetched [min]
    timeout_s = 10                                  # one fetch's time limit [s]
    format = "auto"                                 # auto | json | csv

The document lists prices by interval start, as JSON (a list of objects, or an object with a
``prices`` list) or as CSV (a header line ``start,price``)::

    [{"start": "2026-07-15T17:00:00Z", "price": 0.31}, ...]
    start,price
    2026-07-15T17:00:00Z,0.31

``start`` is ISO 8601 (a time without an offset is UTC); ``price`` is [currency/kWh], the
tariff's currency. Each price holds from its start to the next one's; the last one for the
spacing of the rows before it (or one hour when there is one row), unless a row gives its own
``end``. Outside the intervals a feed covers, the configured tariff prices the energy.

The running VEN fetches the feed on its injected clock (``due``/``refresh``): at start, every
``refresh_min``, and ``RETRY`` after a failure (sooner when ``refresh_min`` is shorter). A
fetch that fails (connection, time-out, HTTP status, unreadable document) logs one WARNING
naming the source and the problem (again only when the problem changes); the last good prices
stay in force for the intervals they cover, else the configured tariff. ``state_json`` is what
``oadr-ven status`` and ``GET /energy/plan`` show: the last fetch, the intervals covered, the
error.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp
import numpy as np
import pandas as pd

__all__ = ["PriceFeed", "PriceFeedError", "PriceFeedSettings", "feed_state_line", "parse_prices",
           "price_feed_from_config"]

log = logging.getLogger("ven.energy.pricefeed")

RETRY = timedelta(minutes=5)
"""Wait before fetching again after a failed fetch (at most ``refresh``) [clock's time]."""
MAX_BYTES = 4 * 1024 * 1024
"""Largest feed document read [bytes]."""

Format = Literal["auto", "json", "csv"]


class PriceFeedError(ValueError):
    """The feed's configuration or document is unusable (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceFeedSettings:
    """Where the prices come from (`url`: http/https, or `path`: a local file), how often
    (`refresh` [clock's time]), a fetch's time limit (`timeout_s` [s]) and the format."""

    url: str | None = None
    path: Path | None = None
    refresh: timedelta = timedelta(hours=1)
    timeout_s: float = 10.0
    format: Format = "auto"

    @property
    def source(self) -> str:
        """The URL or path, as logged and shown."""
        return self.url if self.url is not None else str(self.path)


def price_feed_from_config(table: Mapping[str, Any], *, base: Path | None = None
                           ) -> PriceFeedSettings:
    """The settings of an ``[energy.price_feed]`` table; a relative `path` is taken from
    `base` (the building file's directory)."""
    known = {"url", "path", "refresh_min", "timeout_s", "format"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise PriceFeedError(f"[energy.price_feed] has unknown keys: {', '.join(unknown)}")
    url, path = table.get("url"), table.get("path")
    if (url is None) == (path is None):
        raise PriceFeedError("[energy.price_feed] needs exactly one of url and path")
    if url is not None and (not isinstance(url, str)
                            or not url.startswith(("http://", "https://"))):
        raise PriceFeedError(f"[energy.price_feed] url must be an http:// or https:// URL, "
                             f"got {url!r}")
    if path is not None and (not isinstance(path, str) or not path):
        raise PriceFeedError("[energy.price_feed] path must be a file name")
    numbers = {}
    for key, default, low, high in (("refresh_min", 60, 1, 7 * 24 * 60),
                                    ("timeout_s", 10, 0.1, 300)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                low <= value <= high):
            raise PriceFeedError(f"[energy.price_feed] {key} must be a number in "
                                 f"{low:g}..{high:g}, got {value!r}")
        numbers[key] = float(value)
    fmt = table.get("format", "auto")
    if fmt not in ("auto", "json", "csv"):
        raise PriceFeedError(f"[energy.price_feed] format must be auto, json or csv, got {fmt!r}")
    file = None
    if path is not None:
        file = Path(path)
        if not file.is_absolute() and base is not None:
            file = base / file
    return PriceFeedSettings(url=url, path=file, refresh=timedelta(minutes=numbers["refresh_min"]),
                             timeout_s=numbers["timeout_s"], format=fmt)


# ---- the document ------------------------------------------------------------------------------


def _moment(value: Any, where: str) -> pd.Timestamp:
    if not isinstance(value, str):
        raise PriceFeedError(f"{where}: start must be an ISO 8601 time, got {value!r}")
    try:
        moment = pd.Timestamp(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PriceFeedError(f"{where}: not an ISO 8601 time: {value!r}") from None
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _price(value: Any, where: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise PriceFeedError(f"{where}: price is not a number: {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PriceFeedError(f"{where}: price must be a finite number, got {value!r}")
    return float(value)


def _rows_of(text: str, fmt: Format) -> list[Mapping[str, Any]]:
    stripped = text.lstrip()
    if fmt == "json" or (fmt == "auto" and stripped[:1] in ("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PriceFeedError(f"not JSON ({exc})") from None
        if isinstance(data, Mapping):
            data = data.get("prices")
        if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
            raise PriceFeedError("JSON must be a list of {start, price} objects (or an object "
                                 "with such a list as prices)")
        return data
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip() for f in reader.fieldnames or ()}
    if not {"start", "price"} <= fields:
        raise PriceFeedError("CSV needs a header line with start and price columns, got "
                             f"{', '.join(sorted(fields)) or 'none'}")
    return [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]


def parse_prices(text: str, fmt: Format = "auto") -> pd.DataFrame:
    """The feed document `text` as a frame indexed by interval start (UTC) with ``price``
    [currency/kWh] and ``end``; ``PriceFeedError`` names the first problem (row numbers from 1).
    """
    rows = _rows_of(text, fmt)
    if not rows:
        raise PriceFeedError("the document lists no prices")
    starts, prices, ends = [], [], []
    for number, row in enumerate(rows, start=1):
        where = f"row {number}"
        starts.append(_moment(row.get("start"), where))
        prices.append(_price(row.get("price"), where))
        end = row.get("end")
        ends.append(None if end in (None, "") else _moment(end, where))
    frame = pd.DataFrame({"price": prices, "end": ends},
                         index=pd.DatetimeIndex(starts, name="start"))
    if frame.index.has_duplicates:
        twice = frame.index[frame.index.duplicated()][0]
        raise PriceFeedError(f"start {twice.isoformat()} is listed twice")
    frame = frame.sort_index()
    spacing = (pd.Series(frame.index).diff().median() if len(frame) > 1
               else pd.Timedelta(hours=1))
    following = [*frame.index[1:], frame.index[-1] + spacing]
    frame["end"] = [nxt if e is None else e for nxt, e in zip(following, frame["end"],
                                                              strict=True)]
    bad = frame.index[pd.DatetimeIndex(frame["end"]) <= frame.index]
    if len(bad):
        raise PriceFeedError(f"the interval starting {bad[0].isoformat()} ends before it starts")
    return frame


# ---- the feed ----------------------------------------------------------------------------------


class PriceFeed:
    """The feed's last good prices and the state of its fetches (see the module)."""

    def __init__(self, settings: PriceFeedSettings) -> None:
        self.settings = settings
        self.prices: pd.DataFrame | None = None  # the last good document (parse_prices)
        self.fetched_at: datetime | None = None  # the last good fetch (clock's time)
        self.tried_at: datetime | None = None  # the last attempt
        self.error: str | None = None  # the last attempt's problem (None: it worked)
        self.fetches = 0
        self.failures = 0
        self._next: datetime | None = None
        self._warned: str | None = None

    def due(self, now: datetime) -> bool:
        """True when a fetch is due at `now` (at once at first)."""
        return self._next is None or now >= self._next

    @property
    def next_at(self) -> datetime | None:
        """When the next fetch is due (None: at once)."""
        return self._next

    async def refresh(self, now: datetime) -> bool:
        """Fetch the feed now; True when it gave prices (else the last good ones stay)."""
        self.tried_at = now
        self.fetches += 1
        try:
            text = await self._read()
            frame = parse_prices(text, self._format())
        except (PriceFeedError, OSError, UnicodeDecodeError, aiohttp.ClientError,
                TimeoutError) as exc:
            self._fail(now, _problem(exc))
            return False
        self.prices, self.fetched_at, self._next = frame, now, now + self.settings.refresh
        if self.error is not None:
            log.info("Price feed %s works again: %d price(s) from %s to %s",
                     self.settings.source, len(frame), frame.index[0].isoformat(),
                     pd.Timestamp(frame["end"].iloc[-1]).isoformat())
        else:
            log.debug("Price feed %s: %d price(s)", self.settings.source, len(frame))
        self.error, self._warned = None, None
        return True

    def _fail(self, now: datetime, problem: str) -> None:
        self.failures += 1
        self.error = problem
        self._next = now + min(RETRY, self.settings.refresh)
        if problem != self._warned:
            kept = ("the last good prices stay in force where they apply" if self.prices
                    is not None else "the configured tariff stays in force")
            log.warning("Price feed %s failed: %s; %s (next try in %s)", self.settings.source,
                        problem, kept, _minutes(self._next - now))
            self._warned = problem

    def _format(self) -> Format:
        fmt = self.settings.format
        if fmt != "auto":
            return fmt
        name = (self.settings.url or str(self.settings.path)).split("?")[0].lower()
        return "csv" if name.endswith(".csv") else "json" if name.endswith(".json") else "auto"

    async def _read(self) -> str:
        settings = self.settings
        if settings.path is not None:
            data = await asyncio.to_thread(_read_file, settings.path)
            return data.decode("utf-8")
        assert settings.url is not None
        timeout = aiohttp.ClientTimeout(total=settings.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(settings.url) as response:
            if response.status != 200:
                raise PriceFeedError(f"HTTP {response.status} {response.reason or ''}".strip())
            body = await response.content.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise PriceFeedError(f"the document is larger than {MAX_BYTES} bytes")
            return body.decode(response.charset or "utf-8")

    def prices_on(self, index: pd.DatetimeIndex, step: timedelta) -> np.ndarray:
        """The feed's price [currency/kWh] of each interval starting at `index` (length
        `step`): the price in force at the interval's start; NaN where no price is in force
        then, or where the interval ends after the last good prices' end."""
        out = np.full(len(index), np.nan)
        if self.prices is None or not len(index):
            return out
        starts = self.prices.index
        pos = starts.searchsorted(index, side="right") - 1
        ok = pos >= 0
        ends = pd.DatetimeIndex(self.prices["end"]).tz_convert("UTC")
        values = self.prices["price"].to_numpy(dtype=float)
        safe = np.maximum(pos, 0)
        ok &= np.asarray(index < ends[safe]) & np.asarray(index + pd.Timedelta(step)
                                                          <= ends.max())
        out[ok] = values[safe][ok]
        return out

    def state_json(self) -> dict[str, Any]:
        """The feed's state: source, last fetch and attempt, intervals covered, error."""
        frame = self.prices
        return {"source": self.settings.source,
                "refresh_min": self.settings.refresh / timedelta(minutes=1),
                "fetched_at": None if self.fetched_at is None else self.fetched_at.isoformat(),
                "tried_at": None if self.tried_at is None else self.tried_at.isoformat(),
                "next_at": None if self._next is None else self._next.isoformat(),
                "intervals": 0 if frame is None else len(frame),
                "covers_from": None if frame is None else frame.index[0].isoformat(),
                "covers_to": None if frame is None
                else pd.Timestamp(frame["end"].max()).isoformat(),
                "error": self.error, "fetches": self.fetches, "failures": self.failures}


def _read_file(path: Path) -> bytes:
    with path.open("rb") as file:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PriceFeedError(f"the document is larger than {MAX_BYTES} bytes")
    return data


def _problem(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time (timeout_s)"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, UnicodeDecodeError):
        return "the document is not UTF-8 text"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, PriceFeedError) else f"{type(exc).__name__}: {text}"


def _minutes(delta: timedelta) -> str:
    return f"{delta / timedelta(minutes=1):g} min"


def feed_state_line(state: Mapping[str, Any]) -> str:
    """One line on the feed for ``oadr-ven status``."""
    if state.get("fetched_at"):
        covered = (f"{state['intervals']} price(s) covering {state['covers_from'][:16]} to "
                   f"{state['covers_to'][:16]} UTC, fetched {state['fetched_at'][:16]} UTC")
    else:
        covered = "no prices yet"
    error = f"; last try FAILED at {state['tried_at'][:16]} UTC: {state['error']}" if state.get(
        "error") else ""
    return f"  price feed {state['source']}: {covered}{error}"

