"""The VTN benchmark's load generator: one asyncio aiohttp client, in its own process.

Run by ``bench_vtn`` as ``python -m tests.benchmarks._loadgen SPEC.json``; prints one JSON
object (the results) on its last stdout line. Every request goes to 127.0.0.1; every loop is
bounded in count and time. All request bodies are encoded before any timing starts (encoding
is not what is measured); replies are checked with a byte search (HTTP 200, an oadrResponse
with responseCode 200), and a sample of them is fully decoded with ``common.xml.decode``.

Phases (each optional, in this order): ``register`` (oadrCreatePartyRegistration per VEN),
``drain`` (poll every VEN until it gets an oadrResponse, so nothing is pending), ``closed``
(closed loop at maximum throughput), ``open`` (fixed rate), ``fanout`` (create one event for
all VENs, then poll all VENs in rounds until each has received oadrDistributeEvent).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from common.messages.enums import ProfileName, TransportName
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.xml import decode, encode

XML = {"Content-Type": "application/xml"}
_EMPTY_REPLY = re.compile(rb"oadrResponse[\s>]")
_OK_CODE = re.compile(rb"responseCode>200<")
SAMPLE_EVERY = 500
"""Every this many replies, one is decoded fully (XSD validation + typing) as a check."""
TICKS = os.sysconf("SC_CLK_TCK")


def ven_ids(prefix: str, count: int) -> list[str]:
    """The benchmark's VEN ids (the same in the generator, the seeders and the report)."""
    return [f"{prefix}{i:05d}" for i in range(count)]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by process `pid` (Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def quantile(values: array, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Checks:
    """Counts errors and decodes a sample of replies."""

    def __init__(self) -> None:
        self.errors = 0
        self.first_errors: list[str] = []
        self.samples = 0
        self._seen = 0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(what[:300])

    def sample_due(self) -> bool:
        self._seen += 1
        return self._seen % SAMPLE_EVERY == 1

    def decoded(self, body: bytes, kind: type) -> Any:
        """`body` decoded; counts an error (and returns None) if it is not a `kind`."""
        self.samples += 1
        try:
            message = decode(body)
        except Exception as exc:  # a reply our codec refuses is an error of the run
            self.error(f"sample did not decode: {exc}")
            return None
        if not isinstance(message, kind):
            self.error(f"sample is {type(message).__name__}, expected {kind.__name__}")
            return None
        return message


class Client:
    """Posts pre-encoded bodies to one VTN and classifies the replies."""

    def __init__(self, session: aiohttp.ClientSession, base: str, checks: Checks) -> None:
        self.session = session
        self.poll_url = f"{base}/OadrPoll"
        self.register_url = f"{base}/EiRegisterParty"
        self.checks = checks

    async def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        try:
            async with self.session.post(url, data=body, headers=XML) as reply:
                return reply.status, await reply.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return -1, repr(exc).encode()

    async def empty_poll(self, body: bytes) -> bool:
        """Poll; True if the reply is an oadrResponse 200 (anything else counts as an error)."""
        status, reply = await self.post(self.poll_url, body)
        if status != 200 or not _EMPTY_REPLY.search(reply) or not _OK_CODE.search(reply):
            self.checks.error(f"poll: HTTP {status}: {reply[:200]!r}")
            return False
        if self.checks.sample_due():
            message = self.checks.decoded(reply, Response)
            if message is not None and int(message.response.response_code) != 200:
                self.checks.error(f"poll: responseCode {message.response.response_code}")
        return True


def poll_bodies(ids: list[str]) -> list[bytes]:
    return [encode(Poll(ven_id=v)) for v in ids]


def registration_body(ven_id: str, index: int) -> bytes:
    return encode(
        CreatePartyRegistration(
            request_id=f"reg-{index}",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=False,
            ven_id=ven_id,
            ven_name=ven_id,
            http_pull_model=True,
        )
    )


async def for_each(items: list[Any], concurrency: int, work: Callable[[Any], Awaitable[None]],
                   deadline: float) -> int:
    """Run `work` on each item with `concurrency` workers, until done or `deadline`; returns
    how many items were handled (the first ones)."""
    index = 0

    async def worker() -> None:
        nonlocal index
        while index < len(items) and time.perf_counter() < deadline:
            item = items[index]
            index += 1
            await work(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return index


# ---- phases -----------------------------------------------------------------------------------


async def register(client: Client, ids: list[str], concurrency: int, limit_s: float) -> dict:
    bodies = [(v, registration_body(v, i)) for i, v in enumerate(ids)]
    checks = client.checks
    ok = 0

    async def one(item: tuple[str, bytes]) -> None:
        nonlocal ok
        ven_id, body = item
        status, reply = await client.post(client.register_url, body)
        if status != 200 or not _OK_CODE.search(reply) or ven_id.encode() not in reply:
            checks.error(f"register {ven_id}: HTTP {status}: {reply[:200]!r}")
            return
        if checks.sample_due():
            message = checks.decoded(reply, CreatedPartyRegistration)
            if message is not None and message.ven_id != ven_id:
                checks.error(f"register {ven_id}: got venID {message.ven_id}")
        ok += 1

    started = time.perf_counter()
    await for_each(bodies, concurrency, one, started + limit_s)
    seconds = time.perf_counter() - started
    return {"registered": ok, "seconds": seconds, "per_second": ok / seconds}


async def drain(client: Client, bodies: list[bytes], concurrency: int, limit_s: float) -> dict:
    """Poll each VEN until it gets an oadrResponse (its queued oadrRegisterReport first)."""
    started = time.perf_counter()
    pending = list(range(len(bodies)))
    polls = 0
    for _ in range(5):
        left: list[int] = []

        async def one(i: int, left: list[int] = left) -> None:
            nonlocal polls
            polls += 1
            status, reply = await client.post(client.poll_url, bodies[i])
            if status != 200 or not _EMPTY_REPLY.search(reply):
                left.append(i)

        handled = await for_each(pending, concurrency, one, started + limit_s)
        pending = left + pending[handled:]
        if not pending or time.perf_counter() > started + limit_s:
            break
    if pending:
        client.checks.error(f"drain: {len(pending)} VENs still had messages pending")
    return {"seconds": time.perf_counter() - started, "polls": polls, "not_drained": len(pending)}


async def closed_loop(client: Client, bodies: list[bytes], concurrency: int, seconds: float,
                      warmup: float, server_pid: int) -> dict:
    latencies = array("d")
    errors_before = client.checks.errors
    counter = 0
    started = time.perf_counter()
    measure_from = started + warmup
    end = measure_from + seconds
    marks: dict[str, float] = {}

    async def worker() -> None:
        nonlocal counter
        n = len(bodies)
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            if now >= measure_from and not marks:
                marks.update(server=process_cpu(server_pid), own=own_cpu(), t=now)
            body = bodies[counter % n]
            counter += 1
            t0 = time.perf_counter()
            ok = await client.empty_poll(body)
            t1 = time.perf_counter()
            if t0 >= measure_from and ok:  # errors are counted, not timed
                latencies.append(t1 - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - marks.get("t", measure_from)
    return {
        "polls": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": quantile(latencies, 0.50) * 1000,
        "p99_ms": quantile(latencies, 0.99) * 1000,
        "errors": client.checks.errors - errors_before,
        "server_cpu": (process_cpu(server_pid) - marks.get("server", 0)) / elapsed,
        "generator_cpu": (own_cpu() - marks.get("own", 0)) / elapsed,
        "concurrency": concurrency,
        "seconds": elapsed,
    }


async def open_loop(client: Client, bodies: list[bytes], rate: float, seconds: float,
                    max_in_flight: int, server_pid: int) -> dict:
    """Send at `rate` per second on a fixed schedule; latency counts from the scheduled time
    (so a server that falls behind is charged for the wait: no coordinated omission)."""
    latencies = array("d")
    errors_before = client.checks.errors
    total = int(rate * seconds)
    in_flight = 0
    skipped = 0
    tasks: set[asyncio.Task] = set()
    cpu0, own0 = process_cpu(server_pid), own_cpu()

    async def one(body: bytes, due: float) -> None:
        nonlocal in_flight
        try:
            if await client.empty_poll(body):  # errors are counted, not timed
                latencies.append(time.perf_counter() - due)
        finally:
            in_flight -= 1

    started = time.perf_counter()
    k = 0
    while k < total:
        now = time.perf_counter()
        while k < total and started + k / rate <= now:
            if in_flight >= max_in_flight:
                skipped += 1
            else:
                in_flight += 1
                task = asyncio.create_task(one(bodies[k % len(bodies)], started + k / rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            k += 1
        if k < total:
            await asyncio.sleep(max(0.0, started + k / rate - time.perf_counter()))
    sent_for = time.perf_counter() - started
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    elapsed = time.perf_counter() - started
    return {
        "rate": rate,
        "sent": total - skipped,
        "skipped": skipped,
        "completed": len(latencies),
        "achieved_per_second": len(latencies) / elapsed,
        "send_seconds": sent_for,
        "p50_ms": quantile(latencies, 0.50) * 1000,
        "p99_ms": quantile(latencies, 0.99) * 1000,
        "errors": client.checks.errors - errors_before,
        "server_cpu": (process_cpu(server_pid) - cpu0) / elapsed,
        "generator_cpu": (own_cpu() - own0) / elapsed,
    }


async def fanout(client: Client, bodies: list[bytes], spec: dict) -> dict:
    """Create one event for every VEN, then poll until every VEN has had oadrDistributeEvent."""
    checks = client.checks
    errors_before = checks.errors
    started = time.perf_counter()
    async with client.session.post(spec["url"], json=spec.get("json"),
                                   headers=spec.get("headers")) as reply:
        created = await reply.read()
        if reply.status not in (200, 201):
            checks.error(f"fanout: creating the event: HTTP {reply.status}: {created[:300]!r}")
            return {"error": f"HTTP {reply.status}", "errors": checks.errors - errors_before}
    created_s = time.perf_counter() - started
    deadline = started + spec["limit_s"]
    pending = list(range(len(bodies)))
    polls = 0
    rounds = 0
    sampled = False
    while pending and time.perf_counter() < deadline and rounds < spec.get("max_rounds", 10):
        rounds += 1
        left: list[int] = []

        async def one(i: int, left: list[int] = left) -> None:
            nonlocal polls, sampled
            polls += 1
            status, reply = await client.post(client.poll_url, bodies[i])
            if status == 200 and b"oadrDistributeEvent" in reply:
                if not sampled or checks.sample_due():
                    sampled = True
                    message = checks.decoded(reply, DistributeEvent)
                    if message is not None and len(message.events) != 1:
                        checks.error(f"fanout: {len(message.events)} events, expected 1")
                return
            if status != 200 or not _EMPTY_REPLY.search(reply):
                checks.error(f"fanout poll: HTTP {status}: {reply[:200]!r}")
            left.append(i)

        handled = await for_each(pending, spec["concurrency"], one, deadline)
        pending = left + pending[handled:]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds if not pending else float("nan"),
        "elapsed": seconds,
        "delivered": len(bodies) - len(pending),
        "create_seconds": created_s,
        "rounds": rounds,
        "polls": polls,
        "missing": len(pending),
        "errors": checks.errors - errors_before,
    }


async def run(spec: dict) -> dict:
    ids = ven_ids(spec["prefix"], spec["vens"])
    checks = Checks()
    results: dict[str, Any] = {}
    encode_started = time.perf_counter()
    bodies = poll_bodies(ids)
    results["encode_seconds"] = time.perf_counter() - encode_started
    concurrency = spec.get("concurrency", 64)
    limit = max(concurrency, spec.get("open", {}).get("max_in_flight", 0))
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit)
    timeout = aiohttp.ClientTimeout(total=spec.get("request_timeout_s", 60))
    pid = spec["server_pid"]
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = Client(session, spec["base"], checks)
        if spec.get("register"):
            results["register"] = await register(client, ids, concurrency, spec["register_limit_s"])
        if spec.get("drain"):
            results["drain"] = await drain(client, bodies, concurrency, spec["register_limit_s"])
        if "closed" in spec:
            c = spec["closed"]
            results["closed"] = await closed_loop(
                client, bodies, c.get("concurrency", concurrency), c["seconds"], c["warmup"], pid
            )
        if "open" in spec:
            o = spec["open"]
            results["open"] = await open_loop(
                client, bodies, o["rate"], o["seconds"], o["max_in_flight"], pid
            )
        if "fanout" in spec:
            results["fanout"] = await fanout(client, bodies, {"concurrency": concurrency,
                                                              **spec["fanout"]})
    results["errors"] = checks.errors
    results["first_errors"] = checks.first_errors
    results["samples_decoded"] = checks.samples
    return results


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    for url in (spec["base"], spec.get("fanout", {}).get("url", spec["base"])):
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"refusing to load anything but 127.0.0.1: {url}")
    results = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
