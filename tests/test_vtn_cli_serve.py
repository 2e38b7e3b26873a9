"""`oadr-vtn serve`: options become the configuration; a served VTN is managed via its config."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import vtn.server
from common.clock import SystemClock
from tests.test_vtn_cli import free_port, oadr_vtn
from vtn.admin.routes import admin_routes
from vtn.cli import main
from vtn.config import VtnConfig, load_config


def test_serve_options_override_the_configuration(tmp_path: Path, monkeypatch):
    seen: dict[str, object] = {}

    async def fake_serve(config: VtnConfig, *, clock, extra_routes) -> None:
        seen.update(config=config, clock=clock, extra_routes=extra_routes)

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
        ]
    )
    assert code == 0
    config = seen["config"]
    assert isinstance(config, VtnConfig)
    assert config.plain_http and config.host == "0.0.0.0" and config.port == 8181
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'dev.sqlite'}"
    token_file = tmp_path / "secret" / "admin-token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert callable(seen["extra_routes"])


def test_serve_without_tls_settings_says_what_is_missing(tmp_path: Path, capsys):
    config_file = tmp_path / "vtn.toml"
    config_file.write_text("port = 9000\n")
    assert main(["serve", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert err == ("oadr-vtn: tls_cert: is required unless plain_http = true is set explicitly\n")


async def test_a_served_vtn_is_managed_with_nothing_but_its_config_file(tmp_path: Path):
    config_file = tmp_path / "vtn.toml"
    config_file.write_text(
        f"plain_http = true\nport = {free_port()}\n"
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "var" / "vtn.sqlite"}"\n'
        'admin_token_file = "var/admin-token"\n'
    )  # relative to the file's directory
    config = load_config(config_file)
    assert config.admin_token_file == tmp_path / "var" / "admin-token"
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        vtn.server.serve(
            config, clock=SystemClock(), ready=ready, stop=stop, extra_routes=admin_routes(config)
        )
    )
    await asyncio.wait_for(ready.wait(), timeout=30)
    try:
        run = await oadr_vtn("ven", "list", "--config", str(config_file))
        assert run.code == 0, run.err
        assert run.out == "No VENs registered.\n"
        run = await oadr_vtn("event", "list", "--config", str(config_file))
        assert run.out == "No events.\n"
        run = await oadr_vtn(
            "event",
            "create",
            "--all",
            "--level",
            "1",
            "--start",
            "+5m",
            "--duration",
            "1h",
            "--config",
            str(config_file),
        )
        assert run.code == 0 and run.out.startswith("Created Event"), run.err
    finally:
        stop.set()
        await task
