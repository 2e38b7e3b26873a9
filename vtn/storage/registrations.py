"""Registration writes by group commit: a VEN registered, re-registered or welcomed, together
with the message queued for it, many concurrent registrations in one transaction.

Each registration is one write: the VEN's row (created or replaced) and, in the same
transaction, the VTN's first message for it (``Welcome``: queued unless an undelivered one
like it waits). Registrations arriving together (a fleet re-registering after a firmware
update, a programme enrolling thousands of VENs) share one transaction (``Batches``: the
first is written at once, those arriving meanwhile wait for the next commit), so the cost of
a commit is shared; each caller is answered only after the commit that holds its write.

The checks that make a registration fail alone (a venID or certificate already registered, a
VEN unknown) are made inside the transaction, so one refused registration does not fail the
others. If the batch still hits a unique key (another process, or the other batch, registered
the same VEN between the check and the insert: possible on PostgreSQL), each registration of
the batch is written again in a transaction of its own, so the refusal reaches only its
caller. On PostgreSQL two batches may be under way at once (``PARALLEL``); each writes its
rows in venID order, so that two batches lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from vtn.domain import Ven, VenRegistration
from vtn.storage.batches import Batches
from vtn.storage.changes import note_change
from vtn.storage.database import Database, in_chunks
from vtn.storage.errors import Conflict, NotFound
from vtn.storage.ids import new_id
from vtn.storage.lists import one_of
from vtn.storage.tables import OutboxRow, VenRow, rowcount, table_of
from vtn.storage.vens import memberships_of, to_ven

__all__ = ["PARALLEL", "RegistrationStore", "VenIdTaken", "Welcome"]

PARALLEL = 2
"""Batches written at once on PostgreSQL (each waits for its round trips and its commit's
flush; SQLite has one writer at a time)."""

_VENS = table_of(VenRow)
_OUTBOX = table_of(OutboxRow)


class VenIdTaken(Conflict):
    """Raised when a new VEN asks for a venID that another certificate holds."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """A message to queue for a VEN with its registration: `payload`, unless an undelivered
    item of the VEN's queue already contains `unless` (its first bytes identify the kind)."""

    payload: bytes
    unless: bytes


@dataclass(frozen=True, slots=True)
class _Write:
    kind: Literal["create", "reregister", "welcome"]
    ven_id: str
    registration: VenRegistration | None
    welcome: Welcome | None


@dataclass(frozen=True, slots=True)
class _Done:
    ven: Ven | None
    queued: bool


_Result = _Done | Conflict | NotFound


