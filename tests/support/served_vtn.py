"""Our VTN as a real subprocess (``python -m vtn serve``) on free local ports, for tests that
must reach it only over the network (the conformance kit)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from certs.pki import KeyType, Pki
from tests.support.network import free_port
from tests.support.processes import LISTEN_WAIT, ROOT

__all__ = ["ServedVtn", "served_vtn"]


@dataclass(frozen=True)
class ServedVtn:
    url: str
    """The 2.0b base URL."""
    admin_url: str
    token_file: Path


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _written(token: Path) -> bool:
    """Whether the VTN has finished writing its admin token (one line; the file is created
    before the token is written into it)."""
    try:
        return token.read_text(encoding="utf-8").endswith("\n")
    except FileNotFoundError:
        return False


@contextmanager
def served_vtn(directory: Path, *, identity_header: str | None = None, tables: str = "",
               pki: Pki | None = None, key_type: KeyType = "rsa") -> Iterator[ServedVtn]:
    """A plain-HTTP VTN with its config, database and admin token in `directory`; with
    `identity_header` it takes the VEN's certificate fingerprint from that header (as behind a
    TLS-terminating proxy), else it knows VENs by venID alone. With `pki` it serves HTTPS
    instead (the VTN's certificate of `key_type`, VEN certificates chaining to the bundle).
    `tables`: more of vtn.toml (e.g. ``[reports]``)."""
    port, admin = free_port(), free_port()
    config = directory / "vtn.toml"
    if pki is not None:
        pair = pki.pair("vtn", key_type)
        head = (f'port = {port}\n[tls]\ncert = "{pair.cert}"\nkey = "{pair.key}"\n'
                f'ca = "{pki.ca_bundle}"\n')
    else:
        tls = (f'[tls]\nclient_fingerprint_header = "{identity_header}"\n' if identity_header
               else "")
        head = f"plain_http = true\nport = {port}\n{tls}"
    config.write_text(f"{head}[admin]\nport = {admin}\n{tables}")
    log = directory / "vtn.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "vtn", "serve", "--config", str(config)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + LISTEN_WAIT
        token = directory / "var" / "admin-token"
        while not (_accepts(port) and _accepts(admin) and _written(token)):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the VTN did not listen: {log.read_text()}"
            time.sleep(0.05)  # another process is starting
        scheme = "http" if pki is None else "https"
        yield ServedVtn(f"{scheme}://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
                        f"http://127.0.0.1:{admin}", token)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
