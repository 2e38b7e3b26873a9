"""The VTN's Prometheus metrics: one ``VtnMetrics`` per application, never the process-global
default registry.

What is counted where:

- the 2.0b boundary (``vtn.app.Boundary``): every request by service, HTTP status and eiResponse
  code, and its latency per service;
- the push worker (``vtn.push.PushWorker``): deliveries, retries and give-ups;
- at each scrape, from the database (``VtnMetrics.refresh``): VENs by state and the outbox
  queues, as gauges (they are the database's, not one process's).

With ``workers > 1`` every worker counts in files under ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode: ``prepare_multiprocess_dir`` makes the directory empty
and sets the variable before the supervisor starts the workers); worker 0, which serves
``/metrics``, adds up all of them, so no worker's requests are lost. The variable must be set
before ``prometheus_client`` is imported, which is why the workers are spawned after it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from vtn.storage import Store
from vtn.storage.status import VenCount

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "MULTIPROCESS_ENV", "NO_EI_CODE", "VtnMetrics",
           "multiprocess_dir_of", "prepare_multiprocess_dir"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""The variable through which prometheus_client's multiprocess mode finds its directory."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format."""
NO_EI_CODE = "none"
"""The ``ei_code`` label of a request refused below 2.0b (not XML, too large: HTTP 4xx)."""
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Request latency buckets [s]: an empty poll takes about a millisecond."""
LATENCY_BOUNDS = (*LATENCY_BUCKETS, float("inf"))
"""The histogram's upper bounds, as prometheus_client keeps them (``+Inf`` last)."""
FLUSH_EVERY_S = 1.0
"""Requests are counted in the process and handed to prometheus_client this often [s]."""



