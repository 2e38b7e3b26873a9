"""The soak's load generator: VENs that register, offer telemetry, then poll and report for as
long as asked, with the server's memory, open files, errors and p99 sampled every minute.

Run by ``bench_soak`` as ``python -m tests.benchmarks._soakgen SPEC.json``; progress on stderr,
one JSON object per sample on stdout (``{"minute": ...}``), then ``{"done": ...}``.

Per VEN, first: oadrCreatePartyRegistration, polls until nothing is pending (the queued
oadrRegisterReport), oadrRegisterReport with a TELEMETRY_USAGE offer (``metadata_report``);
the oadrRegisteredReport's request for it gives the reportRequestID. Then, on a fixed schedule
(VEN `i` offset by `i / VENs` of the period, so the load is even): an oadrPoll every
``poll_s`` and an oadrUpdateReport (one one-minute reading, the current minute) every
``report_s`` (not sent, and counted, while ``MAX_IN_FLIGHT`` wait for replies: the VTN fell
behind). Every reply is checked: HTTP 200 and a responseCode 200 (a poll may also return
a queued message; that is no error). Requests are sent on a 50 ms tick; latency is from the
send, and the largest lag behind the schedule is recorded too (``lag_ms``). Each sample: RSS
of the server's processes [KiB], their open file descriptors (``/proc/PID/fd``), polls,
reports, errors, p50/p99 [ms] of that minute.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from array import array
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from common.messages.enums import ReportName
from common.messages.report import RegisteredReport, Report, ReportPayload, UpdateReport
from common.messages.types import Interval
from common.xml import decode, encode
from tests.benchmarks import _loadgen as lg
from tests.benchmarks.bench_scale import rss_kib, tree_pids
from tests.support.ven_reports import metadata_report

_OK = re.compile(rb"responseCode>200<")
MAX_IN_FLIGHT = 512


def say(text: str) -> None:
    print(f"    [soak] {text}", file=sys.stderr, flush=True)


def open_fds(pid: int) -> int:
    """Open file descriptors of `pid` and its descendants."""
    total = 0
    for p in tree_pids(pid):
        try:
            total += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            continue
    return total


def update_body(ven_id: str, request_id: str, at: datetime, value: float) -> bytes:
    """oadrUpdateReport of one one-minute TELEMETRY_USAGE reading (r_id load) at `at`."""
    minute = at.replace(second=0, microsecond=0)
    report = Report(
        report_request_id=request_id, report_specifier_id="spec-usage", created_date_time=at,
        report_name=ReportName.TELEMETRY_USAGE, dtstart=minute,
        intervals=(Interval(payloads=(ReportPayload(r_id="load", value=value),),
                            dtstart=minute, duration=timedelta(minutes=1)),))
    return encode(UpdateReport(request_id=f"u-{int(at.timestamp())}", reports=(report,),
                               ven_id=ven_id))


class Minute:
    """What one sampling period saw."""

    def __init__(self) -> None:
        self.latencies = array("d")
        self.polls = 0
        self.reports = 0
        self.errors = 0
        self.first_errors: list[str] = []
        self.lag = 0.0
        self.unsent = 0
        """Requests not sent: ``MAX_IN_FLIGHT`` were waiting for replies."""
        """The longest a request was sent after its scheduled time [s]."""

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 3:
            self.first_errors.append(what[:200])


async def set_up(pool: lg.HttpPool, base: str, ids: list[str], concurrency: int) -> dict[str, str]:
    """Register, drain, offer reports; the reportRequestID of each VEN's TELEMETRY_USAGE."""
    checks = lg.Checks()
    client = lg.Client(pool, base, checks)
    registered = await lg.register(client, ids, concurrency, 600.0)
    say(f"{registered['registered']:,} VENs registered ({registered['per_second']:.0f}/s)")
    polls = [client.poll_request(b) for b in lg.poll_bodies(ids)]
    drained = await lg.drain(client, polls, concurrency, 600.0)
    say(f"drained in {drained['seconds']:.0f} s")
    report_path = f"{urlsplit(base).path.rstrip('/')}/EiReport"
    requests: dict[str, str] = {}

    async def offer(ven_id: str) -> None:
        status, reply = await pool.post(pool.request(report_path, encode(metadata_report(ven_id))))
        if status != 200:
            checks.error(f"register report {ven_id}: HTTP {status}")
            return
        message = decode(reply)
        if not isinstance(message, RegisteredReport):
            checks.error(f"register report {ven_id}: {type(message).__name__}")
            return
        for r in message.report_requests:
            if r.report_specifier.report_specifier_id == "spec-usage":
                requests[ven_id] = r.report_request_id

    await lg.for_each(ids, concurrency, offer, time.perf_counter() + 600.0)
    if checks.errors or len(requests) < len(ids):
        raise RuntimeError(f"setting up: {checks.errors} errors, {len(requests)} of {len(ids)} "
                           f"VENs got a report request; first: {checks.first_errors}")
    say(f"{len(requests):,} VENs report TELEMETRY_USAGE")
    return requests


