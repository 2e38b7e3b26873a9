"""Opt schedules on an operator's command: the action text queued in the state file
(``ven.client.optactions``) and ``oadr-ven opt schedule`` input checks (``ven.optcli``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from common.messages.enums import OptReason, OptType
from ven.client.config import OptSchedule
from ven.client.optactions import (
    CANCEL_PREFIX,
    cancel_action,
    schedule_action,
    schedule_from_action,
)
from ven.optcli import add_opt_commands, opt_action


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_opt_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(["opt", *argv, "--config", "ven.toml"])


def test_an_open_ended_targeted_schedule_survives_the_state_file():
    schedule = OptSchedule(opt_id="s-1", opt_type=OptType.OPT_IN,
                           start=datetime(2026, 7, 15, 14, tzinfo=UTC), duration=timedelta(0),
                           reason=OptReason.X_SCHEDULE, resource_ids=("ahu-1",),
                           market_context="http://market.example")
    assert schedule_from_action(schedule_action(schedule)) == schedule
    assert cancel_action("s-1") == CANCEL_PREFIX + "s-1"


def test_the_command_line_becomes_the_action():
    action = opt_action(parse("schedule", "--id", "s-2", "--type", "out", "--start",
                              "2026-07-15T14:00", "--duration-min", "90", "--resource", "r"))
    schedule = schedule_from_action(action)
    assert (schedule.opt_type, schedule.start, schedule.duration, schedule.resource_ids) == (
        OptType.OPT_OUT, datetime(2026, 7, 15, 14, tzinfo=UTC), timedelta(minutes=90), ("r",))
    assert opt_action(parse("cancel", "s-2")) == "cancel-opt s-2"


@pytest.mark.parametrize("action", [
    "opt-schedule {}",
    "opt-schedule not json",
    'opt-schedule {"opt_id": "x", "opt_type": "optOut", "start": "2026-07-15T14:00", '
    '"duration_s": 60, "reason": "x-schedule", "resource_ids": [], "market_context": null}',
    'opt-schedule {"opt_id": "x", "opt_type": "optOut", "start": "2026-07-15T14:00+00:00", '
    '"duration_s": -1, "reason": "x-schedule", "resource_ids": [], "market_context": null}',
])
def test_a_malformed_action_is_refused(action: str):
    with pytest.raises(ValueError, match="opt"):
        schedule_from_action(action)


def test_a_zero_length_window_is_refused_on_the_command_line():
    with pytest.raises(ValueError, match="open-ended"):
        opt_action(parse("schedule", "--id", "s", "--type", "in", "--start",
                         "2026-07-15T14:00Z", "--duration-min", "0"))