def multiprocess_dir_of(state_dir: Path) -> Path:
    """Where the workers of the VTN with `state_dir` keep their metric files."""
    return state_dir / "metrics"


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty `path` (the files of an earlier run would be added to this one's counts) and set
    ``PROMETHEUS_MULTIPROC_DIR`` for the worker processes started after this call."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_ENV] = str(path)


class _Tally:
    """One label set's requests since the last flush: count, total seconds [s] and count per
    latency bucket, with the prometheus_client children they go to."""

    __slots__ = ("buckets", "count", "counter", "histogram", "total")

    def __init__(self, counter: Counter, histogram: Histogram) -> None:
        self.counter = counter
        self.histogram = histogram
        self.count = 0
        self.total = 0.0
        internals = (getattr(histogram, "_sum", None), getattr(histogram, "_buckets", None))
        usable = internals[1] is not None and len(internals[1]) == len(LATENCY_BOUNDS)
        self.buckets: list[int] | None = [0] * len(LATENCY_BOUNDS) if usable else None

    def flush(self) -> None:
        if not self.count or self.buckets is None:
            return
        self.counter.inc(self.count)
        # prometheus_client has no public way to add many observations at once: its
        # histogram's sum and bucket values (checked to exist in __init__) take them
        self.histogram._sum.inc(self.total)
        for value, count in zip(self.histogram._buckets, self.buckets,
                                strict=True):
            if count:
                value.inc(count)
        self.count, self.total = 0, 0.0
        self.buckets = [0] * len(LATENCY_BOUNDS)


class _DatabaseState(Collector):
    """The gauges read from the database at the last ``VtnMetrics.refresh``."""

    def __init__(self) -> None:
        self.up: bool | None = None
        self.vens: tuple[VenCount, ...] = ()
        self.outbox: dict[bool, int] = {}

    def describe(self) -> Iterable[Metric]:
        return ()  # nothing to check for clashes at registration; collect() is cheap anyway

    def collect(self) -> Iterator[Metric]:
        if self.up is None:
            return
        up = GaugeMetricFamily("oadr_vtn_database_up",
                               "1 if the database answered the last scrape's queries, else 0")
        up.add_metric([], 1.0 if self.up else 0.0)
        yield up
        if not self.up:
            return
        vens = GaugeMetricFamily(
            "oadr_vtn_vens", "VENs by registration (registered, cancelled), mode (pull, push) "
            "and online (seen within the online window)",
            labels=["registration", "mode", "online"])
        for count in self.vens:
            vens.add_metric(["registered" if count.registered else "cancelled",
                             "pull" if count.pull else "push",
                             "true" if count.online else "false"], float(count.count))
        yield vens
        outbox = GaugeMetricFamily(
            "oadr_vtn_outbox_pending", "Queued messages neither delivered nor given up, by the "
            "VEN's mode (pull: waiting for its poll; push: for the push worker)",
            labels=["mode"])
        for pull, depth in sorted(self.outbox.items()):
            outbox.add_metric(["pull" if pull else "push"], float(depth))
        yield outbox


class VtnMetrics:
    """The metrics of one VTN application and the registry ``/metrics`` exposes.

    `multiprocess_dir`: with several workers, the directory every worker records in
    (``PROMETHEUS_MULTIPROC_DIR`` must name it, set before prometheus_client was imported);
    the exposition then adds up every worker's files. ``None``: this process only.
    """

    def __init__(self, *, multiprocess_dir: Path | None = None) -> None:
        if multiprocess_dir is not None and os.environ.get(MULTIPROCESS_ENV) != str(
                multiprocess_dir):
            raise ValueError(f"{MULTIPROCESS_ENV} must be {multiprocess_dir} before "
                             "prometheus_client is imported (prepare_multiprocess_dir)")
        recording = CollectorRegistry()
        self.requests = Counter(
            "oadr_vtn_requests", "2.0b requests by service, HTTP status and eiResponse code",
            ["service", "http_status", "ei_code"], registry=recording)
        self.latency = Histogram(
            "oadr_vtn_request_duration_seconds", "Time to answer a 2.0b request, by service",
            ["service"], buckets=LATENCY_BUCKETS, registry=recording)
        self.pushes = Counter(
            "oadr_vtn_push_deliveries", "Push attempts by outcome: delivered, retry (failed, "
            "tried again later) or given_up (failed for the last time)",
            ["outcome"], registry=recording)
        self._state = _DatabaseState()
        self._tallies: dict[tuple[str, int, int | None], _Tally] = {}
        self._flushed_at = time.monotonic()
        if multiprocess_dir is None:
            self.registry = recording
        else:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=str(multiprocess_dir))
        self.registry.register(self._state)

    def __repr__(self) -> str:
        return "VtnMetrics()"

    def request(self, service: str, http_status: int, ei_code: int | None,
                seconds: float) -> None:
        """Count one 2.0b request answered in `seconds` [s]: added up in this process and
        handed to prometheus_client at most ``FLUSH_EVERY_S`` later (``flush``; each of its
        counts takes a lock, and a histogram observation several: several times the cost of
        adding up here, on every poll)."""
        key = (service, http_status, ei_code)
        tally = self._tallies.get(key)
        if tally is None:
            code = NO_EI_CODE if ei_code is None else str(ei_code)
            tally = _Tally(self.requests.labels(service, str(http_status), code),
                           self.latency.labels(service))
            self._tallies[key] = tally
        if tally.buckets is None:  # prometheus_client without the internals _Tally uses
            tally.counter.inc()
            tally.histogram.observe(seconds)
            return
        tally.count += 1
        tally.total += seconds
        tally.buckets[bisect_left(LATENCY_BOUNDS, seconds)] += 1
        if time.monotonic() - self._flushed_at >= FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Hand the requests counted since the last flush to prometheus_client (done by
        ``request`` and ``exposition``, and every ``FLUSH_EVERY_S`` by ``run``)."""
        self._flushed_at = time.monotonic()
        for tally in self._tallies.values():
            tally.flush()

    async def run(self, stop: asyncio.Event) -> None:
        """``flush`` every ``FLUSH_EVERY_S`` until `stop` (a worker that stops receiving
        requests must still publish its last counts to the scraping worker)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_EVERY_S)
            self.flush()

    def push(self, outcome: str, count: int = 1) -> None:
        """Count `count` push attempts of one outcome: ``delivered``, ``retry`` or
        ``given_up`` (a push round counts its deliveries at once)."""
        self.pushes.labels(outcome).inc(count)

    async def refresh(self, store: Store, *, online_since: datetime) -> None:
        """Read the database's gauges (VENs seen at or after `online_since` are online); a
        failing database is ``oadr_vtn_database_up 0`` (``StorageError`` is raised on)."""
        try:
            vens = await store.status.ven_counts(online_since)
            outbox = await store.status.outbox_depth()
        except BaseException:
            self._state.up = False
            raise
        self._state.up, self._state.vens, self._state.outbox = True, vens, outbox

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (all workers' in multiprocess mode)."""
        self.flush()
        return generate_latest(self.registry)