async def run(spec: dict[str, Any]) -> None:
    base = spec["base"]
    parts = urlsplit(base)
    pool = lg.HttpPool(parts.hostname or "127.0.0.1", parts.port or 80, spec["connections"],
                       lg.REQUEST_TIMEOUT_S)
    ids = lg.ven_ids(spec["prefix"], spec["vens"])
    pid = spec["server_pid"]
    try:
        requests = await set_up(pool, base, ids, 64)
        path = parts.path.rstrip("/")
        polls = [pool.request(f"{path}/OadrPoll", b) for b in lg.poll_bodies(ids)]
        report_path = f"{path}/EiReport"
        poll_s, report_s = spec["poll_s"], spec["report_s"]
        n = len(ids)
        minute = Minute()
        in_flight = 0
        tasks: set[asyncio.Task[None]] = set()

        async def one(i: int, kind: str, due: float) -> None:
            nonlocal in_flight
            m = minute
            sent = time.perf_counter()
            m.lag = max(m.lag, sent - due)
            try:
                if kind == "poll":
                    status, reply = await pool.post(polls[i])
                    m.polls += 1
                else:
                    body = update_body(ids[i], requests[ids[i]], datetime.now(UTC),
                                       float(i % 50))
                    status, reply = await pool.post(pool.request(report_path, body))
                    m.reports += 1
                if status != 200 or not _OK.search(reply):
                    m.error(f"{kind} {ids[i]}: HTTP {status}: {reply[:150]!r}")
                else:
                    m.latencies.append(time.perf_counter() - sent)
            finally:
                in_flight -= 1

        started = time.perf_counter()
        end = started + spec["minutes"] * 60.0
        next_poll = [started + poll_s * i / n for i in range(n)]
        next_report = [started + report_s * i / n for i in range(n)]
        sample_at = started + spec["sample_s"]
        number = 0
        skipped = 0
        last_sample = started
        say(f"soaking for {spec['minutes']:.1f} min: {n / poll_s:.0f} polls/s, "
            f"{n / report_s:.1f} reports/s")
        while True:
            now = time.perf_counter()
            for schedule, kind, period in ((next_poll, "poll", poll_s),
                                           (next_report, "report", report_s)):
                for i in range(n):
                    if schedule[i] <= now and now < end:
                        due = schedule[i]
                        schedule[i] += period
                        if in_flight >= MAX_IN_FLIGHT:  # the VTN fell behind
                            skipped += 1
                            minute.unsent += 1
                            continue
                        in_flight += 1
                        task = asyncio.create_task(one(i, kind, due))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
            if now >= sample_at or (now >= end and last_sample < end):  # the last: at the end
                last_sample = now
                number += 1
                done, minute = minute, Minute()
                ordered = sorted(done.latencies)
                sample: dict[str, Any] = {
                    "minute": number, "t": now - started, "rss_kib": rss_kib(pid),
                    "fds": open_fds(pid), "polls": done.polls, "reports": done.reports,
                    "errors": done.errors, "first_errors": done.first_errors,
                    "unsent": done.unsent,
                    "p50_ms": ordered[len(ordered) // 2] * 1000 if ordered else None,
                    "p99_ms": (ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
                               if ordered else None),
                    "in_flight": in_flight, "lag_ms": done.lag * 1000,
                }
                print(json.dumps(sample), flush=True)
                say(f"minute {number}: RSS {sample['rss_kib'] / 1024:.1f} MiB, "
                    f"{sample['fds']} fds, {done.polls} polls, {done.reports} reports, "
                    f"{done.errors} errors, {done.unsent} not sent, "
                    f"p99 {sample['p99_ms'] or float('nan'):.1f} ms")
                sample_at += spec["sample_s"]
            if now >= end and last_sample >= end:
                break
            await asyncio.sleep(0.05)
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        print(json.dumps({"done": True, "skipped": skipped}), flush=True)
    finally:
        await pool.close()


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    if not spec["base"].startswith("http://127.0.0.1:"):
        raise SystemExit(f"refusing to load anything but 127.0.0.1: {spec['base']}")
    asyncio.run(run(spec))


if __name__ == "__main__":
    main()
