"""The VTN benchmark's HTTP/1.1 client (``tests.benchmarks._loadgen.HttpPool``) against tiny
in-process servers: Content-Length, chunked, ``Connection: close``, refused, no reply."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer as HttpServer

from tests.benchmarks._loadgen import HttpPool

PEERS = web.AppKey("peers", list[int])
"""The client port of each request a handler saw (one port per connection)."""
BODY = b"<oadrPayload>" + b"x" * 3000 + b"</oadrPayload>"


async def plain(request: web.Request) -> web.Response:
    """Echo the request body with Content-Length, noting the client's port."""
    request.app[PEERS].append(request.transport.get_extra_info("peername")[1])
    return web.Response(body=await request.read(), status=200, content_type="application/xml")


async def chunked(request: web.Request) -> web.StreamResponse:
    """Echo the request body in three chunks (Transfer-Encoding: chunked)."""
    request.app[PEERS].append(request.transport.get_extra_info("peername")[1])
    body = await request.read()
    reply = web.StreamResponse(status=202)
    reply.enable_chunked_encoding()
    await reply.prepare(request)
    for part in (body[:10], body[10:2000], body[2000:]):
        await reply.write(part)
    await reply.write_eof()
    return reply


async def closing(request: web.Request) -> web.Response:
    """Echo the request body with ``Connection: close``."""
    request.app[PEERS].append(request.transport.get_extra_info("peername")[1])
    reply = web.Response(body=await request.read(), status=201)
    reply.force_close()
    return reply


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    """An aiohttp server on a free port of 127.0.0.1 with the three handlers above."""
    app = web.Application()
    app[PEERS] = []
    app.router.add_post("/plain", plain)
    app.router.add_post("/chunked", chunked)
    app.router.add_post("/close", closing)
    test_server = HttpServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def test_content_length_reply_reuses_the_connection(server: HttpServer) -> None:
    pool = HttpPool("127.0.0.1", server.port, 1, 5.0)
    request = pool.request("/plain", BODY)
    try:
        for _ in range(3):
            assert await pool.post(request) == (200, BODY)
    finally:
        await pool.close()
    assert pool.opened == 1
    assert len(set(server.app[PEERS])) == 1


async def test_chunked_reply(server: HttpServer) -> None:
    pool = HttpPool("127.0.0.1", server.port, 1, 5.0)
    try:
        for body in (BODY, b"", b"short"):
            assert await pool.post(pool.request("/chunked", body)) == (202, body)
    finally:
        await pool.close()
    assert pool.opened == 1  # the 0 chunk ended each reply; the connection stayed usable


async def test_connection_close_reply_reconnects(server: HttpServer) -> None:
    pool = HttpPool("127.0.0.1", server.port, 1, 5.0)
    request = pool.request("/close", BODY)
    try:
        for _ in range(3):
            assert await pool.post(request) == (201, BODY)
    finally:
        await pool.close()
    assert pool.opened == 3
    assert len(set(server.app[PEERS])) == 3


async def test_concurrent_requests_share_the_pool(server: HttpServer) -> None:
    pool = HttpPool("127.0.0.1", server.port, 4, 5.0)
    requests = [pool.request("/plain", b"%d" % i) for i in range(40)]
    try:
        replies = await asyncio.gather(*(pool.post(r) for r in requests))
    finally:
        await pool.close()
    assert replies == [(200, b"%d" % i) for i in range(40)]
    assert pool.opened <= 4


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connection_is_status_minus_one() -> None:
    pool = HttpPool("127.0.0.1", _unused_port(), 1, 5.0)
    status, error = await pool.post(pool.request("/x", BODY))
    assert status == -1
    assert b"Connect" in error or b"refused" in error.lower()
    status, _ = await pool.post(pool.request("/x", BODY))  # the slot was given back
    assert status == -1


async def test_no_reply_times_out_and_the_connection_is_replaced() -> None:
    connections: list[asyncio.StreamWriter] = []
    answer = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        if len(connections) == 1:
            await answer.wait()  # the first connection never gets a reply
            return
        await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    pool = HttpPool("127.0.0.1", port, 1, 0.2)
    try:
        status, error = await pool.post(pool.request("/x", b"hi"))
        assert status == -1
        assert error.startswith(b"TimeoutError")
        assert await pool.post(pool.request("/x", b"hi")) == (200, b"ok")
        assert pool.opened == 2
    finally:
        answer.set()
        await pool.close()
        for writer in connections:
            writer.close()
        listener.close()
        await listener.wait_closed()
