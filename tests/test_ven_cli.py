"""The oadr-ven command: help, status, invitations and answers on a local state file."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.messages.examples import oadr_event
from ven.cli import main
from ven.client.events import event_to_xml, summarize
from ven.client.store import Registration, Store, StoredEvent

BUILDING = Path(__file__).resolve().parent.parent / "examples" / "buildings" / "office.toml"


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "ven.toml"
    config.write_text(f"""
[vtn]
url = "http://127.0.0.1:9/OpenADR2/Simple/2.0b"
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


def test_help_mentions_every_command(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "status", "invitations", "answer"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["answer", "--help"])
    assert "--device" in capsys.readouterr().out


def test_invitation_answered_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = write_config(tmp_path)
    asyncio.run(seed(tmp_path / "ven.sqlite"))

    assert main(["invitations", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "1 event(s) waiting for your answer" in out and "event-0 (mod 0" in out

    assert main(["answer", "event-0", "--opt", "out", "--device", "nope",
                 "--config", str(config)]) == 2
    assert "no device 'nope' in the building" in capsys.readouterr().err

    assert main(["answer", "event-0", "--opt", "out", "--device", "rtu-north",
                 "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["opt"] == "optOut"

    assert main(["invitations", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["status", "--config", str(config), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["registration"]["ven_id"] == "ven-y"
    (event,) = status["events"]
    assert event["opt"] == "optIn" and event["device_opts"] == {"rtu-north": "optOut"}

    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Registered with VTN vtn-x as venID ven-y" in out


def test_bad_config_is_reported_with_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = tmp_path / "bad.toml"
    config.write_text('[vtn]\nurl = "https://x"\n[ven]\nname = "v"\ndatabase = "d.sqlite"\n')
    assert main(["status", "--config", str(config)]) == 2
    assert "vtn.fingerprint: is required with TLS" in capsys.readouterr().err
