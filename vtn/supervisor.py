"""Run N VTN worker processes on one port: start them, restart one that dies, stop them all."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from vtn.config import VtnConfig
from vtn.logs import SERVER

__all__ = ["EARLY_EXIT_S", "PARENT_CHECK_S", "RESTART_DELAY_S", "STOP_GRACE_S", "Supervisor",
           "WorkerMain", "stop_with"]

RESTART_DELAY_S = 1.0
"""How long the supervisor waits before starting a worker that died again [s]."""
EARLY_EXIT_S = 10.0
"""A worker that exits this soon after its start failed to start (configuration, port): the
supervisor then stops everything instead of restarting it [s]."""
PARENT_CHECK_S = 1.0
"""How often a worker checks that its supervisor is still there [s]."""
_PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 20.0
"""How long the supervisor waits for its workers to finish after a stop signal [s]."""

WorkerMain = Callable[[VtnConfig, int, str, int], None]
"""A worker process's main: (config, worker number, log level, supervisor pid)."""


def stop_with(supervisor: int) -> None:
    """SIGTERM this worker when process `supervisor` is gone (killed, even with SIGKILL): a
    worker left behind would go on serving and writing without the supervisor's lock."""
    with contextlib.suppress(OSError, AttributeError):  # Linux: at once, from the kernel
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    def watch() -> None:  # everywhere: within PARENT_CHECK_S
        while os.getppid() == supervisor:
            time.sleep(PARENT_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="oadr-vtn-supervisor-watch", daemon=True).start()


class Supervisor:
    """Starts the workers, starts again one that dies, stops them all on SIGTERM/SIGINT.

    Each worker is a spawned process running ``worker_main(config, number, log_level,
    supervisor_pid)`` (a module-level function, so that it can be spawned).
    """

    def __init__(self, config: VtnConfig, log_level: str, worker_main: WorkerMain) -> None:
        self._config = config
        self._log_level = log_level
        self._worker_main = worker_main
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, tuple[Any, float]] = {}
        self._stopping = False

    def run(self) -> int:
        """Run the workers until SIGTERM/SIGINT; the exit status (1: a worker failed right
        after its start)."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        SERVER.info("Starting %d workers on %s:%d (pid %d supervises)", self._config.workers,
                    self._config.host, self._config.port, os.getpid())
        try:
            for number in range(self._config.workers):
                self._start(number)
            return self._watch()
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start(self, number: int) -> None:
        process = self._context.Process(
            target=self._worker_main, args=(self._config, number, self._log_level, os.getpid()),
            name=f"oadr-vtn-worker-{number}", daemon=False,
        )
        process.start()
        self._workers[number] = (process, time.monotonic())

    def _watch(self) -> int:
        while not self._stopping:
            sentinels = {p.sentinel: n for n, (p, _) in self._workers.items()}
            for sentinel in wait(list(sentinels), timeout=1.0):
                number = sentinels[sentinel]
                process, started = self._workers[number]
                process.join()
                if self._stopping:
                    break
                if time.monotonic() - started < EARLY_EXIT_S:
                    SERVER.error("Worker %d exited with %s right after its start; stopping the "
                                 "VTN", number, process.exitcode)
                    return 1
                SERVER.error("Worker %d exited with %s; starting it again", number,
                             process.exitcode)
                time.sleep(RESTART_DELAY_S)
                self._start(number)
        return 0

    def _on_signal(self, signum: int, _frame: Any) -> None:
        SERVER.info("Received %s: stopping the workers", signal.Signals(signum).name)
        self._stopping = True

    def _stop_all(self) -> None:
        for process, _ in self._workers.values():
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker finishes what it is doing
        deadline = time.monotonic() + STOP_GRACE_S
        for process, _ in self._workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                SERVER.warning("Worker %s did not stop in %.0f s; killing it", process.name,
                               STOP_GRACE_S)
                process.kill()
                process.join()
        SERVER.info("VTN stopped")
