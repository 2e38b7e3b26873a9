"""The oadr-vtn command: `python -m vtn` subprocesses against a real admin API on a free port."""

from __future__ import annotations

import csv
import io
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from common.messages.enums import OptType
from tests.support.admin_api import Vtn, seed_reports
from tests.support.network import free_port
from tests.support.processes import oadr_vtn
from vtn.cli import main

# ---- help ---------------------------------------------------------------------------------

LEAVES = [
    ("serve",),
    ("ven", "list"),
    ("ven", "show"),
    ("ven", "cancel"),
    ("event", "create"),
    ("event", "modify"),
    ("event", "cancel"),
    ("event", "list"),
    ("event", "show"),
    ("event", "responses"),
    ("opt", "list"),
    ("report", "list"),
    ("report", "export"),
]


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_every_subcommand_explains_itself_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"oadr-vtn {' '.join(command)}" in out and "examples:" in out


def test_top_level_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "ven", "event", "opt", "report", "--utc", "admin.token_file"):
        assert command in out
    for group in ("ven", "event", "report"):
        with pytest.raises(SystemExit):
            main([group, "--help"])
        assert "ACTION" in capsys.readouterr().out


async def test_python_dash_m_vtn_runs_the_command():
    run = await oadr_vtn("--help")
    assert run.code == 0 and "usage: oadr-vtn" in run.out


# ---- events -------------------------------------------------------------------------------


async def test_create_events_for_listed_and_all_vens(vtn: Vtn):
    run = await oadr_vtn(
        "event",
        "create",
        "--ven",
        "ven-1",
        "--ven",
        "ven-2",
        "--level",
        "2",
        "--start",
        "+5m",
        "--duration",
        "1h",
        "--intervals",
        "4",
        "--startafter",
        "2m",
        "--test",
        "--json",
        *vtn.options(),
    )
    assert run.code == 0, run.err
    event = run.json()
    assert event["start"] == "2026-07-01T12:05:00Z" and event["test_event"] is True
    assert event["targets"]["ven_ids"] == ["ven-1", "ven-2"]
    assert [i["value"] for i in event["signals"][0]["intervals"]] == [2, 2, 2, 2]
    assert event["startafter"] == "PT2M"

    run = await oadr_vtn(
        "event",
        "create",
        "--all",
        "--signal",
        "LOAD_DISPATCH",
        "--kw",
        "50,80",
        "--start",
        "2026-07-01T16:00+02:00",
        "--duration",
        "PT2H",
        "--intervals",
        "2",
        "--priority",
        "1",
        "--response-required",
        "never",
        *vtn.options(),
    )
    assert run.code == 0, run.err
    assert run.out.startswith("Created Event ")
    assert "all VENs" in run.out and "SETPOINT [kW]" in run.out
    assert "2026-07-01 14:00 UTC" in run.out and "response required: never" in run.out

    run = await oadr_vtn("event", "list", *vtn.options())
    assert run.code == 0, run.err
    header, first, second = run.out.splitlines()
    assert "DURATION [min]" in header and "START" in header
    assert event["event_id"] in first and "VENs ven-1, ven-2" in first
    assert "2026-07-01 12:05 UTC" in first and "60" in first
    assert "50 80 kW" in second and "all VENs" in second

    run = await oadr_vtn("event", "list", "--json", *vtn.options())
    assert len(run.json()["events"]) == 2


async def test_times_are_local_with_their_zone_unless_utc(vtn: Vtn):
    run = await oadr_vtn(
        "event",
        "create",
        "--ven",
        "ven-1",
        "--level",
        "1",
        "--start",
        "2026-07-01T15:00",
        "--duration",
        "30m",
        *vtn.options(),
        env={"TZ": "Europe/Berlin"},
    )
    assert run.code == 0, run.err
    assert "2026-07-01 15:00 CEST" in run.out  # a time without a zone is local
    event_id = run.out.split()[2]
    run = await oadr_vtn(
        "event", "show", event_id, "--utc", *vtn.options(), env={"TZ": "Europe/Berlin"}
    )
    assert "2026-07-01 13:00 UTC" in run.out


