"""Failure modes of the poll gate and of the change notices.

These tests pin what must hold when something goes wrong around the poll gate and the change
notices that keep it and the events in memory current: notices lost or late, listeners that
die or cannot connect, a database that cannot be reached, and a supervisor that dies without
stopping its workers.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

from common.clock import ManualClock
from common.messages.event import DistributeEvent
from common.messages.poll import Response
from common.messages.registration import RequestReregistration
from tests.support.poll_gate import make_ven
from tests.support.vtn_harness import START, Harness, add_event, fingerprint_of
from tests.support.vtn_harness import gate_of as _gate
from tests.support.vtn_harness import poll as _poll
from tests.support.vtn_harness import registered_and_drained as _registered_and_drained
from tests.support.waiting import until
from vtn.domain import VenRegistration
from vtn.polls.gate import PollGate, Verdict
from vtn.services.lastseen import RESOLUTION, LastSeen
from vtn.storage import open_store
from vtn.storage.changes import tail


async def _answers_nothing(gate: PollGate, ven_id: str, h: Harness) -> bool:
    """Would a poll of `ven_id` now be answered "nothing" from memory?"""
    ven, verdict = await gate.verdict(h.clock.now(), ven_id=ven_id)
    return ven is not None and verdict is Verdict.NOTHING






# ---- 1. SQLite notices after housekeeping purged every row --------------------------------------


async def test_sqlite_notices_after_a_full_purge_reach_the_other_process(tmp_path: Path) -> None:
    """A SQLite notice written after housekeeping purged every row still reaches the other process:
    ``seq`` is AUTOINCREMENT, never reused, and a ``tail`` that finds max(seq) below what it saw
    starts over. A skipped notice would leave the other workers' gates answering "nothing"."""
    clock = ManualClock(START)
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    writer = await open_store(url, clock=clock)
    reader = await open_store(url, clock=clock, migrate=False)
    heard: list[str] = []
    lives: list[bool] = []
    stop = asyncio.Event()
    task = asyncio.create_task(reader.listen(heard.append, lives.append, stop))
    try:
        assert await until(lambda: lives == [True])
        for n in range(5):
            await writer.vens.create(VenRegistration(fingerprint=fingerprint_of(n), ven_name="v"))
        assert await until(lambda: len(heard) == 5), heard
        clock.advance(timedelta(hours=2))  # a quiet night: housekeeping deletes every notice
        assert await writer.purge_notices(clock.now() - timedelta(hours=1)) == 5
        late = await writer.vens.create(
            VenRegistration(fingerprint=fingerprint_of(9), ven_name="late")
        )
        assert await until(lambda: late.ven_id in heard, limit=2.0), (
            f"the other process never heard {late.ven_id}: heard {heard}"
        )
    finally:
        stop.set()
        await task
        await writer.close()
        await reader.close()


# ---- 2. SQLite tail: an error it did not foresee ------------------------------------------------


