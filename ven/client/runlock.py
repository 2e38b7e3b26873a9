"""Whether ``oadr-ven run`` is running on a state file: an advisory lock held while it runs.

The lock (``fcntl.flock`` on ``<state file>.lock``) is released by the operating system when
the process ends, however it ends, so a VEN killed with SIGKILL never looks alive. The
``oadr-ven`` operator commands use it to decide between queueing an action for the running
VEN (in the state file) and carrying it out themselves.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from common.errors import ConfigError

__all__ = ["RunLock", "is_running"]


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class RunLock:
    """Held by ``oadr-ven run`` (``with RunLock(database):``); a second run on the same state
    file gets a ``ConfigError``."""

    def __init__(self, database: Path) -> None:
        self._path = _lock_path(database)
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"RunLock({str(self._path)!r})"

    def __enter__(self) -> RunLock:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(f"another `oadr-ven run` is using the state file "
                              f"{self._path.with_suffix('')}") from None
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def is_running(database: Path) -> bool:
    """Whether an ``oadr-ven run`` holds the lock of the state file `database`."""
    path = _lock_path(database)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