async def test_modify_cancel_and_responses(vtn: Vtn):
    run = await oadr_vtn(
        "event",
        "create",
        "--group",
        "north",
        "--level",
        "1",
        "--start",
        "+1h",
        "--duration",
        "1h",
        "--json",
        *vtn.options(),
    )
    event_id = run.json()["event_id"]
    await vtn.store.invitations.mark_delivered(event_id, "ven-1", 0)
    vtn.clock.advance(timedelta(seconds=40))
    await vtn.store.invitations.record_opt(
        event_id, "ven-1", modification_number=0, opt_type=OptType.OPT_OUT
    )
    vtn.clock.advance(timedelta(seconds=60))
    await vtn.store.invitations.mark_delivered(event_id, "ven-1", 0)  # delivered again

    run = await oadr_vtn("event", "responses", event_id, "--json", *vtn.options())
    assert run.code == 0, run.err
    first, second = run.json()["responses"]
    assert (first["ven_id"], first["opt"], first["current"]) == ("ven-1", "optOut", True)
    assert first["first_delivered_at"] == "2026-07-01T12:00:00Z"
    assert first["delivered_at"] == "2026-07-01T12:01:40Z"
    assert (second["ven_id"], second["delivered"]) == ("ven-2", False)
    run = await oadr_vtn("event", "responses", event_id, *vtn.options())
    lines = run.out.splitlines()
    assert "modification 0: 2 VEN(s)" in lines[0]
    assert "FIRST DELIVERED" in lines[1] and "LAST DELIVERED" in lines[1]
    assert "optOut" in lines[2] and "12:00:40 UTC" in lines[2]
    assert lines[2].index("12:00 UTC") < lines[2].index("12:01:40 UTC")
    assert "no answer" in lines[3]

    run = await oadr_vtn(
        "event", "modify", event_id, "--level", "3", "--reason", "hotter", "--json", *vtn.options()
    )
    assert run.code == 0, run.err
    assert run.json()["modification_number"] == 1
    run = await oadr_vtn(
        "event", "modify", event_id, "--level", "2", "--expect-mod", "0", *vtn.options()
    )
    assert run.code == 1 and "at modification 1, not 0" in run.err
    run = await oadr_vtn("event", "cancel", event_id, *vtn.options())
    assert run.code == 0 and "Cancelled event" in run.out
    run = await oadr_vtn("event", "cancel", event_id, *vtn.options())
    assert run.code == 1 and "cancelled" in run.err


# ---- VENs and reports ---------------------------------------------------------------------


async def test_ven_list_show_cancel(vtn: Vtn):
    run = await oadr_vtn("ven", "list", *vtn.options())
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert "POLL EVERY [s]" in header and len(rows) == 3
    assert "push" in rows[2] and "south" in rows[2]
    run = await oadr_vtn("ven", "show", "ven-1", *vtn.options())
    assert "VEN ven-1 (building 1)" in run.out and "groups           north" in run.out
    run = await oadr_vtn("ven", "cancel", "ven-2", "--json", *vtn.options())
    assert run.code == 0, run.err
    assert run.json()["ven"]["status"] == "cancelled"
    run = await oadr_vtn("ven", "show", "ven-9", *vtn.options())
    assert run.code == 1 and run.err.count("\n") == 1 and "ven-9" in run.err