async def test_sqlite_tail_that_dies_does_not_leave_its_listeners_live(tmp_path: Path) -> None:
    """``tail`` never leaves its listeners live while it is not reading: any error (here
    SQLAlchemy's pool timeout, neither an OS nor a DBAPI error) is logged, reported with
    ``on_live(False)`` and read past, and ending says ``on_live(False)`` too. A gate live but
    deaf would answer "nothing" to VENs the other workers gave work."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"
    await (await open_store(url, clock=ManualClock(START))).close()  # the schema
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    lives: list[bool] = []
    stop = asyncio.Event()
    task = asyncio.create_task(tail(engine, "me", lambda _v: None, lives.append, stop))
    try:
        assert await until(lambda: lives == [True])
        async with engine.connect():  # every connection busy (a burst of polls)
            assert await until(lambda: False in lives), "the pool timeout was not reported"
        assert await until(lambda: lives[-1] is True), f"tail did not recover: {lives}"
        assert not task.done(), f"tail ended: {task.exception()!r}"
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()


# ---- 3. LastSeen with PostgreSQL unreachable ----------------------------------------------------


async def test_last_seen_survives_an_unreachable_postgresql() -> None:
    """``LastSeen.run`` outlives a PostgreSQL it cannot reach: ``Database.write`` turns the driver's
    connect error (an ``OSError``) into ``StorageError``, and ``flush`` logs it and keeps the
    VENs due for the next flush. One database restart must not end last_seen_at for good."""
    store = await open_store(
        "postgresql+asyncpg://postgres@127.0.0.1:1/none", clock=ManualClock(START), migrate=False
    )
    clock = ManualClock(START + RESOLUTION * 10)
    seen = LastSeen(store, clock)
    seen.heard(make_ven(1))  # last seen long ago: due
    attempts: list[int] = []
    touch_many = store.vens.touch_many

    async def counted(ven_ids: Any) -> int:
        try:
            return await touch_many(ven_ids)
        finally:  # counted once the attempt is over (flush has put the VENs back by then)
            attempts.append(1)

    store.vens.touch_many = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(seen.run(stop, every=0.05))
    try:
        assert await until(lambda: len(attempts) >= 3), "no flush was tried"
        assert not task.done(), f"LastSeen.run ended: {task.exception()!r}"
        assert seen.due == 1, "the VEN that could not be written was dropped"
    finally:
        stop.set()
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


# ---- 4. PostgreSQL NOTIFY payload: a ven_id with a comma ----------------------------------------


@pytest.mark.postgres
async def test_a_ven_id_with_a_comma_reaches_the_other_process(postgres_url: str) -> None:
    """A venID with a comma (a VEN may choose any string) reaches the other workers whole: the
    NOTIFY payload is JSON (``{"o": origin, "v": [ven_id, ...]}``), not a joined list. A split
    id would leave their gates answering "nothing" to that VEN."""
    writer = await open_store(postgres_url, clock=ManualClock(START))
    reader = await open_store(postgres_url, clock=ManualClock(START), migrate=False)
    heard: list[str] = []
    lives: list[bool] = []
    stop = asyncio.Event()
    task = asyncio.create_task(reader.listen(heard.append, lives.append, stop))
    try:
        assert await until(lambda: lives == [True])
        await writer.vens.create(
            VenRegistration(ven_id="x,y", fingerprint=fingerprint_of(1), ven_name="v")
        )
        assert await until(lambda: bool(heard))
        await asyncio.sleep(0.2)
        assert heard == ["x,y"]
    finally:
        stop.set()
        await task
        await writer.close()
        await reader.close()


# ---- 5. In one process: a poll right after the COMMIT -------------------------------------------


async def test_no_answer_from_memory_after_the_commit(gated: Harness) -> None:
    """A poll right after the COMMIT of a write that gives the VEN work is not answered "nothing"
    from memory: the write's notices reach this process's listeners from an ``after_commit``
    session hook, before anything else can run on the event loop."""
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    assert isinstance(await _poll(h, ven_id, 1), Response)
    gate = _gate(h)
    assert await _answers_nothing(gate, ven_id, h)  # remembered
    committed = asyncio.Event()

    def on_commit(_session: Any) -> None:
        committed.set()

    sa_event.listen(Session, "after_commit", on_commit)
    try:
        ven = await h.store.vens.get(ven_id)
        committed.clear()
        writing = asyncio.create_task(h.vtn.queue.put(ven, RequestReregistration(ven_id=ven_id)))
        while not committed.is_set():
            await asyncio.sleep(0)
        answered = await _answers_nothing(gate, ven_id, h)  # a poll right after the COMMIT
        await writing
    finally:
        sa_event.remove(Session, "after_commit", on_commit)
    assert not answered, "a poll after the commit was answered 'nothing' from memory"


# ---- 6. A missed EVENTS notice ------------------------------------------------------------------


async def test_a_missed_event_notice_does_not_starve_the_ven(
    gated: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missed EVENTS notice (lost, or SQL by hand) does not starve the VEN: when the database
    says an event is new for it and the events in memory do not, ``handle_poll`` has them read
    again (EventsInForce also has a TTL). Else every poll would send the old list again, and
    neither the new event nor the queued message would ever reach the VEN."""
    h = gated
    ven_id = await _registered_and_drained(h, 1)
    await add_event(h.store)
    assert isinstance(await _poll(h, ven_id, 1), DistributeEvent)  # E1 delivered; not remembered
    monkeypatch.setattr("vtn.storage.events.note_change", lambda *_a, **_k: None)
    late = await add_event(h.store)  # committed without a notice reaching this process
    monkeypatch.undo()
    await h.vtn.queue.put(await h.store.vens.get(ven_id), RequestReregistration(ven_id=ven_id))
    got_late = got_queued = False
    for _ in range(8):
        reply = await _poll(h, ven_id, 1)
        if isinstance(reply, RequestReregistration):
            got_queued = True
        if isinstance(reply, DistributeEvent):
            got_late |= late.event_id in {e.event.event_descriptor.event_id for e in reply.events}
    assert got_queued, "8 polls, each an oadrDistributeEvent of the old list: the queue starves"
    assert got_late, "8 polls and the new event never reached the VEN (EventsInForce has no TTL)"



