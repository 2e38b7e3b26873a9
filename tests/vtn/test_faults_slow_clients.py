"""Fault: clients that stall (slowloris: nothing sent, a request head never finished, or trickled;
a body never finished) or send garbage, against ``oadr-vtn serve`` with short ``[limits]``: a
well-behaved VEN keeps polling without a single failure, stalled connections are closed after
the timeouts (HTTP 408 for a stalled body), a client address over its connection limit is
closed at once, garbage gets 4xx, and an idle kept-alive connection is not cut by the header
timeout."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from common.messages.poll import Poll
from common.xml import encode
from tests.support.faults import Ledger, register, send, served_vtn
from tests.support.waiting import until

HEADER_TIMEOUT_S = 2
BODY_TIMEOUT_S = 2
PER_CLIENT = 40
STALLED = 50
"""Connections that send half a request head and stall, from one address (127.0.0.2): 40 are
admitted (and closed after the header timeout), 10 are closed at once."""
TRICKLING = 5
"""Connections that send a header line every 0.2 s and never finish the head (127.0.0.3)."""
BODY_STALLED = 5
"""Connections that send a complete head and half the body (127.0.0.3)."""
WAIT_S = 30.0
GOOD_POLLS = 50
"""Polls the well-behaved VEN must have answered after every stalled connection is closed."""
SILENT = 5
"""Connections that send nothing at all (127.0.0.3)."""
SETTINGS = (f"[limits]\nheader_timeout = {HEADER_TIMEOUT_S}\nbody_timeout = {BODY_TIMEOUT_S}\n"
            f"idle_timeout = 600\nmax_connections_per_client = {PER_CLIENT}\n")


async def _open(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def _closed(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed the connection (returns once it is closed)."""
    try:
        return await reader.read()
    except ConnectionError:
        return b""


async def _stall(port: int, source: str, head: bytes) -> bytes:
    reader, writer = await _open(port, source)
    writer.write(head)
    try:
        return await _closed(reader)
    finally:
        writer.close()


async def _trickle(port: int, source: str) -> bytes:
    reader, writer = await _open(port, source)
    closed = asyncio.create_task(_closed(reader))
    try:
        writer.write(b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\n")
        for n in range(10_000):  # bounded; the server closes it long before
            if closed.done():
                break
            with contextlib.suppress(ConnectionError):
                writer.write(f"X-Slow-{n}: still here\r\n".encode())
                await writer.drain()
            await asyncio.sleep(0.2)  # the trickle: one header line at a time
        return await closed
    finally:
        writer.close()


async def _poll_on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """One oadrPoll on a kept-alive connection; the reply's status line."""
    body = encode(Poll(ven_id="good-ven"))
    writer.write(b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\n"
                 b"Content-Type: application/xml\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0]


GARBAGE = (
    b"\x00\x01\x02 not HTTP at all\r\n\r\n",
    b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\nContent-Type: application/xml"
    b"\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot XML!!",
    b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\nContent-Type: application/xml"
    b"\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n<x/>",
    b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: vtn\r\n\r\n",
    b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\nX-Big: " + b"b" * 20_000
    + b"\r\n\r\n",
)


async def _garbage(port: int, answers: list[bytes], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for garbage in GARBAGE:
            reader, writer = await _open(port, "127.0.0.4")
            with contextlib.suppress(ConnectionError):
                writer.write(garbage)
                await writer.drain()
            answers.append((await _closed(reader))[:12])
            writer.close()


async def test_stalling_and_garbage_clients_do_not_hurt_a_polling_ven(tmp_path: Path) -> None:
    async with (served_vtn(tmp_path, SETTINGS) as served,
                aiohttp.ClientSession() as session):
        port = urlsplit(served.base).port
        assert port is not None
        await register(session, served.base, "good-ven")
        good, stop = Ledger(), asyncio.Event()

        async def poll() -> None:
            while not stop.is_set():
                await send(session, served.base, "OadrPoll", Poll(ven_id="good-ven"), good)

        polling = asyncio.create_task(poll())
        answers: list[bytes] = []
        garbage = asyncio.create_task(_garbage(port, answers, stop))
        half_head = b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\nContent-"
        body = encode(Poll(ven_id="good-ven"))
        half_body = (b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nHost: vtn\r\n"
                     b"Content-Type: application/xml\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
        kept_reader, kept_writer = await _open(port, "127.0.0.5")
        try:
            assert await _poll_on(kept_reader, kept_writer) == b"HTTP/1.1 200 OK"
            stalled = [asyncio.create_task(_stall(port, "127.0.0.2", half_head))
                       for _ in range(STALLED)]
            silent = [asyncio.create_task(_stall(port, "127.0.0.3", b"")) for _ in range(SILENT)]
            trickling = [asyncio.create_task(_trickle(port, "127.0.0.3"))
                         for _ in range(TRICKLING)]
            body_stalled = [asyncio.create_task(_stall(port, "127.0.0.3", half_body))
                            for _ in range(BODY_STALLED)]
            async with asyncio.timeout(WAIT_S):  # every stalled connection is closed
                stalled_seen = await asyncio.gather(*stalled, *silent)
                trickled_seen = await asyncio.gather(*trickling)
                body_seen = await asyncio.gather(*body_stalled)
            served_before = good.answers["200"]
            assert await until(lambda: good.answers["200"] >= served_before + GOOD_POLLS,
                               WAIT_S), good.answers
            # idle far longer than the header timeout, and still served
            assert await _poll_on(kept_reader, kept_writer) == b"HTTP/1.1 200 OK"
        finally:
            kept_writer.close()
            stop.set()
            await asyncio.gather(polling, garbage)
        assert served.process.returncode is None
    log = served.log_text()
    # the well-behaved VEN was never refused, never timed out
    assert set(good.answers) == {"200"}, good.answers
    # a stalled head gets nothing but the close
    assert all(seen == b"" for seen in stalled_seen + trickled_seen), stalled_seen
    assert f"Closed a connection from 127.0.0.2: it holds {PER_CLIENT} open already" in log
    assert f"no complete request head within {HEADER_TIMEOUT_S} s (limits.header_timeout" in log
    # a stalled body gets 408
    assert all(seen.startswith(b"HTTP/1.1 408") for seen in body_seen), body_seen
    assert "(limits.body_timeout)" in log
    # garbage gets 4xx (or just the close), never 5xx
    assert answers and all(a == b"" or a[9:10] == b"4" for a in answers), set(answers)
    assert any(a[9:10] == b"4" for a in answers)
    assert "not valid HTTP" in log and "Traceback" not in log  # one line each, the peer's fault
