"""A private Mosquitto broker for one test: a TLS listener on a free port, optionally with
``allow_anonymous false`` and a password file; started as a subprocess, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.network import free_port

START_LIMIT_S = 10.0  # bound of the wait for the broker's port to accept [s]


@dataclass(frozen=True, slots=True)
class Broker:
    """A running private broker: where it listens and its log file."""

    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The ``mqtts://`` URL of its TLS listener."""
        return f"mqtts://{self.host}:{self.port}"


def mosquitto_missing() -> str | None:
    """Why a private broker cannot run here, or None when ``mosquitto`` is on the PATH."""
    return None if shutil.which("mosquitto") else "mosquitto is not installed"


def password_tool_missing() -> str | None:
    """Why a password file cannot be made, or None when ``mosquitto_passwd`` is on the PATH."""
    return None if shutil.which("mosquitto_passwd") else "mosquitto_passwd is not installed"


def _accepts(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


@contextmanager
def private_mosquitto(directory: Path, *, ca: Path, cert: Path, key: Path,
                      users: dict[str, str] | None = None) -> Iterator[Broker]:
    """Run ``mosquitto -c conf`` in `directory` with a TLS listener on 127.0.0.1 serving
    `cert`/`key` (signed by `ca`); with `users` (name -> password) anonymous clients are
    refused and only those users get in. Waits until the port accepts; terminates on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    host, port = "127.0.0.1", free_port()
    lines = ["per_listener_settings false", "persistence false", "log_dest stderr",
             "log_type error", "log_type warning", "log_type notice", "log_type information"]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to "mosquitto", who cannot read the key
    if users is None:
        lines.append("allow_anonymous true")
    else:
        passwords = directory / "passwd"
        passwords.touch(mode=0o600)
        for name, secret in users.items():
            subprocess.run(["mosquitto_passwd", "-b", str(passwords), name, secret],
                           check=True, capture_output=True, timeout=10)
        lines += ["allow_anonymous false", f"password_file {passwords}"]
    lines += [f"listener {port} {host}", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
    conf = directory / "mosquitto.conf"
    conf.write_text("\n".join(lines) + "\n")
    log = directory / "mosquitto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while not _accepts(host, port):
            if process.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({process.returncode}): "
                                   f"{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not listen on {host}:{port} within "
                                   f"{START_LIMIT_S} s: {log.read_text(errors='replace')}")
            time.sleep(0.02)
        yield Broker(host, port, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
