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

__all__ = ["PARENT_CHECK_S", "RESTART_DELAY_MAX_S", "RESTART_DELAY_S", "STOP_GRACE_S",
           "Serving", "Supervisor", "WorkerMain", "stop_with"]

RESTART_DELAY_S = 1.0
"""How long the supervisor waits before starting a worker that died again [s]; doubled for
each restart after which the worker did not serve, up to ``RESTART_DELAY_MAX_S``."""
RESTART_DELAY_MAX_S = 30.0
"""The longest wait before starting a worker again [s]."""
PARENT_CHECK_S = 1.0
"""How often a worker checks that its supervisor is still there [s]."""
_PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 20.0
"""How long the supervisor waits for its workers to finish after a stop signal [s]."""

Serving = Any
"""A ``multiprocessing`` Event the worker sets once it serves (``Serving.set()``)."""
WorkerMain = Callable[[VtnConfig, int, str, int, Serving], None]
"""A worker process's main: (config, worker number, log level, supervisor pid, the event it
sets once it serves)."""


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
    supervisor_pid, serving)`` (a module-level function, so that it can be spawned); it sets
    `serving` once it takes requests. A worker that exits before it ever served at its first
    start failed to start (configuration, port, database): the supervisor stops the VTN. Any
    other exit (killed, crashed) is followed by a new start of that worker.
    """

    def __init__(self, config: VtnConfig, log_level: str, worker_main: WorkerMain) -> None:
        self._config = config
        self._log_level = log_level
        self._worker_main = worker_main
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, tuple[Any, Serving]] = {}
        self._delays: dict[int, float] = {}
        self._restarted: set[int] = set()
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
        serving = self._context.Event()
        process = self._context.Process(
            target=self._worker_main,
            args=(self._config, number, self._log_level, os.getpid(), serving),
            name=f"oadr-vtn-worker-{number}", daemon=False,
        )
        process.start()
        self._workers[number] = (process, serving)

    def _watch(self) -> int:
        while not self._stopping:
            sentinels = {p.sentinel: n for n, (p, _) in self._workers.items()}
            for sentinel in wait(list(sentinels), timeout=1.0):
                number = sentinels[sentinel]
                process, serving = self._workers[number]
                process.join()
                if self._stopping:
                    break
                served = serving.is_set()
                if not served and number not in self._restarted:
                    SERVER.error("Worker %d exited with %s before it served; stopping the VTN",
                                 number, process.exitcode)
                    return 1
                delay = RESTART_DELAY_S if served else min(
                    2 * self._delays.get(number, RESTART_DELAY_S), RESTART_DELAY_MAX_S)
                self._delays[number] = delay
                SERVER.error("Worker %d exited with %s%s; starting it again in %.0f s", number,
                             process.exitcode, "" if served else " before it served", delay)
                time.sleep(delay)
                self._restarted.add(number)
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
