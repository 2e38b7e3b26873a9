"""Run the VTN: open (and migrate) the store, serve the 2.0b app over TLS and the admin API on its
own loopback listener, push, stop on a signal.

Two listeners, one process, one ``Vtn`` (store, clock, queues): the 2.0b endpoints on
``host:port`` (TLS with client certificates unless ``plain_http``), and the admin API on
``admin_host:admin_port`` (plain HTTP, bearer token; off when ``admin_port = 0``). The admin
routes are never served on the 2.0b listener, so the CLI needs no client certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from common.clock import Clock
from common.errors import ConfigError
from common.security import server_context
from vtn.admin.routes import API_ROOT, admin_site
from vtn.admin.token import ensure_admin_token
from vtn.app import BOUNDARY_KEY, VTN_KEY, create_app
from vtn.config import SQLITE_PREFIX, VtnConfig
from vtn.logs import SERVER
from vtn.push import HttpPushTransport, PushWorker
from vtn.storage import StorageError, Store, open_store

__all__ = ["serve"]

HOUSEKEEPING_INTERVAL = timedelta(minutes=1)
"""How often expired nonces and old finished pushes are deleted."""
KEEP_FINISHED_PUSHES = timedelta(days=7)
"""How long delivered (or given up) outbox items are kept, for the operator to look at."""


def _prepare_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file, so a first start just works."""
    if url.startswith(SQLITE_PREFIX):
        path = Path(url.removeprefix(SQLITE_PREFIX))
        path.parent.mkdir(parents=True, exist_ok=True)


async def serve(
    config: VtnConfig,
    *,
    clock: Clock,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    extra_routes: Callable[[web.Application], None] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set); `ready` is set once requests are taken.

    ``common.errors.ConfigError`` if the configuration cannot be used (certificates, database
    URL, admin token file). `extra_routes` adds routes to the 2.0b application (tests).
    The admin token is read from ``admin_token_file``, or made there at the first start.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    tls = _tls_context(config)
    token = _admin_token(config) if config.admin_enabled else None
    transport = HttpPushTransport(config)
    _prepare_sqlite_directory(config.database_url)
    store = await open_store(config.database_url, clock=clock)
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
        site = web.TCPSite(runner, config.host, config.port, ssl_context=tls)
        await site.start()
        if token is not None:
            admin_runner = web.AppRunner(
                admin_site(app[VTN_KEY], token=token), access_log=None, handle_signals=False
            )
            await admin_runner.setup()
            await web.TCPSite(admin_runner, config.admin_host, config.admin_port).start()
        push_task = asyncio.create_task(worker.run(stop), name="oadr-vtn-push")
        cleanup_task = asyncio.create_task(_housekeeping(store, clock, stop), name="oadr-vtn-gc")
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
