"""The VTN benchmark's load generator: a minimal keep-alive HTTP/1.1 client, in its own process.

Run by ``bench_vtn`` as ``python -m tests.benchmarks._loadgen SPEC.json``; prints one JSON
object (the results) on its last stdout line. Every request goes to 127.0.0.1; every loop is
bounded in count and time. All requests (head and body bytes) are built before any timing
starts (encoding is not what is measured); replies are checked with a byte search (HTTP 200,
an oadrResponse with responseCode 200), and a sample of them is fully decoded with
``common.xml.decode``.

The OadrPoll and EiRegisterParty POSTs go through ``HttpPool``, a minimal keep-alive HTTP/1.1
client over asyncio streams (write the request; read the head up to the blank line; read the
body by Content-Length, or chunk by chunk), not aiohttp's client, which costs several times
more CPU per request: on a 2-core machine the generator competes with the server for the CPUs,
so its own CPU per request must stay far below the servers'. Only the fan-out's one
event-creation request (JSON to an admin URL) goes through aiohttp.

Phases (each optional, in this order): ``register`` (oadrCreatePartyRegistration per VEN),
``drain`` (poll every VEN until it gets an oadrResponse, so nothing is pending), ``closed``
(closed loop at maximum throughput), ``open`` (fixed rate), ``fanout`` (create one event for
all VENs, then poll all VENs in rounds until each has received oadrDistributeEvent).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from array import array
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from common.messages.enums import ProfileName, TransportName
from common.messages.event import DistributeEvent
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.xml import decode, encode

_EMPTY_REPLY = re.compile(rb"oadrResponse[\s>]")
_OK_CODE = re.compile(rb"responseCode>200<")
SAMPLE_EVERY = 500
"""Every this many replies, one is decoded fully (XSD validation + typing) as a check."""
TICKS = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT_S = 60.0
"""Default bound on one request (connecting, sending and every read of the reply)."""


def ven_ids(prefix: str, count: int) -> list[str]:
    """The benchmark's VEN ids (the same in the generator, the seeders and the report)."""
    return [f"{prefix}{i:05d}" for i in range(count)]


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            return file.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by process `pid` and the processes
    it started (a VTN's workers) (Linux)."""
    fields = _stat(pid)
    if fields is None:
        return float("nan")
    total = (int(fields[11]) + int(fields[12])) / TICKS
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (child := _stat(int(entry))) is not None and child[1] == str(pid):
            total += process_cpu(int(entry))
    return total


def own_cpu() -> float:
    """CPU seconds (user + system) used so far by this process."""
    times = os.times()
    return times.user + times.system


def quantile(values: array, q: float) -> float:
    """The `q` quantile of `values` (NaN if empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---- HTTP/1.1 client ----------------------------------------------------------------------------


class ProtocolError(ValueError):
    """A reply that is not well-formed HTTP/1.x."""


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (after the head), up to and including the 0 chunk and its trailers."""
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line[:-2].split(b";", 1)[0], 16)  # ValueError on a malformed size line
        if size == 0:
            break
        if size < 0:
            raise ProtocolError(f"chunk size {size}")
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, if any
        pass
    return b"".join(parts)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep the connection) of the next reply on `reader` (1xx replies skipped)."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"bad status line {lines[0][:100]!r}")
        status = int(code)
        if not 100 <= status < 200 or status == 101:
            break
    keep = version == b"HTTP/1.1"
    length = -1
    chunked = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ProtocolError(f"bad header line {line[:100]!r}")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
            if length < 0:
                raise ProtocolError(f"Content-Length {length}")
        elif name == b"transfer-encoding":
            chunked = value.strip().lower().endswith(b"chunked")
        elif name == b"connection":
            tokens = {t.strip() for t in value.lower().split(b",")}
            if b"close" in tokens:
                keep = False
            elif b"keep-alive" in tokens:
                keep = True
    if status in (101, 204, 304):
        return status, b"", keep and status != 101
    if chunked:  # takes precedence over Content-Length
        return status, await read_chunked(reader), keep
    if length >= 0:
        return status, await reader.readexactly(length), keep
    return status, await reader.read(), False  # delimited by the end of the connection


