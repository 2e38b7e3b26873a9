"""An admin token file that group or others may read or write is refused, never used or fixed;
workers making it together share one token."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from certs.pki import Pki
from common.clock import ManualClock, SystemClock
from common.errors import ConfigError
from tests.support.admin_api import T0, config
from tests.support.vtn_server import tls_config
from vtn.admin.routes import admin_routes
from vtn.admin.token import check_token_file_mode, ensure_admin_token, read_admin_token
from vtn.server import serve

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

TOKEN = "a-token-that-must-stay-secret-1234567890"
OPEN_MODES = [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o700 | 0o070, 0o610]


def token_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "admin token"  # a space: the suggested command quotes the path
    path.write_text(TOKEN + "\n")
    path.chmod(mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mode", OPEN_MODES, ids=oct)
def test_an_open_token_file_is_refused_and_left_alone(tmp_path: Path, mode: int):
    path = token_file(tmp_path, mode)
    for read in (ensure_admin_token, read_admin_token):
        with pytest.raises(ConfigError) as refused:
            read(path)
        message = str(refused.value)
        assert message.startswith("admin.token_file: ")
        assert str(path) in message and f"mode {mode:04o}" in message
        assert f"chmod 600 '{path}'" in message
        assert TOKEN not in message
    assert mode_of(path) == mode  # never chmod-ed behind the operator's back
    assert path.read_text().strip() == TOKEN


@pytest.mark.parametrize("mode", [0o600, 0o400], ids=oct)
def test_a_private_token_file_is_used(tmp_path: Path, mode: int):
    path = token_file(tmp_path, mode)
    assert ensure_admin_token(path) == TOKEN
    assert read_admin_token(path) == TOKEN
    check_token_file_mode(path)


def test_a_new_token_file_is_private_whatever_the_umask(tmp_path: Path):
    previous = os.umask(0)
    try:
        token = ensure_admin_token(tmp_path / "new" / "admin-token")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "new" / "admin-token") == 0o600
    assert read_admin_token(tmp_path / "new" / "admin-token") == token


async def test_the_vtn_does_not_start_with_an_open_token_file(tmp_path: Path, pki: Pki):
    path = token_file(tmp_path, 0o644)
    vtn_config = tls_config(tmp_path, pki)
    vtn_config = replace(vtn_config, admin=replace(vtn_config.admin, token_file=path))
    with pytest.raises(ConfigError, match=r"admin\.token_file: .*chmod 600"):
        await serve(vtn_config, clock=SystemClock())
    assert mode_of(path) == 0o644


def test_the_admin_routes_refuse_an_open_token_file(tmp_path: Path):
    path = token_file(tmp_path, 0o640)
    with pytest.raises(ConfigError, match=r"chmod 600"):
        admin_routes(config(path), clock=ManualClock(T0))(web.Application())


def test_workers_making_the_token_together_share_one_and_never_read_it_half_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state" / "admin-token"
    start = threading.Barrier(8)

    def worker() -> str:
        start.wait()
        return ensure_admin_token(path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: worker(), range(8)))
    assert len(set(tokens)) == 1 and tokens[0]
    assert read_admin_token(path) == tokens[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["admin-token"]  # no draft left behind
