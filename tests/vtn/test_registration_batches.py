"""Registrations by group commit (``Store.registrations``), grouped VEN lookups, and the byte
templates and poll-body memory of the registration and poll paths, on each database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from common.clock import ManualClock
from common.messages.enums import ProfileName, TransportName
from common.messages.poll import Poll, Response
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.messages.report import RegisterReport
from common.messages.types import EiResponse
from common.xml import decode, encode, parse
from common.xml.templates import TextTemplate
from tests.support.vtn_harness import START, fingerprint_of, header_config, start_harness
from vtn.app import BOUNDARY_KEY
from vtn.domain import Ven, VenRegistration
from vtn.polls.bodies import KnownPolls
from vtn.services.registration import PROFILES, encode_created
from vtn.services.report import metadata_welcome
from vtn.storage import Conflict, NotFound, Store, open_store
from vtn.storage.batches import Batches
from vtn.storage.registrations import VenIdTaken, Welcome


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await open_store(database_url, clock=ManualClock(START))
    try:
        yield opened
    finally:
        await opened.close()


def _registration(n: int, **changes: object) -> VenRegistration:
    fields: dict[str, object] = {
        "fingerprint": fingerprint_of(n),
        "ven_name": f"ven {n}",
        "ven_id": f"ven-{n}",
        "poll_frequency": timedelta(seconds=10),
    }
    fields.update(changes)
    return VenRegistration(**fields)  # type: ignore[arg-type]


async def _welcomes(store: Store, ven_id: str) -> int:
    return sum(b"oadrRegisterReport" in item.payload
               for item in await store.outbox.pending(ven_id=ven_id))


async def test_concurrent_registrations_share_commits_and_each_gets_its_own_result(
    store: Store, database_url: str
) -> None:
    results = await asyncio.gather(*(
        store.registrations.create(_registration(n), metadata_welcome(f"ven-{n}"))
        for n in range(60)
    ))
    assert [v.ven_id for v in results] == [f"ven-{n}" for n in range(60)]
    assert len({v.registration_id for v in results}) == 60
    # committed before the callers were answered: another store sees every one
    async with await open_store(database_url, clock=ManualClock(START), migrate=False) as other:
        for n in (0, 31, 59):
            ven = await other.vens.get(f"ven-{n}")
            assert ven.fingerprint == fingerprint_of(n) and ven.ven_name == f"ven {n}"
            assert ven.registration_id == results[n].registration_id
            assert await _welcomes(other, f"ven-{n}") == 1


async def test_a_refused_registration_does_not_fail_the_others_of_its_batch(
    store: Store,
) -> None:
    await store.registrations.create(_registration(1), None)
    outcomes = await asyncio.gather(
        store.registrations.create(_registration(2), metadata_welcome("ven-2")),
        # venID ven-1 belongs to another certificate
        store.registrations.create(_registration(3, ven_id="ven-1"), None),
        # the certificate of ven-1 under another venID
        store.registrations.create(_registration(1, ven_id="ven-other"), None),
        # the same new VEN twice in one batch: the first wins
        store.registrations.create(_registration(4), None),
        store.registrations.create(_registration(4), None),
        store.registrations.reregister("nobody", _registration(5, ven_id="nobody"), None),
        store.registrations.welcome("nobody", metadata_welcome("nobody")),
        return_exceptions=True,
    )
    ok2, taken, cert, first, twin, unknown, unknown_welcome = outcomes
    assert isinstance(ok2, Ven) and ok2.ven_id == "ven-2"
    assert isinstance(taken, VenIdTaken)
    assert isinstance(cert, Conflict) and not isinstance(cert, VenIdTaken)
    assert isinstance(first, Ven) and first.ven_id == "ven-4"
    assert isinstance(twin, Conflict)
    assert isinstance(unknown, NotFound) and isinstance(unknown_welcome, NotFound)
    assert sorted(v.ven_id for v in await store.vens.list()) == ["ven-1", "ven-2", "ven-4"]
    assert await _welcomes(store, "ven-2") == 1


async def test_reregistration_keeps_assignments_and_a_waiting_welcome_is_not_doubled(
    store: Store,
) -> None:
    ven = await store.registrations.create(_registration(1), metadata_welcome("ven-1"))
    await store.vens.assign("ven-1", group_ids=["g1"])
    await store.vens.cancel("ven-1")
    again = await store.registrations.reregister(
        "ven-1", _registration(1, ven_name="renamed"), metadata_welcome("ven-1")
    )
    assert again.registration_id != ven.registration_id
    assert again.ven_name == "renamed" and again.group_ids == ("g1",)
    assert again.cancelled_at is None
    assert not await store.registrations.welcome("ven-1", metadata_welcome("ven-1"))
    assert await _welcomes(store, "ven-1") == 1
    item = (await store.outbox.pending(ven_id="ven-1"))[0]
    await store.outbox.take_next("ven-1", worker="test")
    assert await store.registrations.welcome("ven-1", Welcome(item.payload, b"oadrRegister"))
    assert await _welcomes(store, "ven-1") == 1


async def test_grouped_lookups_answer_each_caller(store: Store) -> None:
    for n in range(5):
        await store.registrations.create(_registration(n), None)
    await store.vens.assign("ven-2", group_ids=["b", "a"], resource_ids=["r"])
    found = await asyncio.gather(
        *(store.vens.get(f"ven-{n}") for n in range(5)),
        *(store.vens.by_fingerprint(fingerprint_of(n)) for n in range(5)),
        store.vens.by_fingerprint(fingerprint_of(99)),
        store.vens.get("nobody"),
        return_exceptions=True,
    )
    by_id, by_print, (absent, unknown) = found[:5], found[5:10], found[10:]
    assert [v.ven_id for v in by_id] == [f"ven-{n}" for n in range(5)]  # type: ignore[union-attr]
    assert [v.ven_id for v in by_print] == [f"ven-{n}" for n in range(5)]  # type: ignore[union-attr]
    assert by_id[2].group_ids == ("a", "b") and by_id[2].resource_ids == ("r",)  # type: ignore[union-attr]
    assert absent is None and isinstance(unknown, NotFound)


async def test_batches_run_up_to_parallel_calls_at_once() -> None:
    running = 0
    most = 0
    gate = asyncio.Event()

    async def handle(items: list[int]) -> list[int]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await gate.wait()
        running -= 1
        return [i * 2 for i in items]

    batches: Batches[int, int] = Batches(handle, parallel=2)
    calls = [asyncio.create_task(batches.submit(0))]
    for _ in range(3):
        await asyncio.sleep(0)  # the first call is under way, holding item 0
    calls += [asyncio.create_task(batches.submit(i)) for i in range(1, 10)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert most == 2  # the second call took the others without waiting for the first
    gate.set()
    assert await asyncio.gather(*calls) == [i * 2 for i in range(10)]
    with pytest.raises(ValueError, match="parallel"):
        Batches(handle, parallel=0)


def test_templates_give_the_bytes_encode_gives() -> None:
    template = TextTemplate(lambda r, v: RegisterReport(request_id=r, ven_id=v), 2)
    for text in ("ven-1", "a<b>&c", "é\"'x"):
        assert template.render("r1", text) == encode(RegisterReport(request_id="r1", ven_id=text))
    assert template.render("r1", "line\r\n") is None
    reply = CreatedPartyRegistration(
        response=_ok("r<1>"), vtn_id="VTN", profiles=PROFILES, registration_id="reg&1",
        ven_id="ven-1", requested_oadr_poll_freq=timedelta(seconds=10),
    )
    assert encode_created(reply) == encode(reply)
    failed = CreatedPartyRegistration(response=_ok("r", code=452), vtn_id="VTN", profiles=PROFILES)
    assert encode_created(failed) is None
    with pytest.raises(ValueError, match="exactly once"):
        TextTemplate(lambda r: RegisterReport(request_id=r, ven_id=r), 1)


def _ok(request_id: str, code: int = 200) -> EiResponse:
    return EiResponse(response_code=code, request_id=request_id,
                      response_description="OK" if code == 200 else "no")


def test_known_polls_keep_unsigned_polls_only_and_the_most_recent() -> None:
    known = KnownPolls(size=2)
    bodies = [encode(Poll(ven_id=f"ven-{n}")) for n in range(3)]
    for body in bodies:
        known.remember(body, parse(body), decode(body))
    assert len(known) == 2 and known.get(bodies[0]) is None
    assert known.get(bodies[2]) == Poll(ven_id="ven-2") and known.hits == 1
    other = encode(Response(response=_ok("x"), ven_id="ven-1"))
    known.remember(other, parse(other), decode(other))
    assert known.get(other) is None
    with pytest.raises(ValueError, match="size"):
        KnownPolls(size=0)


async def test_the_vtn_registers_many_vens_at_once_and_polls_read_once(tmp_path: Path) -> None:
    h, client = await start_harness(header_config(tmp_path), ManualClock(START))
    try:
        replies = await asyncio.gather(*(h.register(fingerprint_of(n), f"ven {n}")
                                         for n in range(40)))
        assert all(r.response.response_code == 200 and r.ven_id for r in replies)
        assert len({r.ven_id for r in replies}) == 40
        ven_ids = [str(r.ven_id) for r in replies]
        for n in range(3):
            queued = await h.post("OadrPoll", Poll(ven_id=ven_ids[n]),
                                  fingerprint=fingerprint_of(n))
            assert isinstance(queued, RegisterReport)  # queued with the registration
        known = h.client.app[BOUNDARY_KEY].known_polls
        before = known.hits
        for _ in range(3):
            empty = await h.post("OadrPoll", Poll(ven_id=ven_ids[0]),
                                 fingerprint=fingerprint_of(0))
            assert isinstance(empty, Response)
        assert known.hits >= before + 3
        # a VEN proposing the venID of another certificate is refused (463)
        taken = await h.post(
            "EiRegisterParty",
            CreatePartyRegistration(
                request_id="r", profile_name=ProfileName.B,
                transport_name=TransportName.SIMPLE_HTTP, report_only=False,
                xml_signature=False, http_pull_model=True, ven_id=ven_ids[1],
            ),
            fingerprint=fingerprint_of(99),
        )
        assert isinstance(taken, CreatedPartyRegistration)
        assert taken.response.response_code == 463
    finally:
        await client.close()
        await h.store.close()




async def test_a_welcome_is_queued_once_and_its_marker_is_matched_literally(
    store: Store,
) -> None:
    await store.registrations.create(_registration(1), None)
    welcome = Welcome(b"<x>100%_done</x>", b"100%_done")
    outcomes = await asyncio.gather(*(store.registrations.welcome("ven-1", welcome)
                                      for _ in range(3)))
    assert sorted(outcomes) == [False, False, True]
    # LIKE's wildcards in a marker are literal: "100__done" is not in the waiting payload
    assert await store.registrations.welcome("ven-1", Welcome(b"<y>100__done</y>", b"100__done"))
    assert not await store.registrations.welcome("ven-1", Welcome(b"<z/>", b"100__done"))
    assert len(await store.outbox.pending(ven_id="ven-1")) == 2
