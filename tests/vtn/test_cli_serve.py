"""`oadr-vtn serve`: options become the configuration; a served VTN is managed via its config,
or with no options at all from the directory it runs in."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

import vtn.server
from common.clock import SystemClock
from tests.support.network import free_port
from tests.support.processes import oadr_vtn
from vtn.cli import main
from vtn.config import VtnConfig, load_config


def test_serve_options_override_the_configuration(tmp_path: Path, monkeypatch):
    seen: dict[str, object] = {}

    async def fake_serve(config: VtnConfig, *, clock) -> None:
        seen.update(config=config, clock=clock)

    monkeypatch.setattr(vtn.server, "serve", fake_serve)
    config_file = tmp_path / "vtn.toml"
    config_file.write_text('port = 9000\nadmin_token_file = "secret/admin-token"\n')
    code = main(
        [
            "serve",
            "--config",
            str(config_file),
            "--plain-http",
            "--host",
            "0.0.0.0",
            "--port",
            "8181",
            "--db",
            str(tmp_path / "dev.sqlite"),
            "--admin-port",
            "9081",
        ]
    )
    assert code == 0
    config = seen["config"]
    assert isinstance(config, VtnConfig)
    assert config.plain_http and config.host == "0.0.0.0" and config.port == 8181
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'dev.sqlite'}"
    assert config.admin.token_file == tmp_path / "secret" / "admin-token"
    assert (config.admin.host, config.admin.port) == ("127.0.0.1", 9081)


def test_serve_without_tls_settings_says_what_is_missing(tmp_path: Path, capsys):
    config_file = tmp_path / "vtn.toml"
    config_file.write_text("port = 9000\n")
    assert main(["serve", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert err == (f"oadr-vtn: {config_file}: 3 problems:\n"
                   "  - tls.cert: is required unless plain_http = true is set explicitly\n"
                   "  - tls.key: is required unless plain_http = true is set explicitly\n"
                   "  - tls.ca: is required unless plain_http = true is set explicitly\n")


async def test_a_served_vtn_is_managed_with_nothing_but_its_config_file(tmp_path: Path):
    config_file = tmp_path / "etc" / "vtn.toml"
    config_file.parent.mkdir()
    config_file.write_text(f"plain_http = true\nport = {free_port()}\n"
                           f"[admin]\nport = {free_port()}\n")
    config = load_config(config_file)  # state_dir: var/ next to the file
    assert config.admin.token_file == tmp_path / "etc" / "var" / "admin-token"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'etc' / 'var' / 'vtn.sqlite'}"
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(vtn.server.serve(config, clock=SystemClock(), ready=ready,
                                                stop=stop))
    await asyncio.wait_for(ready.wait(), timeout=30)
    try:
        assert stat.S_IMODE(os.stat(config.admin.token_file).st_mode) == 0o600
        run = await oadr_vtn("ven", "list", "--config", str(config_file))
        assert run.code == 0, run.err
        assert run.out == "No VENs registered.\n"
        run = await oadr_vtn("event", "list", env={"OADR_VTN_CONFIG": str(config_file)})
        assert run.out == "No events.\n"
        run = await oadr_vtn(
            "event", "create", "--all", "--level", "1", "--start", "+5m", "--duration", "1h",
            "--config", str(config_file),
        )
        assert run.code == 0 and run.out.startswith("Created Event"), run.err
    finally:
        stop.set()
        await task


async def test_with_default_settings_the_cli_needs_no_options_on_the_vtns_host(
    tmp_path: Path, monkeypatch
):
    """`oadr-vtn serve` in a directory with the defaults; `oadr-vtn event create` there."""
    monkeypatch.chdir(tmp_path)
    config = load_config(None, {"plain_http": True, "port": free_port()})
    assert (config.admin.host, config.admin.port) == ("127.0.0.1", 8081)
    with socket.socket() as probe:  # the default admin port may be taken on a shared machine
        try:
            probe.bind(("127.0.0.1", 8081))
        except OSError:
            pytest.skip("port 8081 is in use here")
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(vtn.server.serve(config, clock=SystemClock(), ready=ready,
                                                stop=stop))
    await asyncio.wait_for(ready.wait(), timeout=30)
    try:
        assert (tmp_path / "var" / "admin-token").exists()
        run = await oadr_vtn(
            "event", "create", "--all", "--level", "1", "--start", "+5m", "--duration", "1h",
            cwd=tmp_path, env={"OADR_VTN_CONFIG": ""},
        )
        assert run.code == 0 and run.out.startswith("Created Event"), run.err
        run = await oadr_vtn("event", "list", "--json", cwd=tmp_path,
                             env={"OADR_VTN_CONFIG": ""})
        assert run.code == 0 and len(run.json()["events"]) == 1, run.err
    finally:
        stop.set()
        await task


def test_the_cli_says_when_the_admin_listener_is_off(tmp_path: Path, capsys):
    config_file = tmp_path / "vtn.toml"
    config_file.write_text("plain_http = true\nadmin_port = 0\n")
    assert main(["ven", "list", "--config", str(config_file)]) == 1
    assert "admin.port = 0" in capsys.readouterr().err
