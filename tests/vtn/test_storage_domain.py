"""VTN domain types: invariants, and the event status as a pure function of an explicit `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from common.messages.enums import EventStatus, OptReason, OptType, SignalName, SignalType
from vtn.domain import (
    AvailabilityPeriod,
    Event,
    EventRequest,
    EventTargets,
    Invitation,
    Opt,
    Signal,
    SignalInterval,
    VenRegistration,
    event_status,
)

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def level_signal() -> Signal:
    return Signal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="s1",
        intervals=(SignalInterval(duration=HOUR, value=1.0),),
    )


def event(
    *, duration: timedelta = HOUR, ramp_up: timedelta | None = None, cancelled: bool = False
) -> Event:
    request = EventRequest(
        targets=EventTargets.everyone(),
        market_context="http://mc.example/program",
        signals=(level_signal(),),
        start=START,
        duration=duration,
        ramp_up=ramp_up,
    )
    return Event(
        event_id="e1",
        modification_number=1 if cancelled else 0,
        created_at=START - 2 * HOUR,
        request=request,
        cancelled_at=START - HOUR if cancelled else None,
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - 2 * HOUR, EventStatus.FAR),
        (START - timedelta(microseconds=1), EventStatus.FAR),
        (START, EventStatus.ACTIVE),
        (START + HOUR - timedelta(microseconds=1), EventStatus.ACTIVE),
        (START + HOUR, EventStatus.COMPLETED),
        (START + 100 * HOUR, EventStatus.COMPLETED),
    ],
)
def test_status_follows_the_active_period(now, expected):
    assert event_status(event(), now) is expected
    assert event().status(now) is expected


def test_near_is_the_ramp_up_window_before_the_start():
    ramped = event(ramp_up=timedelta(minutes=30))
    assert event_status(ramped, START - timedelta(minutes=31)) is EventStatus.FAR
    assert event_status(ramped, START - timedelta(minutes=30)) is EventStatus.NEAR
    assert event_status(ramped, START - timedelta(seconds=1)) is EventStatus.NEAR


def test_without_ramp_up_near_uses_the_programs_window_or_never():
    plain = event()
    assert event_status(plain, START - timedelta(minutes=5)) is EventStatus.FAR
    window = timedelta(minutes=10)
    assert event_status(plain, START - timedelta(minutes=5), near_window=window) is (
        EventStatus.NEAR
    )
    # the event's own ramp-up wins over the program's window
    ramped = event(ramp_up=timedelta(minutes=1))
    assert event_status(ramped, START - timedelta(minutes=5), near_window=window) is (
        EventStatus.FAR
    )


def test_an_open_ended_event_stays_active():
    open_ended = event(duration=timedelta(0))
    assert open_ended.request.end is None
    assert event_status(open_ended, START + 1000 * HOUR) is EventStatus.ACTIVE


@pytest.mark.parametrize("now", [START - HOUR, START, START + 2 * HOUR])
def test_a_cancelled_event_is_cancelled_at_any_time(now):
    assert event_status(event(cancelled=True), now) is EventStatus.CANCELLED


def test_status_accepts_any_aware_now_and_refuses_naive():
    eastern = timezone(timedelta(hours=-5))
    assert event_status(event(), START.astimezone(eastern)) is EventStatus.ACTIVE
    with pytest.raises(ValueError, match="timezone-aware"):
        event_status(event(), START.replace(tzinfo=None))


def test_targets_must_be_explicit():
    with pytest.raises(ValueError, match="needs targets"):
        EventTargets()
    with pytest.raises(ValueError, match="not both"):
        EventTargets(all_vens=True, ven_ids=("v1",))
    assert EventTargets(group_ids=("g",)).all_vens is False


def test_event_requests_check_their_content():
    with pytest.raises(ValueError, match="timezone-aware"):
        EventRequest(
            targets=EventTargets.everyone(),
            market_context="mc",
            signals=(level_signal(),),
            start=START.replace(tzinfo=None),
            duration=HOUR,
        )
    with pytest.raises(ValueError, match="at least one signal"):
        EventRequest(
            targets=EventTargets.everyone(), market_context="mc", signals=(), start=START,
            duration=HOUR,
        )  # fmt: skip
    with pytest.raises(ValueError, match="unique"):
        EventRequest(
            targets=EventTargets.everyone(), market_context="mc",
            signals=(level_signal(), level_signal()), start=START, duration=HOUR,
        )  # fmt: skip
    with pytest.raises(ValueError, match="negative"):
        EventRequest(
            targets=EventTargets.everyone(), market_context="mc", signals=(level_signal(),),
            start=START, duration=-HOUR,
        )  # fmt: skip


def test_a_push_registration_needs_an_address():
    with pytest.raises(ValueError, match="transport_address"):
        VenRegistration(fingerprint="aa:bb", http_pull_model=False)
    push = VenRegistration(
        fingerprint="aa:bb", http_pull_model=False, transport_address="https://ven.example/"
    )
    assert push.transport_address == "https://ven.example/"


def test_an_opt_names_an_event_or_a_schedule():
    common = {
        "opt_id": "o1",
        "ven_id": "v1",
        "opt_type": OptType.OPT_OUT,
        "opt_reason": OptReason.MUST_RUN,
        "created_at": START,
        "received_at": START,
    }
    with pytest.raises(ValueError, match="names an event"):
        Opt(**common)
    with pytest.raises(ValueError, match="both event_id and modification_number"):
        Opt(**common, event_id="e1")
    Opt(**common, event_id="e1", modification_number=0)
    Opt(**common, availability=(AvailabilityPeriod(start=START, duration=HOUR),))


def test_an_invitation_knows_whether_the_ven_is_current():
    invitation = Invitation(event_id="e1", ven_id="v1", delivered_modification_number=2)
    assert invitation.is_current(2)
    assert invitation.is_current(1)
    assert not invitation.is_current(3)
    assert not Invitation(event_id="e1", ven_id="v1").is_current(0)
