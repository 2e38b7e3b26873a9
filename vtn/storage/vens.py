"""VEN registrations: create, re-register, look up (by id or certificate), cancel, touch.

Lookups by venID or certificate (``get``, ``by_fingerprint``: every request a VEN makes
outside its polls starts with one) are grouped: those arriving while one is under way are
answered by the next statement, one ``IN`` list for all of them (``Batches``), which reads
each VEN with its assignments; each is read after its call, as a lookup of its own would be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from common.messages.enums import ProfileName, TransportName
from vtn.domain import Ven, VenRegistration
from vtn.storage.batches import Batches
from vtn.storage.changes import note_change
from vtn.storage.database import Database, in_chunks
from vtn.storage.errors import NotFound
from vtn.storage.ids import new_id
from vtn.storage.lists import one_of
from vtn.storage.tables import VenMembershipRow, VenRow, rowcount, table_of

__all__ = ["VenStore", "memberships_of", "to_ven"]

_VENS = table_of(VenRow)
_MEMBERS = table_of(VenMembershipRow)
_LOOKUPS = 400
"""Most lookups answered by one statement (each binds one value; drivers cap them)."""
_BY_ID = "id"
_BY_FINGERPRINT = "fingerprint"


class VenStore:
    """The VENs a VTN knows; cancelled registrations are kept, flagged."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lookups: Batches[tuple[str, str], Ven | None] = Batches(
            self._look_up, limit=_LOOKUPS, parallel=1 if db.dialect == "sqlite" else 2
        )

    async def create(self, registration: VenRegistration) -> Ven:
        """Register a new VEN; ``Conflict`` if its ven_id or fingerprint is already known."""
        now = self._db.clock.now()
        row = VenRow(
            ven_id=registration.ven_id or new_id(),
            registration_id=new_id(),
            registered_at=now,
            updated_at=now,
            last_seen_at=now,
            cancelled_at=None,
            conflict_at=None,
            conflict_ven_name=None,
        )
        _apply(row, registration)
        async with self._db.write(f"register VEN {row.ven_id}") as session:
            session.add(row)
            await session.flush()
            note_change(session, row.ven_id)
            return to_ven(row, {})

    async def reregister(self, ven_id: str, registration: VenRegistration) -> Ven:
        """Register `ven_id` again (new registration_id, details replaced, no longer cancelled).

        The operator's group/resource/party assignments are kept; a recorded identity conflict
        is cleared. ``NotFound`` if unknown.
        """
        now = self._db.clock.now()
        async with self._db.write(f"re-register VEN {ven_id}") as session:
            row = await session.get(VenRow, ven_id, with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {ven_id!r} is not known")
            _apply(row, registration)
            row.registration_id = new_id()
            row.updated_at = now
            row.last_seen_at = now
            row.cancelled_at = None
            row.conflict_at = None
            row.conflict_ven_name = None
            await session.flush()
            note_change(session, ven_id)
            return to_ven(row, await _memberships(session, [ven_id]))

    async def note_conflict(self, ven_id: str, ven_name: str | None) -> Ven:
        """Record that another VEN, calling itself `ven_name`, presented `ven_id`'s certificate
        now and was refused; the registration itself is unchanged. ``NotFound`` if unknown."""
        now = self._db.clock.now()
        async with self._db.write(f"note an identity conflict of VEN {ven_id}") as session:
            row = await session.get(VenRow, ven_id, with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {ven_id!r} is not known")
            row.conflict_at = now
            row.conflict_ven_name = ven_name
            await session.flush()
            return to_ven(row, await _memberships(session, [ven_id]))

    async def get(self, ven_id: str) -> Ven:
        """The VEN `ven_id` (cancelled or not); ``NotFound`` if unknown."""
        ven = await self._lookups.submit((_BY_ID, ven_id))
        if ven is None:
            raise NotFound(f"VEN {ven_id!r} is not known")
        return ven

    async def by_fingerprint(self, fingerprint: str) -> Ven | None:
        """The VEN whose certificate has `fingerprint` (cancelled or not), or ``None``."""
        return await self._lookups.submit((_BY_FINGERPRINT, fingerprint))

    async def _look_up(self, keys: list[tuple[str, str]]) -> list[Ven | None]:
        """The VENs of `keys` ((``_BY_ID``, ven_id) or (``_BY_FINGERPRINT``, fingerprint)),
        with their assignments, read in one statement (at most ``_LOOKUPS`` keys)."""
        ids = sorted({value for kind, value in keys if kind == _BY_ID})
        prints = sorted({value for kind, value in keys if kind == _BY_FINGERPRINT})
        query = (
            select(_VENS, _MEMBERS.c.kind.label("m_kind"), _MEMBERS.c.value.label("m_value"))
            .select_from(_VENS.outerjoin(_MEMBERS, _MEMBERS.c.ven_id == _VENS.c.ven_id))
            .where(or_(one_of(self._db.dialect, _VENS.c.ven_id, ids),
                       one_of(self._db.dialect, _VENS.c.fingerprint, prints)))
            .order_by(_VENS.c.ven_id, _MEMBERS.c.value)
        )
        rows: dict[str, Row[Any]] = {}
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        async with self._db.connect() as connection:
            for row in (await connection.execute(query)).all():
                rows.setdefault(row.ven_id, row)
                if row.m_kind is not None:
                    found[row.ven_id][row.m_kind].append(row.m_value)
        members = {ven: {k: tuple(v) for k, v in kinds.items()} for ven, kinds in found.items()}
        by_key: dict[tuple[str, str], Ven] = {}
        for row in rows.values():
            ven = to_ven(row, members)
            by_key[(_BY_ID, ven.ven_id)] = ven
            by_key[(_BY_FINGERPRINT, ven.fingerprint)] = ven
        return [by_key.get(key) for key in keys]

    async def by_registration_id(self, registration_id: str) -> Ven | None:
        """The VEN holding `registration_id`, or ``None``."""
        return await self._find(VenRow.registration_id == registration_id)

    async def list(self, *, include_cancelled: bool = False) -> tuple[Ven, ...]:
        """Every VEN, by ven_id; cancelled ones only when asked."""
        query = select(VenRow).order_by(VenRow.ven_id)
        if not include_cancelled:
            query = query.where(VenRow.cancelled_at.is_(None))
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
            members = await _memberships(session, [r.ven_id for r in rows])
            return tuple(to_ven(r, members) for r in rows)

    async def cancel(self, ven_id: str) -> Ven:
        """Cancel the registration of `ven_id` (idempotent); ``NotFound`` if unknown."""
        now = self._db.clock.now()
        async with self._db.write(f"cancel VEN {ven_id}") as session:
            row = await session.get(VenRow, ven_id, with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {ven_id!r} is not known")
            if row.cancelled_at is None:
                row.cancelled_at = now
                row.updated_at = now
                note_change(session, ven_id)
            await session.flush()
            return to_ven(row, await _memberships(session, [ven_id]))

    async def touch(self, ven_id: str) -> None:
        """Record that `ven_id` was just heard from (``last_seen_at``); ``NotFound`` if unknown."""
        now = self._db.clock.now()
        statement = update(VenRow).where(VenRow.ven_id == ven_id).values(last_seen_at=now)
        async with self._db.write(f"touch VEN {ven_id}") as session:
            result = await session.execute(statement)
            if rowcount(result) == 0:
                raise NotFound(f"VEN {ven_id!r} is not known")

    async def touch_many(self, ven_ids: Iterable[str]) -> int:
        """Record that each of `ven_ids` was just heard from, in one transaction; returns how
        many are known (unknown ones are skipped: a VEN deleted meanwhile)."""
        now = self._db.clock.now()
        ids = sorted(set(ven_ids))
        if not ids:
            return 0
        count = 0
        async with self._db.write(f"record {len(ids)} VEN(s) as seen") as session:
            for chunk in in_chunks(ids):
                statement = (
                    update(VenRow).where(VenRow.ven_id.in_(chunk)).values(last_seen_at=now)
                )
                result = await session.execute(statement)
                count += rowcount(result)
        return count

    async def assign(
        self,
        ven_id: str,
        *,
        group_ids: Iterable[str] | None = None,
        resource_ids: Iterable[str] | None = None,
        party_ids: Iterable[str] | None = None,
    ) -> Ven:
        """Replace the VEN's group, resource and/or party assignments (``None`` keeps one)."""
        wanted = {"group": group_ids, "resource": resource_ids, "party": party_ids}
        async with self._db.write(f"assign VEN {ven_id}") as session:
            row = await session.get(VenRow, ven_id, with_for_update=True)
            if row is None:
                raise NotFound(f"VEN {ven_id!r} is not known")
            for kind, values in wanted.items():
                if values is None:
                    continue
                await session.execute(
                    delete(VenMembershipRow).where(
                        VenMembershipRow.ven_id == ven_id, VenMembershipRow.kind == kind
                    )
                )
                unique = dict.fromkeys(values)
                session.add_all(VenMembershipRow(ven_id=ven_id, kind=kind, value=v) for v in unique)
            row.updated_at = self._db.clock.now()
            await session.flush()
            note_change(session, ven_id)
            return to_ven(row, await _memberships(session, [ven_id]))

    async def _find(self, condition: ColumnElement[bool]) -> Ven | None:
        async with self._db.read() as session:
            row = (await session.scalars(select(VenRow).where(condition))).one_or_none()
            if row is None:
                return None
            return to_ven(row, await _memberships(session, [row.ven_id]))


def _apply(row: VenRow, registration: VenRegistration) -> None:
    row.fingerprint = registration.fingerprint
    row.ven_name = registration.ven_name
    row.profile = registration.profile.value
    row.transport = registration.transport.value
    row.http_pull_model = registration.http_pull_model
    row.transport_address = registration.transport_address
    row.report_only = registration.report_only
    row.xml_signature = registration.xml_signature
    row.poll_frequency = registration.poll_frequency


Memberships = dict[str, dict[str, tuple[str, ...]]]


async def memberships_of(connection: AsyncConnection, ven_ids: list[str]) -> Memberships:
    """The group, resource and party assignments of `ven_ids`, read on `connection` (Core
    statements: a fraction of the ORM's cost per statement)."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in in_chunks(ven_ids):
        query = (
            select(_MEMBERS.c.ven_id, _MEMBERS.c.kind, _MEMBERS.c.value)
            .where(one_of(connection.dialect.name, _MEMBERS.c.ven_id, chunk))
            .order_by(_MEMBERS.c.value)
        )
        for ven_id, kind, value in (await connection.execute(query)).all():
            found[ven_id][kind].append(value)
    return {ven: {k: tuple(v) for k, v in kinds.items()} for ven, kinds in found.items()}


async def _memberships(session: AsyncSession, ven_ids: list[str]) -> Memberships:
    if not ven_ids:
        return {}
    return await memberships_of(await session.connection(), ven_ids)


def to_ven(row: VenRow | Row[Any], memberships: Memberships) -> Ven:
    """The domain VEN of a ``vens`` row (an ORM row or a Core row with its columns)."""
    mine = memberships.get(row.ven_id, {})
    return Ven(
        ven_id=row.ven_id,
        registration_id=row.registration_id,
        fingerprint=row.fingerprint,
        ven_name=row.ven_name,
        profile=ProfileName(row.profile),
        transport=TransportName(row.transport),
        http_pull_model=row.http_pull_model,
        transport_address=row.transport_address,
        report_only=row.report_only,
        xml_signature=row.xml_signature,
        poll_frequency=row.poll_frequency,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
        last_seen_at=row.last_seen_at,
        cancelled_at=row.cancelled_at,
        conflict_at=row.conflict_at,
        conflict_ven_name=row.conflict_ven_name,
        group_ids=mine.get("group", ()),
        resource_ids=mine.get("resource", ()),
        party_ids=mine.get("party", ()),
    )
