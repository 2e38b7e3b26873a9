"""The admin API served in-process: its client, configuration, seeded VENs, events and reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from common.clock import ManualClock
from common.messages.enums import ReadingType, ReportName, ReportType
from common.messages.types import ItemBase
from vtn.admin.routes import API_ROOT, admin_routes
from vtn.config import AdminSettings, VtnConfig
from vtn.domain import (
    Reading,
    ReportCapability,
    ReportDescription,
    ReportSubscription,
    VenRegistration,
)
from vtn.storage import Store, open_store

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


@dataclass
class Admin:
    """A running admin API with its store, clock and token."""

    client: TestClient
    store: Store
    clock: ManualClock
    token: str
    token_file: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, *, status: int = 200, **kwargs) -> object:
        response = await self.client.request(
            method, API_ROOT + path, headers=self.headers(), **kwargs
        )
        body = await response.json() if response.content_type == "application/json" else None
        assert response.status == status, body
        return body


@dataclass
class Vtn:
    """A served admin API and the options that point the `oadr-vtn` CLI at it."""

    url: str
    token_file: Path
    store: Store
    clock: ManualClock

    def options(self) -> list[str]:
        return ["--url", self.url, "--token-file", str(self.token_file)]


async def seed_vens(store: Store) -> None:
    """Three VENs: ven-1 and ven-2 (group north), ven-3 (push, group south)."""
    for n, group in ((1, "north"), (2, "north"), (3, "south")):
        await store.vens.create(
            VenRegistration(
                fingerprint=f"aa:bb:cc:dd:ee:ff:00:11:22:{n:02x}",
                ven_name=f"building {n}",
                ven_id=f"ven-{n}",
                http_pull_model=n != 3,
                transport_address="https://ven-3.example/push" if n == 3 else None,
            )
        )
        await store.vens.assign(f"ven-{n}", group_ids=[group])


def config(token_file: Path) -> VtnConfig:
    """Plain HTTP, the admin token in `token_file`."""
    return VtnConfig(plain_http=True, admin=AdminSettings(token_file=token_file))


async def open_seeded_store(tmp_path: Path, clock: ManualClock) -> Store:
    """A fresh SQLite store in `tmp_path` holding the VENs of `seed_vens`."""
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}", clock=clock)
    await seed_vens(store)
    return store


def admin_app(token_file: Path, store: Store, clock: ManualClock) -> web.Application:
    """An application serving only the admin API (its token in `token_file`)."""
    app = web.Application()
    admin_routes(config(token_file), store=store, clock=clock)(app)
    return app


def simple_event(**changes) -> dict:
    """The JSON body of a SIMPLE event for ven-1 (as `changes` say)."""
    return {
        "targets": {"ven_ids": ["ven-1"]},
        "signal_name": "SIMPLE",
        "level": 2,
        "start": "+5m",
        "duration": "1h",
        "intervals": 4,
    } | changes


async def seed_reports(store: Store) -> None:
    """ven-1 offers telemetry, the VTN subscribed, and four quarter-hour power readings."""
    await store.reports.add_capabilities(
        "ven-1",
        [
            ReportCapability(
                ven_id="ven-1",
                report_specifier_id="telemetry",
                report_name=ReportName.METADATA_TELEMETRY_USAGE,
                created_at=T0,
                descriptions=(
                    ReportDescription(
                        r_id="power",
                        report_type=ReportType.USAGE,
                        reading_type=ReadingType.DIRECT_READ,
                        item_base=ItemBase.power(),
                        resource_id="meter-1",
                        min_period=timedelta(minutes=1),
                        max_period=timedelta(hours=1),
                    ),
                ),
            )
        ],
    )
    await store.reports.subscribe(
        ReportSubscription(
            report_request_id="rr-1",
            ven_id="ven-1",
            report_specifier_id="telemetry",
            r_ids=("power",),
            granularity=QUARTER,
            report_back_duration=timedelta(hours=1),
            requested_at=T0,
        )
    )
    await store.reports.add_readings(
        Reading(
            ven_id="ven-1",
            report_request_id="rr-1",
            r_id="power",
            start=T0 + n * QUARTER,
            duration=QUARTER,
            value=100.0 - 10 * n,
            report_type=ReportType.USAGE,
            reading_type=ReadingType.DIRECT_READ,
            item_units="W",
            scale="k",
        )
        for n in range(4)
    )
