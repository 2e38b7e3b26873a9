"""Run the VTN: open (and migrate) the store, serve the 2.0b app over TLS and the admin API on its
own loopback listener, push, stop on a signal; with ``workers > 1``, several such processes.

Two listeners, one ``Vtn`` (store, clock, queues) per process: the 2.0b endpoints on
``host:port`` (TLS with client certificates unless ``plain_http``), and the admin API on
``admin_host:admin_port`` (plain HTTP, bearer token; off when ``admin_port = 0``). The admin
routes are never served on the 2.0b listener, so the CLI needs no client certificate.

``run`` is the entry point of ``oadr-vtn serve``: it runs ``serve`` on uvloop (when installed),
in this process for one worker, or supervises ``workers`` processes that share the 2.0b port
(SO_REUSEPORT: the kernel spreads connections over them) and the database. Worker 0
also runs the admin API, the push worker and housekeeping; a worker that dies is started
again. On SQLite, ``serve`` locks the database file: one VTN process writes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import logging
import multiprocessing
import os
import signal
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from aiohttp import web

from common.clock import Clock, SystemClock
from common.errors import ConfigError
from common.security import server_context
from vtn.admin.routes import API_ROOT, admin_site
from vtn.admin.token import ensure_admin_token
from vtn.app import BOUNDARY_KEY, VTN_KEY, create_app
from vtn.config import SQLITE_PREFIX, VtnConfig
from vtn.logs import SERVER
from vtn.push import HttpPushTransport, PushWorker
from vtn.storage import StorageError, Store, open_store
from vtn.storage.changes import KEEP_NOTICES

__all__ = ["run", "serve"]

HOUSEKEEPING_INTERVAL = timedelta(minutes=1)
"""How often expired nonces and old finished pushes are deleted."""
KEEP_FINISHED_PUSHES = timedelta(days=7)
"""How long delivered (or given up) outbox items are kept, for the operator to look at."""


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


@contextlib.contextmanager
def _sqlite_lock(url: str) -> Iterator[None]:
    """Create the SQLite file's directory and hold ``<file>.lock`` while serving.

    ``ConfigError`` if another process holds it: two VTNs on one file would both push the same
    messages (the workers of one VTN run under the lock their supervisor holds, and stop when
    it is gone).
    """
    if not url.startswith(SQLITE_PREFIX):
        yield
        return
    path = Path(url.removeprefix(SQLITE_PREFIX))
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with lock.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(
                f"database_url: another VTN serves {path} (it holds {lock}); stop it first, or "
                "run one VTN with `workers = N`"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


async def serve(
    config: VtnConfig,
    *,
    clock: Clock,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    extra_routes: Callable[[web.Application], None] | None = None,
    worker: int = 0,
    migrate: bool = True,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set); `ready` is set once requests are taken.

    ``common.errors.ConfigError`` if the configuration cannot be used (certificates, database
    URL, admin token file). `extra_routes` adds routes to the 2.0b application (tests).
    The admin token is read from ``admin_token_file``, or made there at the first start.
    `worker` is this process's number when ``run`` started ``config.workers`` of them: only
    worker 0 serves the admin API, pushes and keeps house; the supervisor holds the SQLite lock
    for all of them, and brings the schema up to date before starting them (`migrate`).
    """
    with _sqlite_lock(config.database_url) if config.workers == 1 else contextlib.nullcontext():
        await _serve(config, clock=clock, ready=ready, stop=stop, extra_routes=extra_routes,
                     primary=worker == 0, migrate=migrate)


