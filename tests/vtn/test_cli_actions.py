"""`oadr-vtn report request|cancel` and `oadr-vtn ven reregister`: subprocesses against a real
admin API on a free port; each queues its message for the VEN."""

from __future__ import annotations

import pytest

from common.messages.registration import RequestReregistration
from common.messages.report import CancelReport, CreateReport
from tests.support.admin_api import Vtn, seed_reports
from tests.support.processes import oadr_vtn
from vtn.cli import main
from vtn.services.queue import decode_item


@pytest.mark.parametrize("command", [("report", "request"), ("report", "cancel"),
                                     ("ven", "reregister")], ids=" ".join)
def test_each_action_explains_itself_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"oadr-vtn {' '.join(command)}" in out and "examples:" in out and "--json" in out


async def queued(vtn: Vtn, ven_id: str) -> list[object]:
    return [decode_item(i) for i in await vtn.store.outbox.pending(ven_id=ven_id)]


async def test_report_request_and_cancel(vtn: Vtn):
    await seed_reports(vtn.store)
    run = await oadr_vtn("report", "request", "ven-1", "telemetry", "--rid", "power",
                         "--granularity", "5m", "--every", "15m", *vtn.options())
    assert run.code == 0, run.err
    assert "Requested report telemetry (power) from VEN ven-1" in run.out
    assert "sample every 300 s, sent every 900 s" in run.out
    [message] = await queued(vtn, "ven-1")
    assert isinstance(message, CreateReport)
    request_id = message.report_requests[0].report_request_id
    assert request_id in run.out

    run = await oadr_vtn("report", "request", "ven-1", "telemetry", "--granularity", "10s",
                         *vtn.options())
    assert run.code == 1 and run.err.count("\n") == 1
    assert run.err.startswith("oadr-vtn: --granularity:") and "minPeriod" in run.err

    run = await oadr_vtn("report", "cancel", request_id, "--report-to-follow", "--json",
                         *vtn.options())
    assert run.code == 0, run.err
    assert run.json()["subscription"]["status"] == "cancelled"
    cancel = (await queued(vtn, "ven-1"))[-1]
    assert isinstance(cancel, CancelReport) and cancel.report_request_ids == (request_id,)
    assert cancel.report_to_follow
    run = await oadr_vtn("report", "cancel", "nope", *vtn.options())
    assert run.code == 1 and "nope" in run.err


async def test_ven_reregister(vtn: Vtn):
    run = await oadr_vtn("ven", "reregister", "ven-1", *vtn.options())
    assert run.code == 0, run.err
    assert "Asked VEN ven-1 to register again" in run.out
    [message] = await queued(vtn, "ven-1")
    assert isinstance(message, RequestReregistration)
    run = await oadr_vtn("ven", "reregister", "ven-9", *vtn.options())
    assert run.code == 1 and "ven-9" in run.err


async def test_event_create_with_a_baseline_an_x_signal_and_setpoint_by_default(vtn: Vtn):
    run = await oadr_vtn("event", "create", "--all", "--signal", "LOAD_DISPATCH", "--kw", "40",
                         "--baseline-kw", "120,110", "--intervals", "2", "--start", "+5m",
                         "--duration", "1h", "--json", *vtn.options())
    assert run.code == 0, run.err
    made = run.json()
    assert made["signals"][0]["signal_type"] == "setpoint"
    assert [i["value"] for i in made["baseline"]["intervals"]] == [120, 110]
    run = await oadr_vtn("event", "create", "--all", "--signal", "x-myShed", "--type", "level",
                         "--level", "4", "--start", "+5m", "--duration", "1h", "--json",
                         *vtn.options())
    assert run.code == 0, run.err
    assert run.json()["signals"][0]["signal_name"] == "x-myShed"
    run = await oadr_vtn("event", "create", "--all", "--signal", "BOGUS", "--level", "1",
                         "--start", "+5m", "--duration", "1h", *vtn.options())
    assert run.code == 1 and run.err.startswith("oadr-vtn: --signal:")
