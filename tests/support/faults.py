"""The fault tests' companions: ``oadr-vtn serve`` as a subprocess, VENs that keep writing (opts,
report registrations, polls) while recording every answer, and the check that everything the VTN
acknowledged is in its database afterwards.

What counts as acknowledged: an HTTP 200 whose eiResponse code is 200. A request that failed
(503, a reset connection, a timeout) may or may not have been committed; it is never counted.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from common.messages.enums import OptReason, OptType, ProfileName, TransportName
from common.messages.opt import CreatedOpt, CreateOpt
from common.messages.poll import Poll
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration
from common.messages.report import RegisteredReport, RegisterReport
from common.messages.types import Message, Period
from common.xml import decode, encode
from tests.support.network import free_port
from tests.support.processes import LISTEN_WAIT, ROOT, listening
from tests.support.report_messages import register_report
from tests.support.waiting import until

__all__ = ["Ledger", "ServedVtn", "Stored", "committed", "event_load", "lost", "register",
           "report_specifier", "send", "served_vtn", "ven_load"]

REQUEST_TIMEOUT_S = 10.0
"""A request not answered in this long counts as a hang [s]."""
STOP_WAIT_S = 60.0


@dataclasses.dataclass
class ServedVtn:
    """A running ``oadr-vtn serve`` (plain HTTP) and where to reach it."""

    base: str
    admin: str
    token: str
    log: Path
    process: asyncio.subprocess.Process
    state_dir: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def served_vtn(directory: Path, settings: str = "") -> AsyncIterator[ServedVtn]:
    """``python -m vtn serve`` on plain HTTP with its state in `directory`; `settings`: more of
    vtn.toml (top-level keys first, then tables). Stopped with SIGTERM (then SIGKILL)."""
    port, admin_port = free_port(), free_port()
    config = directory / "vtn.toml"
    config.write_text(f'plain_http = true\nport = {port}\nstate_dir = "{directory}"\n'
                      f'{settings}\n[admin]\nport = {admin_port}\n', encoding="utf-8")
    log = directory / "vtn.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vtn", "serve", "--config", str(config), cwd=ROOT,
            stdout=out, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"},
        )
    try:
        await listening(port, process, log)
        await listening(admin_port, process, log)
        token = directory / "admin-token"  # written just after the admin port is bound
        assert await until(lambda: token.exists() and bool(token.read_text().strip()),
                           LISTEN_WAIT), log.read_text()
        yield ServedVtn(
            base=f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
            admin=f"http://127.0.0.1:{admin_port}",
            token=token.read_text(encoding="ascii").strip(),
            log=log, process=process, state_dir=directory,
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=STOP_WAIT_S)
            except TimeoutError:
                process.kill()
                await process.wait()


@dataclasses.dataclass
class Ledger:
    """Every answer the load got, and what the VTN acknowledged."""

    answers: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    """Answers by kind: ``200``, ``503``, ``HTTP <n>``, ``code <n>`` (HTTP 200 carrying another
    eiResponse code), ``timeout``, ``ClientOSError``..."""
    opts: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    """(venID, optID) of every opt acknowledged."""
    reports: dict[str, int] = dataclasses.field(default_factory=dict)
    """Per VEN, the number of its last report registration acknowledged (each one replaces the
    previous one: the database must hold that one or a later attempt)."""
    events: set[str] = dataclasses.field(default_factory=set)
    """Events the admin API acknowledged (201)."""
    missing_retry_after: int = 0
    """503 answers without a Retry-After header."""
    successes_in_a_row: int = 0
    """Acknowledged requests since the last failure."""

    def failed(self, kind: str) -> None:
        self.answers[kind] += 1
        self.successes_in_a_row = 0

    def succeeded(self) -> None:
        self.answers["200"] += 1
        self.successes_in_a_row += 1

    def failures(self) -> int:
        return sum(n for kind, n in self.answers.items() if kind != "200")


async def send(session: aiohttp.ClientSession, base: str, service: str, message: Message,
               ledger: Ledger) -> Message | None:
    """POST `message`; the decoded reply when it is HTTP 200 with eiResponse code 200, else
    None (the answer is counted in `ledger`)."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S), session.post(
            f"{base}/{service}", data=encode(message),
            headers={"Content-Type": "application/xml"},
        ) as reply:
            body = await reply.read()
            if reply.status == 503 and "Retry-After" not in reply.headers:
                ledger.missing_retry_after += 1
            if reply.status != 200:
                ledger.failed(str(reply.status) if reply.status == 503 else f"HTTP {reply.status}")
                return None
    except TimeoutError:
        ledger.failed("timeout")
        return None
    except aiohttp.ClientError as exc:
        ledger.failed(type(exc).__name__)
        return None
    decoded = decode(body)
    response = getattr(decoded, "response", None)
    code = int(getattr(response, "response_code", 200))
    if code != 200:
        ledger.failed(f"code {code}")
        return None
    ledger.succeeded()
    return decoded