async def _serve(
    config: VtnConfig,
    *,
    clock: Clock,
    ready: asyncio.Event | None,
    stop: asyncio.Event | None,
    extra_routes: Callable[[web.Application], None] | None,
    primary: bool,
    migrate: bool,
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    tls = _tls_context(config)
    token = _admin_token(config) if config.admin_enabled and primary else None
    transport = HttpPushTransport(config)
    store = await open_store(config.database_url, clock=clock, migrate=migrate)
    runner: web.AppRunner | None = None
    admin_runner: web.AppRunner | None = None
    push_task: asyncio.Task[None] | None = None
    cleanup_task: asyncio.Task[None] | None = None
    handled: list[signal.Signals] = []
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, _on_signal, stop, signum)
                handled.append(signum)
        app = create_app(config, store, clock=clock, extra_routes=extra_routes)
        worker = PushWorker(app[VTN_KEY], transport, verifier=app[BOUNDARY_KEY].verifier)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, config.host, config.port, ssl_context=tls,
                           reuse_port=config.workers > 1)
        await site.start()
        if token is not None:
            admin_runner = web.AppRunner(
                admin_site(app[VTN_KEY], token=token), access_log=None, handle_signals=False
            )
            await admin_runner.setup()
            await web.TCPSite(admin_runner, config.admin_host, config.admin_port).start()
        if primary:
            push_task = asyncio.create_task(worker.run(stop), name="oadr-vtn-push")
            cleanup_task = asyncio.create_task(_housekeeping(store, clock, stop),
                                               name="oadr-vtn-gc")
            _log_start(config, runner, admin_runner)
        if ready is not None:
            ready.set()
        await stop.wait()
        SERVER.info("Stopping: no new requests; finishing the ones under way")
    finally:
        stop.set()
        for task in (push_task, cleanup_task):
            if task is not None:
                await task
        for listener in (admin_runner, runner):
            if listener is not None:
                await listener.cleanup()
        await transport.close()
        await store.close()
        for signum in handled:
            loop.remove_signal_handler(signum)
        SERVER.info("VTN stopped")


def _admin_token(config: VtnConfig) -> str:
    """The admin bearer token (made at the first start); ``ConfigError`` if it cannot be."""
    try:
        return ensure_admin_token(Path(config.admin_token_file))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"admin_token_file: cannot use {config.admin_token_file}: {exc}"
        ) from exc


def _tls_context(config: VtnConfig) -> ssl.SSLContext | None:
    """The server's TLS context (``None`` on plain HTTP); ``ConfigError`` if it cannot load."""
    if config.plain_http:
        return None
    if config.tls_cert is None or config.tls_key is None or config.tls_ca is None:
        raise ConfigError("tls_cert, tls_key and tls_ca are required without plain_http")
    try:
        return server_context(config.tls_cert, config.tls_key, ca=config.tls_ca,
                              password=config.tls_key_passphrase)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"tls_cert/tls_key/tls_ca: cannot load them: {exc}") from exc


