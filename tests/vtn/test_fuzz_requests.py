"""Fuzzing the VTN's request path: batches of valid and damaged bodies on every endpoint.

Each example starts a fresh in-process VTN (``tests.support.vtn_harness``) holding one
registered VEN and one event, posts a batch of requests drawn from every payload type (valid,
or damaged by ``tests.support.mutations``; with the VEN's certificate, another one, or none),
and checks the rules of test_errors.py for each answer: HTTP 400/413 at transport level (with
a reference, no traceback), or HTTP 200 with a 2.0b reply whose eiResponse code is 200 or in
450-469 and never an internal error; never HTTP 500. After the batch the VTN still serves a
valid poll and what it stored (the VEN, its event) is intact.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.clock import ManualClock
from common.errors import ResponseCode
from common.messages.event import DistributeEvent, RequestEvent
from common.messages.poll import Poll, Response
from common.messages.types import Message
from common.xml import decode, encode
from tests.support.mutations import mutated
from tests.support.strategies import PAYLOAD_TYPES, message_strategy
from tests.support.vtn_harness import (
    START,
    Harness,
    add_event,
    fingerprint_of,
    header_config,
    start_harness,
)
from vtn.services import SERVICES

FP = fingerprint_of(1)
OTHER_FP = fingerprint_of(2)
VEN_ID = "ven-fuzz"
ENDPOINTS = sorted(SERVICES)


@dataclasses.dataclass(frozen=True)
class FuzzRequest:
    """One POST of the batch."""

    service: str
    body: bytes
    fingerprint: str | None


def _with_our_ven(message: Message) -> Message:
    """`message` naming the registered VEN, so that it passes identity and reaches a handler."""
    if any(field.name == "ven_id" for field in dataclasses.fields(message)):  # type: ignore[arg-type]
        return dataclasses.replace(message, ven_id=VEN_ID)  # type: ignore[type-var]
    return message


@st.composite
def fuzz_requests(draw: st.DrawFn) -> FuzzRequest:
    service = draw(st.sampled_from(ENDPOINTS))
    own_types = sorted(SERVICES[service], key=lambda t: t.__name__)
    message_type = draw(st.sampled_from(own_types) | st.sampled_from(PAYLOAD_TYPES))
    message = draw(message_strategy(message_type))
    fingerprint = draw(st.sampled_from([FP, FP, FP, OTHER_FP, None]))
    if draw(st.integers(0, 3)):  # mostly as the registered VEN: past identity, into a handler
        message = _with_our_ven(message)
    body = encode(message)
    if draw(st.booleans()):
        body = draw(mutated(st.just(body)))
    return FuzzRequest(service, body, fingerprint)


def check_answer(request: FuzzRequest, status: int, body: bytes) -> None:
    """The rules every answer keeps, whatever was posted."""
    assert status in (200, 400, 413), (status, body)
    if status != 200:
        assert b"ref " in body and b"Traceback" not in body, body
        return
    reply = decode(body)
    response = getattr(reply, "response", None)
    if response is None:  # a successful reply without an eiResponse (oadrDistributeEvent, ...)
        return
    code = int(response.response_code)
    assert code == ResponseCode.OK or 450 <= code <= 469, (code, response)
    assert "internal error" not in (response.response_description or ""), response


async def run_batch(batch: list[FuzzRequest], directory: Path) -> None:
    h, client = await start_harness(header_config(directory), ManualClock(START))
    try:
        await h.register(FP, ven_id=VEN_ID)
        event = await add_event(h.store)
        for request in batch:
            status, body = await h.post_bytes(
                request.service, request.body, fingerprint=request.fingerprint
            )
            check_answer(request, status, body)
        await assert_healthy(h, event.event_id)
    finally:
        await client.close()
        await _drain()  # the app's background writes finish before their database closes
        await h.store.close()


async def _drain() -> None:
    """Let the loop's other tasks finish, so that none is cancelled by ``asyncio.run`` in the
    middle of an aiosqlite call (whose worker thread would then post to a closed loop)."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)


async def assert_healthy(h: Harness, event_id: str) -> None:
    """A valid poll works, the VEN is still registered to its certificate, its event is there."""
    for _ in range(20):  # the queue may hold the VTN's own messages first
        reply = await h.post("OadrPoll", Poll(ven_id=VEN_ID), fingerprint=FP)
        if isinstance(reply, Response):
            break
    assert isinstance(reply, Response) and reply.response.response_code == 200, reply
    ven = await h.store.vens.get(VEN_ID)
    assert ven.fingerprint == FP and not ven.cancelled
    events = await h.post("EiEvent", RequestEvent(request_id="r", ven_id=VEN_ID), fingerprint=FP)
    assert isinstance(events, DistributeEvent)
    assert event_id in [e.event.event_descriptor.event_id for e in events.events]


@settings(
    max_examples=max(8, settings.default.max_examples // 6),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(fuzz_requests(), min_size=1, max_size=12))
def test_vtn_answers_fuzzed_requests_and_keeps_serving(
    batch: list[FuzzRequest], tmp_path_factory: pytest.TempPathFactory
) -> None:
    asyncio.run(run_batch(batch, tmp_path_factory.mktemp("fuzz")))