async def test_ven_list_flags_a_certificate_shared_by_two_vens(vtn: Vtn):
    vtn.clock.advance(timedelta(minutes=3))
    await vtn.store.vens.note_conflict("ven-1", "building 9")
    run = await oadr_vtn("ven", "list", "--utc", *vtn.options())
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert "CERTIFICATE" in header
    assert "SHARED" in rows[0] and "SHARED" not in rows[1]
    assert "'building 9'" in run.out and "12:03 UTC" in run.out
    assert "each VEN needs its own certificate" in run.out
    run = await oadr_vtn("ven", "list", "--json", *vtn.options())
    conflict = run.json()["vens"][0]["identity_conflict"]
    assert conflict == {"ven_name": "building 9", "at": "2026-07-01T12:03:00Z"}
    assert run.json()["vens"][1]["identity_conflict"] is None
    run = await oadr_vtn("ven", "show", "ven-1", "--utc", *vtn.options())
    assert "certificate      SHARED" in run.out


async def test_report_list_and_csv_export(vtn: Vtn, tmp_path: Path):
    await seed_reports(vtn.store)
    run = await oadr_vtn("report", "list", *vtn.options())
    assert run.code == 0, run.err
    assert "Reports offered (1):" in run.out and "power [kW]" in run.out
    assert "Reports requested (1):" in run.out and "SAMPLE [s]" in run.out

    run = await oadr_vtn("report", "export", "--ven", "ven-1", *vtn.options())
    assert run.code == 0, run.err
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert [float(r["value"]) for r in rows] == [100, 90, 80, 70]
    assert rows[0]["start"] == "2026-07-01T12:00:00Z" and rows[0]["item_units"] == "W"

    out = tmp_path / "export.csv"
    run = await oadr_vtn(
        "report",
        "export",
        "--rid",
        "power",
        "--from",
        "2026-07-01T12:15Z",
        "--to",
        "2026-07-01T12:45Z",
        "--out",
        str(out),
        *vtn.options(),
    )
    assert run.code == 0, run.err
    assert run.out.strip() == f"Wrote 2 reading(s) to {out}"
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [float(r["value"]) for r in rows] == [90, 80]


# ---- errors -------------------------------------------------------------------------------


async def test_unreachable_api_says_how_to_start_it(vtn: Vtn):
    run = await oadr_vtn(
        "ven",
        "list",
        "--url",
        f"http://127.0.0.1:{free_port()}",
        "--token-file",
        str(vtn.token_file),
    )
    assert run.code == 1 and run.out == ""
    assert run.err.startswith("oadr-vtn: cannot reach the VTN admin API")
    assert "oadr-vtn serve" in run.err and run.err.count("\n") == 1


async def test_the_cli_refuses_an_open_token_file(vtn: Vtn, tmp_path: Path):
    path = tmp_path / "open-token"
    path.write_text(vtn.token_file.read_text())  # the right token: only the mode is wrong
    path.chmod(0o644)
    run = await oadr_vtn("ven", "list", "--url", vtn.url, "--token-file", str(path))
    assert run.code == 1 and run.out == ""
    assert "chmod 600" in run.err and str(path) in run.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # refused, not chmod-ed


async def test_bad_token_missing_token_and_bad_input_are_one_line_errors(vtn: Vtn, tmp_path: Path):
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token\n")
    wrong.chmod(0o600)  # a token file others can read is refused before it is sent
    run = await oadr_vtn("ven", "list", "--url", vtn.url, "--token-file", str(wrong))
    assert run.code == 1 and "refused the token (401)" in run.err
    assert "not-the-token" not in run.err

    run = await oadr_vtn("ven", "list", "--url", vtn.url, "--token-file", str(tmp_path / "absent"))
    assert run.code == 1 and "no admin token at" in run.err and "oadr-vtn serve" in run.err

    run = await oadr_vtn(
        "event",
        "create",
        "--ven",
        "ven-1",
        "--level",
        "9",
        "--start",
        "+5m",
        "--duration",
        "1h",
        *vtn.options(),
    )
    assert run.code == 1
    assert run.err == "oadr-vtn: --level: SIMPLE levels are 0, 1, 2 or 3, got 9\n"

    run = await oadr_vtn(
        "event", "create", "--level", "1", "--start", "+5m", "--duration", "1h", *vtn.options()
    )
    assert run.code == 1 and "--ven VEN_ID" in run.err

    run = await oadr_vtn(
        "event",
        "create",
        "--ven",
        "x",
        "--level",
        "1",
        "--start",
        "tomorrow",
        "--duration",
        "1h",
        *vtn.options(),
    )
    # bad input, found by the CLI or by the API: one line, the option, the value, an example
    assert run.code == 1 and run.err.count("\n") == 1, run.err
    assert run.err.startswith("oadr-vtn: --start: 'tomorrow'") and "+5m" in run.err
    run = await oadr_vtn("event", "create", "--ven", "ven-1", "--level", "1", "--start", "+5m",
                         "--duration", "soon", *vtn.options())
    assert run.code == 1 and run.err.count("\n") == 1, run.err
    assert run.err.startswith("oadr-vtn: --duration: 'soon'") and "1h30m" in run.err
    run = await oadr_vtn("event", "list", "--limit", "many", *vtn.options())
    assert run.code == 1 and run.err.startswith("oadr-vtn: --limit: ") and "'many'" in run.err