async def _housekeeping(store: Store, clock: Clock, stop: asyncio.Event) -> None:
    """Delete expired ReplayProtect nonces and old finished pushes until `stop` is set."""
    while not stop.is_set():
        try:
            nonces = await store.nonces.purge()
            await store.purge_notices(clock.now() - KEEP_NOTICES)
            pushes = await store.outbox.purge_finished(clock.now() - KEEP_FINISHED_PUSHES)
            if nonces or pushes:
                SERVER.debug("Deleted %d expired nonce(s), %d old push(es)", nonces, pushes)
        except StorageError as exc:
            SERVER.warning("Housekeeping failed, will try again: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_INTERVAL.total_seconds())


def _on_signal(stop: asyncio.Event, signum: signal.Signals) -> None:
    SERVER.info("Received %s", signum.name)
    stop.set()


def _addresses(runner: web.AppRunner) -> str:
    return ", ".join(f"{a[0]}:{a[1]}" if isinstance(a, tuple) else str(a)
                     for a in runner.addresses)


def _log_start(
    config: VtnConfig, runner: web.AppRunner, admin_runner: web.AppRunner | None
) -> None:
    addresses = _addresses(runner) or f"{config.host}:{config.port}"
    scheme = "plain HTTP (no TLS: development only)" if config.plain_http else "HTTPS"
    SERVER.info("VTN %s listening on %s over %s", config.vtn_id, addresses, scheme)
    if admin_runner is None:
        SERVER.info("Admin API off (admin_port = 0)")
    else:
        SERVER.info(
            "Admin API on http://%s%s (plain HTTP%s); its bearer token is in %s",
            _addresses(admin_runner) or f"{config.admin_host}:{config.admin_port}",
            API_ROOT,
            "" if not config.admin_allow_remote else ", remote access allowed",
            config.admin_token_file,
        )
    if config.client_fingerprint_header:
        SERVER.info(
            "VEN identity comes from the %r header set by the proxy in front",
            config.client_fingerprint_header,
        )
    elif config.plain_http:
        SERVER.warning("No client certificates: any caller can act as any VEN")
    SERVER.info(
        "Signing our messages: %s; requiring VEN signatures: %s; poll frequency %s",
        "yes" if config.sign_messages else "no",
        "yes" if config.require_signatures else "no",
        config.poll_frequency,
    )


# ---- processes ----------------------------------------------------------------------------------


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop when it is installed (its event loop halves aiohttp's own cost per
    request), else on asyncio's."""
    try:
        import uvloop
    except ImportError:  # an optional speed-up: asyncio's loop does the same work
        asyncio.run(main)
        return
    uvloop.run(main)


def _configure_logging(level: str, worker: int | None) -> None:
    prefix = "" if worker is None else f"[worker {worker}] "
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s {prefix}%(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S", force=True)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def run(config: VtnConfig, *, log_level: str = "INFO") -> int:
    """Serve `config` until SIGTERM/SIGINT: one process, or ``config.workers`` supervised ones.

    Returns the exit status: 0 after a stop signal, 1 when the VTN could not start or a worker
    failed again right after being started (the reason is logged).
    """
    _configure_logging(log_level, None)
    if config.workers == 1:
        with contextlib.suppress(KeyboardInterrupt):
            _run_loop(serve(config, clock=SystemClock()))
        return 0
    with _sqlite_lock(config.database_url):
        _run_loop(_migrate(config))
        return _Supervisor(config, log_level).run()


async def _migrate(config: VtnConfig) -> None:
    """Bring the database schema up to date once, before the workers start."""
    store = await open_store(config.database_url, clock=SystemClock())
    await store.close()


def _worker_main(config: VtnConfig, worker: int, log_level: str, supervisor: int) -> None:
    """A worker process: serve until told to stop, or until its supervisor is gone; exit
    status 2 when it cannot start."""
    _configure_logging(log_level, worker)
    _stop_with(supervisor)
    try:
        _run_loop(serve(config, clock=SystemClock(), worker=worker, migrate=False))
    except (ConfigError, OSError) as exc:  # e.g. a port another program holds
        SERVER.error("Cannot start: %s", exc)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass


def _stop_with(supervisor: int) -> None:
    """SIGTERM this worker when process `supervisor` is gone (killed, even with SIGKILL): a
    worker left behind would go on serving and writing without the supervisor's lock."""
    with contextlib.suppress(OSError, AttributeError):  # Linux: at once, from the kernel
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    def watch() -> None:  # everywhere: within PARENT_CHECK_S
        while os.getppid() == supervisor:
            time.sleep(PARENT_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="oadr-vtn-supervisor-watch", daemon=True).start()


class _Supervisor:
    """Starts the workers, starts again one that dies, stops them all on SIGTERM/SIGINT."""

    def __init__(self, config: VtnConfig, log_level: str) -> None:
        self._config = config
        self._log_level = log_level
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, tuple[Any, float]] = {}
        self._stopping = False

    def run(self) -> int:
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
            target=_worker_main, args=(self._config, number, self._log_level, os.getpid()),
            name=f"oadr-vtn-worker-{number}", daemon=False,
        )
        process.start()
        self._workers[number] = (process, time.monotonic())

    def _watch(self) -> int:
        while not self._stopping:
            sentinels = {p.sentinel: n for n, (p, _) in self._workers.items()}
            for sentinel in wait(list(sentinels), timeout=1.0):
                number = sentinels[sentinel]  # type: ignore[index]
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
