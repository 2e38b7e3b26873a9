"""The VEN's 2.0b protocol client: registration, polling, events, opts, reports, local state.

Public API::

    config = load_config("ven.toml")             # VenConfig (ConfigError names the field)
    store = await Store.open(config.database)    # the SQLite state file
    client = await build_client(config, store=store, source=DeterministicSource())
    await client.run(stop_event)                 # or client.start() + client.step() in tests

``VenClient`` takes every collaborator explicitly (a ``Transport`` inside an ``Exchange``, a
``Clock``, a ``Sleeper``, a ``ReadingSource``, an ``EventHandler``) so tests swap any of them.
"""

from ven.client.backoff import Backoff, Sleeper, asyncio_sleeper
from ven.client.config import OptSchedule, ReportPoints, TlsFiles, VenConfig, load_config
from ven.client.events import EventPhase, EventState
from ven.client.factory import build_client, build_exchange
from ven.client.hooks import EventHandler, NoEventHandler
from ven.client.messaging import Exchange, MessageSecurity
from ven.client.readings import DeterministicSource, PointKind, Reading, ReadingSource
from ven.client.session import VenClient
from ven.client.store import Store
from ven.client.transport import HttpTransport, Transport, TransportError

__all__ = [
    "Backoff",
    "DeterministicSource",
    "EventHandler",
    "EventPhase",
    "EventState",
    "Exchange",
    "HttpTransport",
    "MessageSecurity",
    "NoEventHandler",
    "OptSchedule",
    "PointKind",
    "Reading",
    "ReadingSource",
    "ReportPoints",
    "Sleeper",
    "Store",
    "TlsFiles",
    "Transport",
    "TransportError",
    "VenClient",
    "VenConfig",
    "asyncio_sleeper",
    "build_client",
    "build_exchange",
    "load_config",
]
