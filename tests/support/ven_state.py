"""A VEN's files for the ``oadr-ven`` command: a configuration and a seeded state database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.messages.examples import oadr_event
from tests.support.processes import ROOT
from ven.client.events import event_to_xml, summarize
from ven.client.store import Registration, Store, StoredEvent

BUILDING = ROOT / "examples" / "buildings" / "office.toml"


def write_config(tmp_path: Path, url: str = "http://127.0.0.1:9/OpenADR2/Simple/2.0b") -> Path:
    """A VEN configuration (plain HTTP, by default to a closed port; no auto answer) in
    `tmp_path`."""
    config = tmp_path / "ven.toml"
    config.write_text(f"""
[vtn]
url = "{url}"
allow_plain_http = true
[ven]
name = "cli-ven"
database = "ven.sqlite"
building = "{BUILDING}"
[events]
auto_answer = false
""")
    return config


async def seed(database: Path) -> None:
    """A VEN state database holding a registration and one invitation (event-0)."""
    store = await Store.open(database)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    base = oadr_event(full=False)
    item = dataclasses.replace(base, event=dataclasses.replace(
        base.event, active_period=dataclasses.replace(base.event.active_period, dtstart=start)))
    await store.save_registration(Registration(
        vtn_id="vtn-x", ven_id="ven-y", registration_id="reg-z",
        poll_freq=timedelta(seconds=10), registered_at=start - timedelta(days=1)))
    await store.save_events([StoredEvent(
        event_id="event-0", modification_number=0, phase="active",
        event_xml=event_to_xml(item, "vtn-x"), effective_start=start,
        end=start + timedelta(hours=1), received_at=start - timedelta(hours=2),
        summary=summarize(item.event, start), request_id="dist-1")])
    await store.close()