async def register(session: aiohttp.ClientSession, base: str, ven_id: str) -> None:
    """Register `ven_id` in pull mode (plain HTTP: the venID is the identity)."""
    ledger = Ledger()
    reply = await send(session, base, "EiRegisterParty", CreatePartyRegistration(
        request_id=f"reg-{ven_id}", profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP, report_only=False, xml_signature=False,
        ven_id=ven_id, ven_name=ven_id, http_pull_model=True,
    ), ledger)
    assert isinstance(reply, CreatedPartyRegistration), ledger.answers


def _opt(ven_id: str, n: int) -> CreateOpt:
    start = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=n)
    return CreateOpt(opt_id=f"{ven_id}-opt-{n}", opt_type=OptType.OPT_OUT,
                     opt_reason=OptReason.ECONOMIC, ven_id=ven_id,
                     created_date_time=datetime.now(UTC), request_id=f"opt-{n}",
                     vavailability=(Period(dtstart=start, duration=timedelta(hours=1)),))


def report_specifier(ven_id: str, n: int) -> str:
    """The reportSpecifierID of `ven_id`'s `n`-th report registration."""
    return f"{ven_id}-rep-{n}"


_PRIVATE = next(r for r in register_report().reports if r.report_specifier_id == "private")


def _reports(ven_id: str, n: int) -> RegisterReport:
    return RegisterReport(
        request_id=f"rep-{n}", ven_id=ven_id,
        reports=(dataclasses.replace(_PRIVATE, report_specifier_id=report_specifier(ven_id, n)),),
    )


async def ven_load(session: aiohttp.ClientSession, base: str, ven_id: str, ledger: Ledger,
                   stop: asyncio.Event) -> None:
    """Until `stop`: an opt, a report registration and a poll, again and again, each counted."""
    n = 0
    while not stop.is_set():
        n += 1
        if isinstance(await send(session, base, "EiOpt", _opt(ven_id, n), ledger), CreatedOpt):
            ledger.opts.add((ven_id, f"{ven_id}-opt-{n}"))
        if isinstance(await send(session, base, "EiReport", _reports(ven_id, n), ledger),
                      RegisteredReport):
            ledger.reports[ven_id] = n
        await send(session, base, "OadrPoll", Poll(ven_id=ven_id), ledger)
        if ledger.answers["200"] == 0 or ledger.successes_in_a_row == 0:
            await asyncio.sleep(0.05)  # failing: do not spin (the VTN answers at once)


async def event_load(session: aiohttp.ClientSession, served: ServedVtn, ledger: Ledger,
                     stop: asyncio.Event) -> None:
    """Until `stop`: create events for all VENs through the admin API, one after the other."""
    while not stop.is_set():
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S), session.post(
                f"{served.admin}/admin/api/v1/events",
                json={"targets": {"all": True}, "signal_name": "SIMPLE", "level": 1,
                      "start": "+1h", "duration": "PT1H"},
                headers={"Authorization": f"Bearer {served.token}"},
            ) as created:
                body = await created.json(content_type=None)
                if created.status == 201:
                    ledger.events.add(body["event_id"])
                elif created.status == 503 and "Retry-After" not in created.headers:
                    ledger.missing_retry_after += 1
        except (TimeoutError, aiohttp.ClientError):
            pass
        await asyncio.sleep(0.2)  # events are rare; the VENs are the load


@dataclasses.dataclass(frozen=True)
class Stored:
    """What the database holds of what the load wrote."""

    opts: set[tuple[str, str]]
    reports: dict[str, set[str]]
    events: set[str]


async def committed(url: str) -> Stored:
    """Read opts, report capabilities and events straight from the database at `url`
    (``sqlite+aiosqlite:///`` or ``postgresql+asyncpg://``)."""
    queries = ("SELECT ven_id, opt_id FROM opts",
               "SELECT ven_id, report_specifier_id FROM report_capabilities",
               "SELECT event_id FROM events")
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.split(":///", 1)[1])) as db:
            rows = [db.execute(q).fetchall() for q in queries]
    else:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            rows = [[tuple(r) for r in await connection.fetch(q)] for q in queries]
        finally:
            await connection.close()
    reports: dict[str, set[str]] = collections.defaultdict(set)
    for ven_id, specifier in rows[1]:
        reports[ven_id].add(specifier)
    return Stored(opts={(a, b) for a, b in rows[0]}, reports=dict(reports),
                  events={r[0] for r in rows[2]})


def lost(ledger: Ledger, stored: Stored) -> list[str]:
    """Everything acknowledged that the database does not hold (empty: nothing lost)."""
    missing = [f"opt {opt}" for opt in sorted(ledger.opts - stored.opts)]
    missing += [f"event {event}" for event in sorted(ledger.events - stored.events)]
    for ven_id, n in ledger.reports.items():
        held = stored.reports.get(ven_id, set())
        numbers = [int(s.rsplit("-", 1)[1]) for s in held if s.startswith(f"{ven_id}-rep-")]
        if not numbers or max(numbers) < n:
            missing.append(f"report registration {n} of {ven_id} (held: {sorted(held)})")
    return missing
