"""The VEN's HTTP transport caps the VTN's answer: a huge body is a TransportError, not a hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from common.xml import DEFAULT_LIMITS
from ven.client import HttpTransport, TransportError

SMALL_ANSWER = b"<ok/>"
STREAM_CHUNK = b"x" * (64 * 1024)
STREAM_LIMIT = 256 * 1024 * 1024
"""[bytes] The endless answer stops here, so that a broken cap cannot eat the test machine."""

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class HugeVtn:
    """A real aiohttp server on a free loopback port; each request gets the next answer."""

    answers: list[Answer]
    streamed: list[int] = field(default_factory=list)
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/OpenADR2/Simple/2.0b/{service}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        return await self.answers.pop(0)(request)

    # ---- answers ---------------------------------------------------------------------------

    async def small(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=SMALL_ANSWER, content_type="application/xml")

    def sized(self, size: int) -> Answer:
        async def answer(request: web.Request) -> web.StreamResponse:
            return web.Response(body=b"x" * size, content_type="application/xml")
        return answer

    async def endless(self, request: web.Request) -> web.StreamResponse:
        """Chunked, no Content-Length, until the client hangs up (or STREAM_LIMIT)."""
        response = web.StreamResponse(headers={"Content-Type": "application/xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent = 0
        try:
            while sent < STREAM_LIMIT:
                await response.write(STREAM_CHUNK)
                sent += len(STREAM_CHUNK)
        except (ConnectionError, RuntimeError):
            pass  # the client dropped the connection: what the cap must do
        self.streamed.append(sent)
        return response


@pytest.fixture
async def vtn() -> AsyncIterator[HugeVtn]:
    server = HugeVtn(answers=[])
    await server.start()
    yield server
    await server.stop()


def transport(vtn: HugeVtn, **kwargs: int) -> HttpTransport:
    return HttpTransport(vtn.url, allow_plain_http=True, timeout=30.0, **kwargs)


async def test_an_answer_over_the_cap_by_content_length_is_refused_and_the_session_goes_on(
    vtn: HugeVtn,
):
    vtn.answers = [vtn.sized(1024 * 1024), vtn.small]
    client = transport(vtn, max_body_bytes=64 * 1024)
    try:
        with pytest.raises(TransportError, match=r"1048576 bytes, more than the 65536-byte cap"):
            await client.send("OadrPoll", b"<poll/>")
        assert await client.send("OadrPoll", b"<poll/>") == SMALL_ANSWER
    finally:
        await client.close()


async def test_an_endless_chunked_answer_is_cut_at_the_cap_without_hanging(vtn: HugeVtn):
    vtn.answers = [vtn.endless, vtn.small]
    client = transport(vtn, max_body_bytes=64 * 1024)
    try:
        with pytest.raises(TransportError, match=r"exceeds the 65536-byte cap"):
            await asyncio.wait_for(client.send("EiEvent", b"<request/>"), timeout=20)
        assert await client.send("EiEvent", b"<request/>") == SMALL_ANSWER
    finally:
        await client.close()
    assert vtn.streamed and vtn.streamed[0] < STREAM_LIMIT  # the VEN hung up, not the VTN


async def test_the_default_cap_is_the_codecs_and_an_answer_at_the_cap_passes(vtn: HugeVtn):
    cap = DEFAULT_LIMITS.max_bytes
    vtn.answers = [vtn.sized(cap), vtn.sized(cap + 1), vtn.small]
    client = transport(vtn)
    try:
        assert len(await client.send("EiReport", b"<report/>")) == cap
        with pytest.raises(TransportError, match=rf"{cap + 1} bytes, more than the {cap}-byte"):
            await client.send("EiReport", b"<report/>")
        assert await client.send("EiReport", b"<report/>") == SMALL_ANSWER
    finally:
        await client.close()


def test_the_cap_must_be_positive():
    with pytest.raises(ValueError, match="max_body_bytes"):
        HttpTransport("http://127.0.0.1:1/x", allow_plain_http=True, max_body_bytes=0)
