"""Unit tests of the VEN client's pure parts: event changes, randomisation, back-off, report
windows and configuration errors."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.errors import ConfigError, InvalidId
from common.messages.enums import EventStatus, OptType, ReadingType
from common.messages.event import DistributeEvent, OadrEvent
from common.messages.examples import oadr_event
from common.messages.report import ReportRequest, ReportSpecifier, SpecifierPayload
from common.messages.types import Period
from ven.client import Backoff
from ven.client.config import ReportPoints, parse_config
from ven.client.events import (
    Change,
    classify,
    effective_start,
    event_from_xml,
    event_to_xml,
    summarize,
)
from ven.client.reports import after_window, due_window, subscribe

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def event(event_id: str, mod: int = 0, *, status: EventStatus = EventStatus.FAR,
          startafter: timedelta | None = None) -> OadrEvent:
    base = oadr_event(full=False)
    descriptor = dataclasses.replace(base.event.event_descriptor, event_id=event_id,
                                     modification_number=mod, event_status=status)
    period = dataclasses.replace(base.event.active_period, tolerance_startafter=startafter)
    return dataclasses.replace(base, event=dataclasses.replace(
        base.event, event_descriptor=descriptor, active_period=period))


def distribute(*events: OadrEvent) -> DistributeEvent:
    return DistributeEvent(request_id="r", vtn_id="vtn", events=events)


def test_classify_every_kind_of_change():
    known = {"same": (1, "active"), "newer": (1, "active"), "older": (3, "active"),
             "gone": (0, "active"), "done": (0, "completed"), "cancel": (0, "active")}
    message = distribute(event("same", 1), event("newer", 2), event("older", 2),
                         event("cancel", 1, status=EventStatus.CANCELLED), event("fresh"))
    changes = {event_id: change for change, event_id, _ in classify(known, message)}
    assert changes == {"same": Change.UNCHANGED, "newer": Change.MODIFIED,
                       "older": Change.STALE, "cancel": Change.CANCELLED, "fresh": Change.NEW,
                       "gone": Change.IMPLIED_CANCELLED}


def test_effective_start_is_random_within_startafter_and_stable():
    item = event("ev", startafter=timedelta(minutes=10))
    start = item.event.active_period.dtstart
    draws = {effective_start(item.event, f"ven-{i}") for i in range(50)}
    assert all(start <= d < start + timedelta(minutes=10) for d in draws)
    assert len(draws) > 10  # different VENs spread out
    assert effective_start(item.event, "ven-1") == effective_start(item.event, "ven-1")
    assert effective_start(event("ev").event, "ven-1") == start  # no window, no shift


def test_event_round_trips_through_storage_and_reads_well():
    item = event("ev-7")
    assert event_from_xml(event_to_xml(item, "vtn")) == item
    text = summarize(item.event, item.event.active_period.dtstart)
    assert text == "SIMPLE level 1 from 2026-07-01 17:00 UTC for 1 h"
    local = summarize(item.event, item.event.active_period.dtstart,
                      ZoneInfo("America/Los_Angeles"))
    assert local == "SIMPLE level 1 from 2026-07-01 10:00 PDT for 1 h"


def test_backoff_doubles_with_jitter_up_to_the_cap():
    backoff = Backoff(initial=1.0, maximum=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def request(specifier: str, r_ids: tuple[str, ...], granularity: timedelta,
            back: timedelta, interval: Period | None = None) -> ReportRequest:
    return ReportRequest(report_request_id="rr-1", report_specifier=ReportSpecifier(
        report_specifier_id=specifier, granularity=granularity, report_back_duration=back,
        specifier_payloads=tuple(SpecifierPayload(r_id=r, reading_type=ReadingType.DIRECT_READ)
                                 for r in r_ids),
        report_interval=interval))


def test_periodic_subscription_windows():
    points = ReportPoints()
    sub = subscribe(request("TELEMETRY_USAGE", ("usage",), timedelta(minutes=1),
                            timedelta(minutes=5)), points, NOW + timedelta(seconds=42))
    assert sub.start == NOW and sub.end is None
    assert due_window(sub, NOW + timedelta(minutes=4)) is None
    window = due_window(sub, NOW + timedelta(minutes=5))
    assert window == (NOW, NOW + timedelta(minutes=5))
    sub = after_window(sub, window[1])
    assert sub.state == "active" and due_window(sub, NOW + timedelta(minutes=9)) is None


def test_history_one_shot_and_unknown_reports():
    points = ReportPoints()
    interval = Period(dtstart=NOW - timedelta(days=1), duration=timedelta(hours=24))
    sub = subscribe(request("HISTORY_USAGE", ("history_usage",), timedelta(hours=1),
                            timedelta(0), interval), points, NOW)
    assert due_window(sub, NOW) == (NOW - timedelta(days=1), NOW)
    assert after_window(sub, NOW).state == "complete"
    # a reportSpecifierID or rID the VEN never offered is an invalid ID (452, R1_3190)
    with pytest.raises(InvalidId):
        subscribe(request("NOPE", ("usage",), timedelta(minutes=1), timedelta(0)), points, NOW)
    with pytest.raises(InvalidId):
        subscribe(request("TELEMETRY_USAGE", ("nope",), timedelta(minutes=1), timedelta(0)),
                  points, NOW)


def test_config_defaults_and_field_named_errors(tmp_path: Path):
    config = parse_config("""
