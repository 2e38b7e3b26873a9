"""Run the VTN: bind its ports, open (and migrate) the store, serve the 2.0b app over TLS and the
admin API on its own loopback listener, push, stop on a signal; with ``workers > 1``, several
such processes.

Two listeners, one ``Vtn`` (store, clock, queues) per process: the 2.0b endpoints on
``host:port`` (TLS with client certificates unless ``plain_http``), and the admin API on
``admin.host:admin.port`` (plain HTTP, bearer token; off when ``admin.port = 0``). The admin
routes are never served on the 2.0b listener, so the CLI needs no client certificate.

``run`` is the entry point of ``oadr-vtn serve``: it runs ``serve`` on uvloop (when installed),
in this process for one worker, or has ``vtn.supervisor`` run ``workers`` processes that share
the 2.0b port (SO_REUSEPORT: the kernel spreads connections over them) and the database. Worker 0
also runs the admin API, the push worker and housekeeping; a worker that dies is started
again. On SQLite, ``serve`` locks the database file: one VTN process writes it.

The ports come first: a port that is taken stops the start (``vtn.listeners.PortInUse``) before
anything is written to ``state_dir`` (database, lock file, admin token).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import ssl
from collections.abc import Callable, Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from common.clock import Clock, SystemClock, clock_from, clock_sleep
from common.errors import ConfigError
from common.logformat import JsonFormatter, TextFormatter
from common.security import server_context
from common.wording import duration_words
from vtn.admin.operations import Readiness
from vtn.admin.routes import API_ROOT, admin_site
from vtn.admin.token import ensure_admin_token
from vtn.app import BOUNDARY_KEY, VTN_KEY, create_app
from vtn.config import SQLITE_PREFIX, VtnConfig
from vtn.connections import ConnectionLimits, ListenerSite
from vtn.listeners import check_free, open_listeners
from vtn.logs import SERVER, BadHttpLines
from vtn.metrics import (
    MULTIPROCESS_ENV,
    VtnMetrics,
    multiprocess_dir_of,
    prepare_multiprocess_dir,
)
from vtn.push import HttpPushTransport, PushWorker
from vtn.storage import StorageError, Store, open_store
from vtn.storage.changes import KEEP_NOTICES
from vtn.supervisor import Serving, Supervisor, stop_with

__all__ = ["run", "serve"]

HOUSEKEEPING_INTERVAL = timedelta(minutes=1)
"""How often expired nonces and old finished pushes are deleted."""
KEEP_FINISHED_PUSHES = timedelta(days=7)
"""How long delivered (or given up) outbox items are kept, for the operator to look at."""
LINGERING_S = 10.0
"""How long the rest of a refused request's body is read (and dropped) so that the VEN reads
the answer before the connection closes (aiohttp's lingering close), at most
``limits.body_timeout`` [s]."""


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
    The admin token is read from ``admin.token_file``, or made there at the first start.
    `worker` is this process's number when ``run`` started ``config.workers`` of them: only
    worker 0 serves the admin API, pushes and keeps house; the supervisor holds the SQLite lock
    for all of them, and brings the schema up to date before starting them (`migrate`).
    """
    tls = _tls_context(config)
    with contextlib.ExitStack() as sockets:  # first the ports, then the state directory
        listeners = [sockets.enter_context(s) for s in open_listeners(
            config.host, config.port, reuse_port=config.workers > 1)]
        admin_listeners = [sockets.enter_context(s) for s in open_listeners(
            config.admin.host, config.admin.port, role="admin port")
        ] if config.admin.enabled and worker == 0 else []
        with (_sqlite_lock(config.database_url) if config.workers == 1
              else contextlib.nullcontext()):
            await _serve(config, clock=clock, ready=ready, stop=stop, extra_routes=extra_routes,
                         primary=worker == 0, migrate=migrate, tls=tls, listeners=listeners,
                         admin_listeners=admin_listeners)


async def _serve(
    config: VtnConfig,
    *,
    clock: Clock,
    ready: asyncio.Event | None,
    stop: asyncio.Event | None,
    extra_routes: Callable[[web.Application], None] | None,
    primary: bool,
    migrate: bool,
    tls: ssl.SSLContext | None,
    listeners: list[socket.socket],
    admin_listeners: list[socket.socket],
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    token = _admin_token(config) if admin_listeners else None
    transport = HttpPushTransport(config)
    store = await open_store(config.database_url, clock=clock, migrate=migrate,
                             pool=config.database)
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
        metrics = _metrics(config)
        readiness = Readiness()
        app = create_app(config, store, clock=clock, extra_routes=extra_routes, metrics=metrics)
        worker = PushWorker(app[VTN_KEY], transport, verifier=app[BOUNDARY_KEY].verifier,
                            metrics=metrics)
        limits = config.limits
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False,
            keepalive_timeout=limits.idle_timeout.total_seconds(),
            lingering_time=min(LINGERING_S, limits.body_timeout.total_seconds()),
        )
        await runner.setup()
        guard = ConnectionLimits(header_timeout=limits.header_timeout.total_seconds(),
                                 max_per_client=limits.max_connections_per_client)
        for sock in listeners:
            await ListenerSite(runner, sock, ssl_context=tls, limits=guard).start()
        readiness.listening = True
        if token is not None:
            admin_runner = web.AppRunner(
                admin_site(app[VTN_KEY], token=token, metrics=metrics, readiness=readiness),
                access_log=None, handle_signals=False,
            )
            await admin_runner.setup()
            for sock in admin_listeners:
                await web.SockSite(admin_runner, sock).start()
        if primary:
            push_task = asyncio.create_task(worker.run(stop), name="oadr-vtn-push")
            cleanup_task = asyncio.create_task(_housekeeping(store, clock, stop),
                                               name="oadr-vtn-gc")
            _log_start(config, runner, admin_runner)
            if config.clock.simulated:
                SERVER.info("Simulated time, shared with the VENs: %r", clock)
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


def _metrics(config: VtnConfig) -> VtnMetrics:
    """This process's metrics: in the shared directory when ``run`` started several workers
    (``vtn.metrics``: multiprocess mode), else this process's own."""
    shared = os.environ.get(MULTIPROCESS_ENV)
    if config.workers > 1 and shared:
        return VtnMetrics(multiprocess_dir=Path(shared))
    return VtnMetrics()


def _admin_token(config: VtnConfig) -> str:
    """The admin bearer token (made at the first start); ``ConfigError`` if it cannot be."""
    try:
        return ensure_admin_token(Path(config.admin.token_file))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"admin.token_file: cannot use {config.admin.token_file}: {exc}"
        ) from exc