# ---- 7. Supervisor killed: its workers and the SQLite lock --------------------------------------


async def test_workers_do_not_outlive_a_killed_supervisor(tmp_path: Path) -> None:
    """Workers stop when their supervisor dies, even by SIGKILL: ``stop_with`` asks the kernel for
    a SIGTERM at the parent's death and a thread watches the parent pid. Workers left behind
    would serve the port and write the SQLite file while its lock is free for another VTN."""
    import fcntl
    import os
    import signal
    import sys

    from tests.support.network import free_port
    from tests.support.processes import ROOT, listening

    port = free_port()
    db = tmp_path / "vtn.sqlite"
    (tmp_path / "vtn.toml").write_text(
        f'plain_http = true\nport = {port}\nadmin_port = 0\nworkers = 2\n'
        f'database_url = "sqlite+aiosqlite:///{db}"\nstate_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    log = tmp_path / "vtn.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vtn", "serve", "--config", str(tmp_path / "vtn.toml"),
            cwd=ROOT, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )
    children: list[int] = []
    try:
        await listening(port, process, log)
        children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")

        def workers() -> list[int]:
            return [int(p) for p in children_file.read_text().split()]

        def running(pid: int) -> bool:
            try:
                return (b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
                        and b"zombie" not in Path(f"/proc/{pid}/status").read_bytes().lower())
            except OSError:
                return False

        assert await until(lambda: len(workers()) >= 2, limit=30), log.read_text()
        children = workers()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await until(lambda: not any(running(p) for p in children), limit=10)
        alive = [p for p in children if running(p)]
        with open(db.with_name(db.name + ".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                lock_free = True
                fcntl.flock(lock, fcntl.LOCK_UN)
            except BlockingIOError:
                lock_free = False
        assert not alive, (
            f"orphaned workers {alive} still run 10 s after their supervisor died; the SQLite "
            f"lock is {'free' if lock_free else 'held'}"
        )
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in children:  # only the processes this test started, by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# ---- 8. PostgreSQL listener: connect arguments --------------------------------------------------


@pytest.mark.postgres
async def test_the_listener_connects_with_the_same_url_as_the_engine(postgres_url: str) -> None:
    """The PostgreSQL listener connects with any ``database_url`` the engine accepts (here
    ``?ssl=disable``): ``listen`` takes the connect arguments from the engine's dialect, kept to
    those ``asyncpg.connect`` knows. Otherwise every connect fails, the gate is never live and
    every poll reads the database."""
    url = f"{postgres_url}?ssl=disable"
    store = await open_store(url, clock=ManualClock(START))  # the engine is happy with it
    lives: list[bool] = []
    stop = asyncio.Event()
    task = asyncio.create_task(store.listen(lambda _v: None, lives.append, stop))
    try:
        assert await until(lambda: True in lives, limit=3.0), f"never live: {lives}"
    finally:
        stop.set()
        await task
        await store.close()