class RegistrationStore:
    """Registrations and their first message, written by group commit."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._batches: Batches[_Write, _Result] = Batches(
            self._write, limit=500, parallel=1 if db.dialect == "sqlite" else PARALLEL
        )

    async def create(self, registration: VenRegistration, welcome: Welcome | None) -> Ven:
        """Register a new VEN (``registration.ven_id``, or a new id) and queue `welcome` for it.

        ``VenIdTaken`` if its venID belongs to another certificate; ``Conflict`` if its
        certificate is registered already (under that venID or another).
        """
        ven_id = registration.ven_id or new_id()
        done = await self._submit(_Write("create", ven_id, registration, welcome))
        assert done.ven is not None
        return done.ven

    async def reregister(
        self, ven_id: str, registration: VenRegistration, welcome: Welcome | None
    ) -> Ven:
        """Register `ven_id` again (as ``VenStore.reregister``: new registrationID, details
        replaced, no longer cancelled, conflict cleared, assignments kept) and queue `welcome`.
        ``NotFound`` if unknown."""
        done = await self._submit(_Write("reregister", ven_id, registration, welcome))
        assert done.ven is not None
        return done.ven

    async def welcome(self, ven_id: str, welcome: Welcome) -> bool:
        """Queue `welcome` for `ven_id` (registered again, unchanged); True if queued, False if
        one like it waits already. ``NotFound`` if unknown."""
        return (await self._submit(_Write("welcome", ven_id, None, welcome))).queued

    async def _submit(self, write: _Write) -> _Done:
        result = await self._batches.submit(write)
        if isinstance(result, Exception):
            raise result
        return result

    async def _write(self, writes: list[_Write]) -> list[_Result]:
        """All of `writes` in one transaction; one by one if a unique key was hit anyway."""
        try:
            return await self._write_together(writes)
        except (Conflict, NotFound):
            if len(writes) == 1:
                raise
        results: list[_Result] = []
        for write in writes:
            try:
                results.extend(await self._write_together([write]))
            except (Conflict, NotFound) as exc:
                results.append(exc)
        return results

    async def _write_together(self, writes: list[_Write]) -> list[_Result]:
        now = self._db.clock.now()
        what = f"register {len(writes)} VEN(s)" if len(writes) > 1 else (
            f"{writes[0].kind} VEN {writes[0].ven_id}")
        async with self._db.write(what) as session:
            connection = await session.connection()  # Core statements: no ORM cost
            results: list[_Result | None] = [None] * len(writes)
            creates = [i for i, w in enumerate(writes) if w.kind == "create"]
            await self._create(session, connection, writes, creates, results, now)
            updates = [i for i, w in enumerate(writes) if w.kind == "reregister"]
            await self._reregister(session, connection, writes, updates, results, now)
            rows = await _rows(connection, [writes[i].ven_id for i in updates])
            members = await memberships_of(connection, sorted(rows)) if rows else {}
            welcomes = [i for i, w in enumerate(writes) if w.kind == "welcome"]
            existing = await _known(connection, [writes[i].ven_id for i in welcomes])
            for i in welcomes:
                if writes[i].ven_id not in existing:
                    results[i] = NotFound(f"VEN {writes[i].ven_id!r} is not known")
            queued = await self._queue(session, connection, writes, results, now)
            final: list[_Result] = []
            for i, (write, result) in enumerate(zip(writes, results, strict=True)):
                if result is None:  # a welcome to a known VEN
                    final.append(_Done(None, i in queued))
                elif not isinstance(result, _Done):
                    final.append(result)
                elif write.kind == "reregister":
                    final.append(_Done(to_ven(rows[write.ven_id], members), i in queued))
                else:
                    final.append(_Done(result.ven, i in queued))
            return final

    async def _create(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        writes: list[_Write],
        indexes: list[int],
        results: list[_Result | None],
        now: datetime,
    ) -> None:
        """Insert the new VENs whose venID and certificate are free; the others get their
        refusal in `results`."""
        if not indexes:
            return
        ids = [writes[i].ven_id for i in indexes]
        prints = [_registration(writes[i]).fingerprint for i in indexes]
        by_id: dict[str, str] = {}
        prints_taken: set[str] = set()
        for id_chunk, print_chunk in zip(in_chunks(ids, 500), in_chunks(prints, 500), strict=True):
            query = select(_VENS.c.ven_id, _VENS.c.fingerprint).where(
                or_(one_of(self._db.dialect, _VENS.c.ven_id, id_chunk),
                    one_of(self._db.dialect, _VENS.c.fingerprint, print_chunk))
            )
            for ven_id, fingerprint in (await connection.execute(query)).all():
                by_id[ven_id] = fingerprint
                prints_taken.add(fingerprint)
        values: list[dict[str, Any]] = []
        for i in indexes:
            write = writes[i]
            registration = _registration(write)
            owner = by_id.get(write.ven_id)
            if owner is not None and owner != registration.fingerprint:
                results[i] = VenIdTaken(f"venID {write.ven_id!r} belongs to another certificate")
                continue
            if owner is not None or registration.fingerprint in prints_taken:
                results[i] = Conflict(f"the certificate {registration.fingerprint} of VEN "
                                      f"{write.ven_id!r} is registered already")
                continue
            by_id[write.ven_id] = registration.fingerprint  # a twin later in the batch conflicts
            prints_taken.add(registration.fingerprint)
            row = _columns(registration) | {
                "ven_id": write.ven_id,
                "registration_id": new_id(),
                "registered_at": now,
                "updated_at": now,
                "last_seen_at": now,
                "cancelled_at": None,
                "conflict_at": None,
                "conflict_ven_name": None,
            }
            values.append(row)
            results[i] = _Done(_new_ven(row, registration), False)
            note_change(session, write.ven_id)
        if values:
            values.sort(key=lambda row: row["ven_id"])  # one lock order for all
            await connection.execute(insert(_VENS), values)

    async def _reregister(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        writes: list[_Write],
        indexes: list[int],
        results: list[_Result | None],
        now: datetime,
    ) -> None:
        """Replace the registrations of known VENs; unknown ones get ``NotFound``."""
        if not indexes:
            return
        for i in sorted(indexes, key=lambda i: writes[i].ven_id):  # one lock order for all
            write = writes[i]
            values = _columns(_registration(write)) | {
                "registration_id": new_id(),
                "updated_at": now,
                "last_seen_at": now,
                "cancelled_at": None,
                "conflict_at": None,
                "conflict_ven_name": None,
            }
            statement = update(_VENS).where(_VENS.c.ven_id == write.ven_id).values(values)
            if rowcount(await connection.execute(statement)) == 0:
                results[i] = NotFound(f"VEN {write.ven_id!r} is not known")
                continue
            results[i] = _Done(None, False)
            note_change(session, write.ven_id)

    async def _queue(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        writes: list[_Write],
        results: list[_Result | None],
        now: datetime,
    ) -> set[int]:
        """Queue the welcomes of the writes that succeeded, unless one like it waits (also one
        queued earlier in this batch); the indexes of those queued."""
        wanted = [i for i, w in enumerate(writes) if w.welcome is not None
                  and not isinstance(results[i], Exception)]
        if not wanted:
            return set()
        # per marker, the VENs with an undelivered item containing it (the database compares
        # the payloads: they are not sent over; new VENs have none)
        markers = {_welcome(writes[i]).unless for i in wanted}
        waiting: dict[bytes, set[str]] = {marker: set() for marker in markers}
        ids = sorted({writes[i].ven_id for i in wanted if writes[i].kind != "create"})
        for marker in markers if ids else ():
            for chunk in in_chunks(ids):
                query = select(_OUTBOX.c.ven_id).distinct().where(
                    one_of(self._db.dialect, _OUTBOX.c.ven_id, chunk),
                    _OUTBOX.c.delivered_at.is_(None),
                    _OUTBOX.c.given_up_at.is_(None),
                    _payload_contains(self._db.dialect, marker),
                )
                waiting[marker].update((await connection.execute(query)).scalars())
        values: list[dict[str, Any]] = []
        queued: set[int] = set()
        for i in wanted:
            write = writes[i]
            welcome = _welcome(write)
            if write.ven_id in waiting[welcome.unless]:
                continue
            for marker, vens in waiting.items():  # what this batch queues counts too
                if marker in welcome.payload:
                    vens.add(write.ven_id)
            values.append({
                "item_id": new_id(),
                "ven_id": write.ven_id,
                "payload": welcome.payload,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            })
            queued.add(i)
            note_change(session, write.ven_id)
        if not values:
            return queued
        if self._db.dialect == "sqlite":  # PostgreSQL: the identity column; SQLite: max + 1
            last = (await connection.execute(select(func.coalesce(func.max(_OUTBOX.c.seq), 0))))
            first = int(last.scalar_one()) + 1
            for offset, row in enumerate(values):
                row["seq"] = first + offset
        await connection.execute(insert(_OUTBOX), values)
        return queued


def _new_ven(row: dict[str, Any], registration: VenRegistration) -> Ven:
    """The domain VEN of a ``vens`` row just inserted (no assignments yet)."""
    return Ven(
        ven_id=row["ven_id"],
        registration_id=row["registration_id"],
        fingerprint=registration.fingerprint,
        ven_name=registration.ven_name,
        profile=registration.profile,
        transport=registration.transport,
        http_pull_model=registration.http_pull_model,
        transport_address=registration.transport_address,
        report_only=registration.report_only,
        xml_signature=registration.xml_signature,
        poll_frequency=registration.poll_frequency,
        registered_at=row["registered_at"],
        updated_at=row["updated_at"],
        last_seen_at=row["last_seen_at"],
    )


def _welcome(write: _Write) -> Welcome:
    if write.welcome is None:
        raise ValueError(f"a {write.kind} write of {write.ven_id} carries no welcome")
    return write.welcome


def _payload_contains(dialect: str, marker: bytes) -> ColumnElement[bool]:
    """True for outbox items whose payload contains `marker` (``instr`` on SQLite, whose
    LIKE does not match blobs byte for byte; ``LIKE`` on PostgreSQL's bytea)."""
    if dialect == "sqlite":
        found: ColumnElement[bool] = func.instr(_OUTBOX.c.payload, marker) > 0
        return found
    escaped = marker.replace(b"\\", b"\\\\").replace(b"%", b"\\%").replace(b"_", b"\\_")
    like: ColumnElement[bool] = _OUTBOX.c.payload.op("LIKE", is_comparison=True)(
        b"%" + escaped + b"%")
    return like


def _registration(write: _Write) -> VenRegistration:
    if write.registration is None:
        raise ValueError(f"a {write.kind} write carries no registration")
    return write.registration


def _columns(registration: VenRegistration) -> dict[str, Any]:
    """The ``vens`` columns a registration sets."""
    return {
        "fingerprint": registration.fingerprint,
        "ven_name": registration.ven_name,
        "profile": registration.profile.value,
        "transport": registration.transport.value,
        "http_pull_model": registration.http_pull_model,
        "transport_address": registration.transport_address,
        "report_only": registration.report_only,
        "xml_signature": registration.xml_signature,
        "poll_frequency": registration.poll_frequency,
    }


async def _known(connection: AsyncConnection, ven_ids: Sequence[str]) -> set[str]:
    """Those of `ven_ids` that have a ``vens`` row (only the key is read)."""
    found: set[str] = set()
    for chunk in in_chunks(sorted(set(ven_ids))):
        query = select(_VENS.c.ven_id).where(one_of(connection.dialect.name, _VENS.c.ven_id,
                                                     chunk))
        found.update((await connection.execute(query)).scalars())
    return found


async def _rows(connection: AsyncConnection, ven_ids: Sequence[str]) -> dict[str, Any]:
    """The ``vens`` rows of `ven_ids` that exist, by ven_id."""
    found: dict[str, Any] = {}
    unique = sorted(set(ven_ids))
    for chunk in in_chunks(unique):
        query = select(_VENS).where(one_of(connection.dialect.name, _VENS.c.ven_id, chunk))
        for row in (await connection.execute(query)).all():
            found[row.ven_id] = row
    return found
