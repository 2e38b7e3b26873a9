"""A PostgreSQL server of a test's own (initdb into a temporary directory, on a free port), that the
test may stop and start again: the shared server on 127.0.0.1:5432 is never touched.

PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` OS user
(``runuser``), its directory owned by that user. ``private_postgres`` skips the test, with the
reason, when the binaries (``/usr/lib/postgresql/*/bin``) or that user are missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests.support.network import free_port

__all__ = ["PrivatePostgres", "postgres_binaries", "private_postgres"]

START_WAIT_S = 60.0
"""How long ``pg_ctl start`` may take on a loaded machine [s]."""


def postgres_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb and pg_ctl, or None."""
    found = [d for d in Path("/usr/lib/postgresql").glob("*/bin")
             if (d / "initdb").exists() and (d / "pg_ctl").exists()]
    return max(found, key=lambda d: int(d.parent.name)
               if d.parent.name.isdigit() else 0) if found else None


class PrivatePostgres:
    """One private server: ``url`` is the SQLAlchemy URL of its database ``vtn``."""

    def __init__(self, binaries: Path, directory: Path, port: int, user: str | None) -> None:
        self.port = port
        self._binaries = binaries
        self._directory = directory
        self._data = directory / "data"
        self._log = directory / "server.log"
        self._as_user = ["runuser", "-u", user, "--"] if user is not None else []

    @property
    def url(self) -> str:
        """``postgresql+asyncpg://`` URL of the database ``vtn`` (trust authentication)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/vtn"

    @property
    def dsn(self) -> str:
        """The same database for asyncpg itself."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/vtn"

    @property
    def pid_file(self) -> Path:
        """postmaster.pid: present while the server runs (or after it crashed)."""
        return self._data / "postmaster.pid"

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    async def _run(self, *command: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._as_user, *command, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, cwd=self._directory,
        )
        out, _ = await process.communicate()
        assert process.returncode == 0, f"{command[0]} failed: {out.decode()}\n{self.log()}"

    async def init(self) -> None:
        """initdb (trust authentication, no fsync at init) and the database ``vtn``."""
        await self._run(str(self._binaries / "initdb"), "-D", str(self._data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync")
        await self.start()
        admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        try:
            await admin.execute("CREATE DATABASE vtn")
        finally:
            await admin.close()

    async def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self._directory} -c max_connections=100")
        await asyncio.wait_for(self._run(
            str(self._binaries / "pg_ctl"), "-D", str(self._data), "-l", str(self._log),
            "-o", options, "-w", "-t", str(int(START_WAIT_S)), "start",
        ), timeout=START_WAIT_S + 10)

    async def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clients disconnected, open transactions rolled back, a
        clean shutdown) or ``immediate`` (as if it crashed: recovery at the next start)."""
        await asyncio.wait_for(self._run(
            str(self._binaries / "pg_ctl"), "-D", str(self._data), "-m", mode, "-w", "stop",
        ), timeout=START_WAIT_S)

    async def running(self) -> bool:
        """Whether the server answers a connection."""
        try:
            connection = await asyncpg.connect(self.dsn, timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await connection.close()
        return True


@asynccontextmanager
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    """A fresh private server with an empty database ``vtn``; stopped and deleted afterwards.
    Skips the test (with the reason) when PostgreSQL's binaries or its OS user are missing."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    user: str | None = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' OS user to run a private "
                        "PostgreSQL server as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to start PostgreSQL as 'postgres'")
        user = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="oadr-private-pg-"))  # /tmp: reachable by postgres
    if user is not None:
        shutil.chown(directory, user=user)
    server = PrivatePostgres(binaries, directory, free_port(), user)
    try:
        await server.init()
        yield server
    finally:
        if server.pid_file.exists():
            with contextlib.suppress(AssertionError):  # it was not running after all
                await server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
