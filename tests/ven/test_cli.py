"""The oadr-ven command: help, status, invitations and answers on a local state file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.ven_state import seed, write_config
from ven.cli import main


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