class Connection:
    """One open connection of an `HttpPool`, with the deadline of the request it carries."""

    __slots__ = ("deadline", "reader", "timed_out", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.deadline = float("inf")
        self.timed_out = False


class HttpPool:
    """Persistent HTTP/1.1 connections to one host:port, at most `size`, opened lazily.

    A request takes a slot from an ``asyncio.LifoQueue`` of `size` slots (an open connection,
    or None: open one), so the most recently used connections are reused first, and puts it
    back after the reply (None if the connection was closed). A reply with ``Connection:
    close``, or a failed request, closes its connection; the next request on that slot opens a
    new one. Each request is bounded by `timeout` seconds: connecting by ``asyncio.timeout``;
    sending and every read of the reply by a watchdog task that aborts the connections whose
    request is overdue (checked every ``min(1, timeout / 4)`` s; a timer per request would
    cost about 5 µs of the generator's CPU per request).
    """

    def __init__(self, host: str, port: int, size: int, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.opened = 0
        self._slots: asyncio.LifoQueue[Connection | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._slots.put_nowait(None)
        self._open: set[Connection] = set()
        self._busy: set[Connection] = set()
        self._watchdog: asyncio.Task[None] | None = None

    def request(self, path: str, body: bytes,
                content_type: str = "application/xml") -> bytes:
        """The bytes of a POST of `body` to `path` (built once, sent as often as needed)."""
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode("ascii") + body

    async def _connect(self) -> Connection:
        """A new connection (bounded by the timeout); starts the watchdog if not running."""
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch())
        async with asyncio.timeout(self.timeout):
            reader, writer = await asyncio.open_connection(self.host, self.port)
        connection = Connection(reader, writer)
        self.opened += 1
        self._open.add(connection)
        return connection

    async def _watch(self) -> None:
        """Abort the connections whose request has run past its deadline, forever."""
        tick = min(1.0, self.timeout / 4)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for connection in [c for c in self._busy if c.deadline <= now]:
                connection.timed_out = True
                connection.writer.transport.abort()  # the pending read or drain fails

    def _close(self, connection: Connection | None) -> None:
        """Close `connection` (if any) and forget it."""
        if connection is not None:
            connection.writer.close()
            self._open.discard(connection)
            self._busy.discard(connection)

    async def post(self, request: bytes) -> tuple[int, bytes]:
        """Send `request`; (HTTP status, body), or (-1, the error) if the request failed."""
        connection = await self._slots.get()
        try:
            if connection is None or connection.reader.at_eof():  # closed while idle: reopen
                self._close(connection)
                connection = None
                connection = await self._connect()
            connection.deadline = time.monotonic() + self.timeout
            self._busy.add(connection)
            connection.writer.write(request)
            await connection.writer.drain()
            status, body, keep = await read_response(connection.reader)
        except (OSError, EOFError, asyncio.LimitOverrunError, ValueError, TimeoutError) as exc:
            self._close(connection)
            self._slots.put_nowait(None)
            if connection is not None and connection.timed_out:
                return -1, f"TimeoutError(no reply within {self.timeout} s)".encode()
            return -1, repr(exc).encode()
        except BaseException:  # cancelled mid-request: the connection's state is unknown
            self._close(connection)
            self._slots.put_nowait(None)
            raise
        self._busy.discard(connection)
        if not keep:
            self._close(connection)
            connection = None
        self._slots.put_nowait(connection)
        return status, body

    async def close(self) -> None:
        """Stop the watchdog; close every connection of this pool that is still open."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        connections, self._open = self._open, set()
        self._busy.clear()
        for connection in connections:
            connection.writer.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()


# ---- OpenADR client -----------------------------------------------------------------------------


class Checks:
    """Counts errors and decodes a sample of replies."""

    def __init__(self) -> None:
        self.errors = 0
        self.first_errors: list[str] = []
        self.samples = 0
        self._seen = 0

    def error(self, what: str) -> None:
        """Count an error; the first few are kept for the report."""
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(what[:300])

    def sample_due(self) -> bool:
        """True once every `SAMPLE_EVERY` calls (the first call included)."""
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
    """Posts pre-built requests to one VTN's OpenADR endpoints and classifies the replies."""

    def __init__(self, pool: HttpPool, base: str, checks: Checks) -> None:
        self.pool = pool
        path = urlsplit(base).path.rstrip("/")
        self.poll_path = f"{path}/OadrPoll"
        self.register_path = f"{path}/EiRegisterParty"
        self.checks = checks

    def poll_request(self, body: bytes) -> bytes:
        """The bytes of an OadrPoll POST of `body`."""
        return self.pool.request(self.poll_path, body)

    def register_request(self, body: bytes) -> bytes:
        """The bytes of an EiRegisterParty POST of `body`."""
        return self.pool.request(self.register_path, body)

    async def post(self, request: bytes) -> tuple[int, bytes]:
        """Send a pre-built request; (HTTP status, body), status -1 if it failed."""
        return await self.pool.post(request)

    async def empty_poll(self, request: bytes) -> bool:
        """Poll; True if the reply is an oadrResponse 200 (anything else counts as an error)."""
        status, reply = await self.pool.post(request)
        if status != 200 or not _EMPTY_REPLY.search(reply) or not _OK_CODE.search(reply):
            self.checks.error(f"poll: HTTP {status}: {reply[:200]!r}")
            return False
        if self.checks.sample_due():
            message = self.checks.decoded(reply, Response)
            if message is not None and int(message.response.response_code) != 200:
                self.checks.error(f"poll: responseCode {message.response.response_code}")
        return True


def poll_bodies(ids: list[str]) -> list[bytes]:
    """oadrPoll bodies, one per VEN id."""
    return [encode(Poll(ven_id=v)) for v in ids]


def registration_body(ven_id: str, index: int) -> bytes:
    """An oadrCreatePartyRegistration body for `ven_id`."""
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


async def register(client: Client, ids: list[str], concurrency: int, limit_s: float,
                   server_pid: int | None = None) -> dict:
    """Register every VEN over HTTP (oadrCreatePartyRegistration), `concurrency` at a time;
    the rate, and the server's CPU (all its processes) per registration [s] if `server_pid`."""
    requests = [(v, client.register_request(registration_body(v, i))) for i, v in enumerate(ids)]
    checks = client.checks
    ok = 0

    async def one(item: tuple[str, bytes]) -> None:
        nonlocal ok
        ven_id, request = item
        status, reply = await client.post(request)
        if status != 200 or not _OK_CODE.search(reply) or ven_id.encode() not in reply:
            checks.error(f"register {ven_id}: HTTP {status}: {reply[:200]!r}")
            return
        if checks.sample_due():
            message = checks.decoded(reply, CreatedPartyRegistration)
            if message is not None and message.ven_id != ven_id:
                checks.error(f"register {ven_id}: got venID {message.ven_id}")
        ok += 1

    cpu = process_cpu(server_pid) if server_pid is not None else float("nan")
    started = time.perf_counter()
    await for_each(requests, concurrency, one, started + limit_s)
    seconds = time.perf_counter() - started
    if server_pid is not None:
        cpu = process_cpu(server_pid) - cpu
    return {"registered": ok, "seconds": seconds, "per_second": ok / seconds,
            "server_cpu_per_registration": cpu / ok if ok else float("nan")}


async def drain(client: Client, polls: list[bytes], concurrency: int, limit_s: float) -> dict:
    """Poll each VEN until it gets an oadrResponse (its queued oadrRegisterReport first)."""
    started = time.perf_counter()
    pending = list(range(len(polls)))
    sent = 0
    for _ in range(5):
        left: list[int] = []

        async def one(i: int, left: list[int] = left) -> None:
            nonlocal sent
            sent += 1
            status, reply = await client.post(polls[i])
            if status != 200 or not _EMPTY_REPLY.search(reply):
                left.append(i)

        handled = await for_each(pending, concurrency, one, started + limit_s)
        pending = left + pending[handled:]
        if not pending or time.perf_counter() > started + limit_s:
            break
    if pending:
        client.checks.error(f"drain: {len(pending)} VENs still had messages pending")
    return {"seconds": time.perf_counter() - started, "polls": sent, "not_drained": len(pending)}


async def closed_loop(client: Client, polls: list[bytes], concurrency: int, seconds: float,
                      warmup: float, server_pid: int) -> dict:
    """`concurrency` workers poll back to back for `warmup` + `seconds`; the last part counts."""
    latencies = array("d")
    errors_before = client.checks.errors
    counter = 0
    started = time.perf_counter()
    measure_from = started + warmup
    end = measure_from + seconds
    marks: dict[str, float] = {}

    async def worker() -> None:
        nonlocal counter
        n = len(polls)
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            if now >= measure_from and not marks:
                marks.update(server=process_cpu(server_pid), own=own_cpu(), t=now)
            request = polls[counter % n]
            counter += 1
            t0 = time.perf_counter()
            ok = await client.empty_poll(request)
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


async def open_loop(client: Client, polls: list[bytes], rate: float, seconds: float,
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

    async def one(request: bytes, due: float) -> None:
        nonlocal in_flight
        try:
            if await client.empty_poll(request):  # errors are counted, not timed
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
                task = asyncio.create_task(one(polls[k % len(polls)], started + k / rate))
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


async def fanout(client: Client, polls: list[bytes], spec: dict) -> dict:
    """Create one event for every VEN, then poll until every VEN has had oadrDistributeEvent."""
    checks = client.checks
    errors_before = checks.errors
    timeout = aiohttp.ClientTimeout(total=client.pool.timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        async with session.post(spec["url"], json=spec.get("json"),
                                headers=spec.get("headers")) as reply:
            created = await reply.read()
            created_s = time.perf_counter() - started
            if reply.status not in (200, 201):
                checks.error(f"fanout: creating the event: HTTP {reply.status}: {created[:300]!r}")
                return {"error": f"HTTP {reply.status}", "errors": checks.errors - errors_before}
    deadline = started + spec["limit_s"]
    pending = list(range(len(polls)))
    sent = 0
    rounds = 0
    sampled = False
    while pending and time.perf_counter() < deadline and rounds < spec.get("max_rounds", 10):
        rounds += 1
        left: list[int] = []

        async def one(i: int, left: list[int] = left) -> None:
            nonlocal sent, sampled
            sent += 1
            status, reply = await client.post(polls[i])
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
        "delivered": len(polls) - len(pending),
        "create_seconds": created_s,
        "rounds": rounds,
        "polls": sent,
        "missing": len(pending),
        "errors": checks.errors - errors_before,
    }


async def together(spec: dict, phase: str) -> float:
    """Start `phase` at the same moment as other generators: write ``ready_file.PHASE``, wait
    for ``go_file.PHASE`` (the bench writes the wall-clock start time there once every
    generator is ready), sleep until then; how late this generator was [s]."""
    Path(f"{spec['ready_file']}.{phase}").write_text("ready", encoding="utf-8")
    go = Path(f"{spec['go_file']}.{phase}")
    while not go.exists() or not go.read_text(encoding="utf-8").strip():
        await asyncio.sleep(0.05)
    delay = float(go.read_text(encoding="utf-8")) - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    return max(0.0, -delay)


async def run(spec: dict) -> dict:
    """Run the phases named in `spec` against one server; the results, JSON-ready."""
    ids = ven_ids(spec["prefix"], spec["vens"])
    checks = Checks()
    results: dict[str, Any] = {}
    concurrency = spec.get("concurrency", 64)
    size = max(concurrency, spec.get("open", {}).get("max_in_flight", 0))
    base = urlsplit(spec["base"])
    pool = HttpPool(base.hostname or "127.0.0.1", base.port or 80, size,
                    spec.get("request_timeout_s", REQUEST_TIMEOUT_S))
    client = Client(pool, spec["base"], checks)
    encode_started = time.perf_counter()
    polls = [client.poll_request(body) for body in poll_bodies(ids)]
    results["encode_seconds"] = time.perf_counter() - encode_started
    pid = spec["server_pid"]
    try:
        if "register" in spec.get("together", {}).get("phases", ()):
            results["late_s"] = await together(spec["together"], "register")
        if spec.get("register"):
            results["register"] = await register(client, ids, concurrency, spec["register_limit_s"],
                                                 pid)
        if "reregister" in spec.get("together", {}).get("phases", ()):
            results["late_s"] = max(results.get("late_s", 0.0),
                                    await together(spec["together"], "reregister"))
        if spec.get("reregister"):  # the same VENs again (unchanged: a fleet restarting)
            results["reregister"] = await register(client, ids, concurrency,
                                                   spec["register_limit_s"], pid)
        if spec.get("drain"):
            results["drain"] = await drain(client, polls, concurrency, spec["register_limit_s"])
        if "closed" in spec:
            c = spec["closed"]
            if "closed" in spec.get("together", {}).get("phases", ()):
                results["late_s"] = await together(spec["together"], "closed")
            results["closed"] = await closed_loop(
                client, polls, c.get("concurrency", concurrency), c["seconds"], c["warmup"], pid
            )
        if "open" in spec:
            o = spec["open"]
            results["open"] = await open_loop(
                client, polls, o["rate"], o["seconds"], o["max_in_flight"], pid
            )
        if "fanout" in spec:
            results["fanout"] = await fanout(client, polls, {"concurrency": concurrency,
                                                             **spec["fanout"]})
    finally:
        await pool.close()
    results["errors"] = checks.errors
    results["first_errors"] = checks.first_errors
    results["samples_decoded"] = checks.samples
    return results


def main() -> None:
    """Read the spec named on the command line, run it, print the results as JSON."""
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    for url in (spec["base"], spec.get("fanout", {}).get("url", spec["base"])):
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"refusing to load anything but 127.0.0.1: {url}")
    results = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