async def test_relative_starts_are_aligned_and_a_past_start_is_warned_about(vtn: Vtn):
    vtn.clock.advance(timedelta(seconds=51))  # 12:00:51
    run = await oadr_vtn("event", "create", "--ven", "ven-1", "--level", "1", "--start", "+1m",
                         "--duration", "1h", "--json", *vtn.options())
    assert run.code == 0 and run.err == "", run.err
    assert run.json()["start"] == "2026-07-01T12:02:00Z"  # +1m: the next whole minute after
    first = run.json()["event_id"]
    run = await oadr_vtn("event", "create", "--ven", "ven-1", "--level", "1", "--start",
                         "2026-07-01T11:30:51Z", "--duration", "1h", *vtn.options())
    assert run.code == 0, run.err
    # two warnings, one a line: the past start, and the overlap with the first event (same
    # market context, same VEN: 11:30:51-12:30:51 against 12:02-13:02)
    started, overlaps = run.err.splitlines()
    assert run.err.count("\n") == 2 and "warning" in started and "warning" in overlaps
    assert "started 30 min ago" in started and "30 of its 60 min are left" in started
    assert f"overlaps event {first}" in overlaps and "ven-1" in overlaps
    run = await oadr_vtn("event", "create", "--help")
    assert "whole minute" in run.out


async def test_the_not_an_admin_api_hint_only_for_other_servers(vtn: Vtn):
    run = await oadr_vtn("event", "show", "no-such-event", *vtn.options())
    assert run.code == 1 and "no-such-event" in run.err
    assert "admin API?" not in run.err  # a real 404 of our API: the id is unknown

    other = TestServer(web.Application(), host="127.0.0.1", port=0)  # 404 for every path
    await other.start_server()
    try:
        options = ["--url", f"http://127.0.0.1:{other.port}", "--token-file", str(vtn.token_file)]
        run = await oadr_vtn("event", "show", "no-such-event", *options)
    finally:
        await other.close()
    assert run.code == 1 and "a VTN admin API?" in run.err


async def test_defaults_come_from_the_configuration_file(vtn: Vtn, tmp_path: Path):
    port = vtn.url.rsplit(":", 1)[1]
    config_file = tmp_path / "vtn.toml"
    config_file.write_text(
        f'plain_http = true\nadmin_port = {port}\nadmin_token_file = "{vtn.token_file}"\n'
    )
    run = await oadr_vtn("ven", "list", "--json", "--config", str(config_file))
    assert run.code == 0, run.err
    assert len(run.json()["vens"]) == 3
    run = await oadr_vtn("ven", "list", "--json", env={"OADR_VTN_CONFIG": str(config_file)})
    assert run.code == 0, run.err
    config_file.write_text("plain_http = 3\n")
    run = await oadr_vtn("ven", "list", "--config", str(config_file))
    assert run.code == 1 and "plain_http" in run.err