def _tls_context(config: VtnConfig) -> ssl.SSLContext | None:
    """The server's TLS context (``None`` on plain HTTP); ``ConfigError`` if it cannot load."""
    if config.plain_http:
        return None
    if config.tls.cert is None or config.tls.key is None or config.tls.ca is None:
        raise ConfigError("tls.cert, tls.key and tls.ca are required without plain_http")
    try:
        return server_context(config.tls.cert, config.tls.key, ca=config.tls.ca,
                              password=config.tls.key_passphrase)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"tls.cert/tls.key/tls.ca: cannot load them: {exc}") from exc


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
        await clock_sleep(clock, HOUSEKEEPING_INTERVAL.total_seconds(), stop)


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
        SERVER.info("Admin API off (admin.port = 0)")
    else:
        SERVER.info(
            "Admin API on http://%s%s (plain HTTP%s); its bearer token is in %s",
            _addresses(admin_runner) or f"{config.admin.host}:{config.admin.port}",
            API_ROOT,
            "" if not config.admin.allow_remote else ", remote access allowed",
            config.admin.token_file,
        )
    if config.tls.client_fingerprint_header:
        SERVER.info(
            "VEN identity comes from the %r header set by the proxy in front",
            config.tls.client_fingerprint_header,
        )
    elif config.plain_http:
        SERVER.warning("No client certificates: any caller can act as any VEN")
    SERVER.info(
        "Signing our messages: %s; requiring VEN signatures: %s; poll frequency %s",
        "yes" if config.signing.sign_messages else "no",
        "yes" if config.signing.require_signatures else "no",
        duration_words(config.polls.frequency),
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


def _configure_logging(level: str, worker: int | None, log_format: str = "text") -> None:
    """Log to stderr: a line for people (``text``) or one JSON object per line (``json``,
    ``common.logformat``; times with their zone; with the worker number as ``worker``)."""
    prefix = "" if worker is None else f"[worker {worker}] "
    logging.basicConfig(level=level, force=True)
    formatter: logging.Formatter = (
        JsonFormatter({} if worker is None else {"worker": worker}) if log_format == "json"
        else TextFormatter(prefix))
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    bad_http = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, BadHttpLines) for f in bad_http.filters):
        bad_http.addFilter(BadHttpLines())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl ...", not for operators


def run(config: VtnConfig, *, log_level: str = "INFO") -> int:
    """Serve `config` until SIGTERM/SIGINT: one process, or ``config.workers`` supervised ones.

    Returns the exit status: 0 after a stop signal, 1 when the VTN could not start or a worker
    exited before it served at its first start (the reason is logged).
    """
    _configure_logging(log_level, None, config.log_format)
    if config.workers == 1:
        with contextlib.suppress(KeyboardInterrupt):
            _run_loop(serve(config, clock=clock_from(config.clock)))
        return 0
    check_free(config.host, config.port)  # the ports before the state directory
    if config.admin.enabled:
        check_free(config.admin.host, config.admin.port, role="admin port")
    with _sqlite_lock(config.database_url):
        _run_loop(_migrate(config))
        prepare_multiprocess_dir(multiprocess_dir_of(config.state_dir))  # before the spawns
        return Supervisor(config, log_level, _worker_main).run()


async def _migrate(config: VtnConfig) -> None:
    """Bring the database schema up to date once, before the workers start."""
    store = await open_store(config.database_url, clock=SystemClock())
    await store.close()


def _worker_main(config: VtnConfig, worker: int, log_level: str, supervisor: int,
                 serving: Serving) -> None:
    """A worker process: serve until told to stop, or until its supervisor is gone; sets
    `serving` once it takes requests; exit status 2 when it cannot start."""
    _configure_logging(log_level, worker, config.log_format)
    stop_with(supervisor)
    try:
        _run_loop(_serve_worker(config, worker, serving))
    except (ConfigError, OSError) as exc:  # e.g. a port another program holds
        SERVER.error("Cannot start: %s", exc)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass


async def _serve_worker(config: VtnConfig, worker: int, serving: Serving) -> None:
    """``serve`` as worker `worker`, telling the supervisor through `serving` once it serves."""
    ready = asyncio.Event()

    async def tell() -> None:
        await ready.wait()
        serving.set()

    teller = asyncio.create_task(tell(), name="oadr-vtn-serving")
    try:
        await serve(config, clock=clock_from(config.clock), worker=worker, migrate=False,
                    ready=ready)
    finally:
        teller.cancel()