[vtn]
url = "http://127.0.0.1:8080/OpenADR2/Simple/2.0b/"
allow_plain_http = true
[ven]
name = "v"
database = "state.sqlite"
poll_interval_s = 2
""", base=tmp_path)
    assert config.vtn_url.endswith("/2.0b") and config.database == tmp_path / "state.sqlite"
    assert config.auto_answer and config.default_opt is OptType.OPT_IN
    assert config.poll_interval == timedelta(seconds=2)
    minimal = parse_config("""
[vtn]
url = "http://127.0.0.1:8080/OpenADR2/Simple/2.0b"
allow_plain_http = true
[ven]
name = "v"
""", base=tmp_path)
    assert minimal.database == tmp_path / "var" / "ven.sqlite"  # next to the config file
    with pytest.raises(ConfigError) as error:
        parse_config("""
[vtn]
url = "ftp://x"
colour = "blue"
[ven]
name = 3
database = "x.sqlite"
[events]
default_opt = "maybe"
[reports]
usage_rid = "same"
baseline_rid = "same"
""")
    text = str(error.value)
    for field in ("vtn.url: must start with https://", "vtn.colour: is not a known setting",
                  "ven.name: must be a string", "events.default_opt: must be \"in\" or \"out\"",
                  "reports: the four rIDs must differ"):
        assert field in text


def test_public_api_is_pinned():
    import ven.client

    assert sorted(ven.client.__all__) == sorted([
        "Backoff", "DeterministicSource", "EventHandler", "EventPhase", "EventState",
        "Exchange", "HttpTransport", "MessageSecurity", "NoEventHandler", "OptSchedule",
        "PointKind", "Reading", "ReadingSource", "ReportPoints", "Sleeper", "Store", "TlsFiles",
        "Transport", "TransportError", "VenClient", "VenConfig", "asyncio_sleeper",
        "build_client", "build_exchange", "load_config",
    ])
    for name in ven.client.__all__:
        assert getattr(ven.client, name) is not None


async def test_purge_forgets_only_what_ended_long_ago(tmp_path: Path):
    from ven.client.store import Answer, Store, StoredEvent

    store = await Store.open(tmp_path / "s.sqlite")
    try:
        def stored(event_id: str, phase: str, end: datetime) -> StoredEvent:
            return StoredEvent(event_id=event_id, modification_number=0, phase=phase,
                               event_xml=event_to_xml(event(event_id), "vtn"),
                               effective_start=end - timedelta(hours=1), end=end,
                               received_at=end - timedelta(days=1), summary="s")
        old = NOW - timedelta(days=40)
        await store.save_events(
            [stored("old-done", "completed", old), stored("old-active", "active", old),
             stored("recent", "cancelled", NOW)],
            [Answer(event_id="old-done", modification_number=0, device_id="", opt="optIn",
                    source="auto", answered_at=old)])
        await store.purge(NOW - timedelta(days=30))
        assert [e.event_id for e in await store.events()] == ["old-active", "recent"]
        assert await store.answers("old-done") == []
    finally:
        await store.close()


def test_open_one_shot_report_ends_on_a_whole_interval():
    points = ReportPoints()
    interval = Period(dtstart=NOW - timedelta(minutes=10), duration=timedelta(0))
    sub = subscribe(request("TELEMETRY_USAGE", ("usage",), timedelta(minutes=1), timedelta(0),
                            interval), points, NOW)
    assert due_window(sub, NOW + timedelta(seconds=90.5)) == (
        NOW - timedelta(minutes=10), NOW + timedelta(minutes=1))
