"""The VTN configuration: a frozen, nested value from TOML and/or overrides, checked field by field.

Every field is documented on ``VtnConfig`` and its sections. ``load_config(path, overrides)`` reads
a TOML file (identity, listening and storage at the top level; ``[tls]``, ``[signing]``,
``[database]``, ``[polls]``, ``[events]``, ``[reports]``, ``[push]``, ``[limits]``, ``[admin]``,
``[clock]`` tables; durations in seconds [s], paths relative to the file's directory) and applies
overrides (the CLI's options, dotted keys such as ``admin.port``) on top, with
``common.tomlconfig``. Every mistake is reported at once in one ``common.errors.ConfigError``, each
naming its field (``tls.cert: ...``). TLS is required unless ``plain_http = true`` is set
explicitly: nothing ever falls back to plain HTTP on its own. The admin listener is plain HTTP and
stays on loopback unless ``admin.allow_remote = true``.

The flat keys of earlier versions (``tls_cert``, ``admin_port``, ``push_interval``,
``poll_cache``, ...; see ``FLAT_KEYS``) are still accepted, in the file and as overrides: each is
read as its nested key, and a warning names the new key. Setting both is an error.

The VTN's own files live in ``state_dir``: by default ``var/`` next to the configuration file
when there is one, else ``var/`` under the working directory at start (made absolute then).
The SQLite database and the admin token default to files in it, so ``oadr-vtn serve`` and the
other ``oadr-vtn`` commands find the same files from the same configuration, wherever they run.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from common.clock import ClockSettings
from common.errors import ConfigError
from common.tomlconfig import (
    Check,
    ConfigProblems,
    Problem,
    check_fields,
    load_mapping,
    read_toml,
    rules,
    show,
)

__all__ = [
    "ADMIN_TOKEN_FILE",
    "DATABASE_FILE",
    "FLAT_KEYS",
    "LOG_FORMATS",
    "REPORTABLE",
    "STATE_DIR",
    "AdminSettings",
    "DatabaseSettings",
    "EventSettings",
    "LimitSettings",
    "PollSettings",
    "PushSettings",
    "ReportSettings",
    "SigningSettings",
    "TlsSettings",
    "VtnConfig",
    "is_loopback",
    "load_config",
]

CONFIG_LOG = logging.getLogger("oadr.vtn.config")

STATE_DIR = "var"
"""The default ``state_dir``, relative to the configuration file's directory (else the working
directory)."""
DATABASE_FILE = "vtn.sqlite"
"""The embedded default database: this SQLite file in ``state_dir``."""
ADMIN_TOKEN_FILE = "admin-token"
"""The default admin token file, in ``state_dir``."""
SQLITE_PREFIX = "sqlite+aiosqlite:///"

REPORTABLE = ("TELEMETRY_USAGE", "TELEMETRY_STATUS", "x-TELEMETRY_BASELINE",
              "x-EXPECTED_DELIVERY")
"""The reports the VTN can ask for automatically when a VEN offers them, by reportName (the
VEN's METADATA name without ``METADATA_``). ``x-TELEMETRY_BASELINE`` is the baseline report of
VENs that keep TELEMETRY_USAGE for directly read usage (METADATA name
``x-METADATA_TELEMETRY_BASELINE``, reportSpecifierID ``TELEMETRY_BASELINE`` from our VEN).
``x-EXPECTED_DELIVERY`` is what the VEN's plan expects to deliver per event interval, sent
before the event and whenever the plan changes (projected deltaUsage and baseline,
``vtn.expected``)."""


# ---- per-field checks -----------------------------------------------------------------------


def _positive(value: timedelta) -> str | None:
    return None if value > timedelta(0) else "must be positive"


def _not_negative(value: timedelta) -> str | None:
    return None if value >= timedelta(0) else "must not be negative"


_POSITIVE = rules(check=_positive)
_NOT_NEGATIVE = rules(check=_not_negative)


def _between(low: int, high: int, what: str = "") -> Check:
    def check(value: int) -> str | None:
        if low <= value <= high:
            return None
        return f"{value} is not {what or f'between {low} and {high}'}"

    return check


LOG_FORMATS = ("text", "json")
"""The values of ``log_format``."""


def _log_format(value: str) -> str | None:
    return None if value in LOG_FORMATS else f"{value!r} is not one of {', '.join(LOG_FORMATS)}"


OVERLAP_MODES = ("warn", "refuse")
"""The values of ``events.overlap``."""


def _overlap_mode(value: str) -> str | None:
    return None if value in OVERLAP_MODES else (
        f"{value!r} is not one of {', '.join(OVERLAP_MODES)}")


def _vtn_id(value: str) -> str | None:
    if not value.strip():
        return "must not be empty"
    if value.islower():
        return f"{value!r} is all lowercase, which 2.0b VENs may refuse"
    return None


def _database_url(value: object, base: Path) -> str:
    """A database URL; a relative SQLite path counts from `base` (the file's directory)."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {show(value)}")
    if value.startswith(SQLITE_PREFIX):
        file = value.removeprefix(SQLITE_PREFIX)
        if file and not file.startswith(":") and not Path(file).expanduser().is_absolute():
            return f"{SQLITE_PREFIX}{base / file}"
    return value


def _database_scheme(value: str) -> str | None:
    if value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return None
    return "must start with sqlite+aiosqlite:// or postgresql+asyncpg://"


def _header(value: str) -> str | None:
    return None if value.strip() else "must be a header name"


def _shares(value: tuple[float, ...]) -> str | None:
    if len(value) != 3 or not all(0.0 <= v <= 1.0 for v in value):
        return "must be three shares of the baseline between 0 and 1"
    return None


def _reportable(value: tuple[str, ...]) -> str | None:
    for name in value:
        if name not in REPORTABLE:
            return f"{name!r} is not one of {', '.join(REPORTABLE)}"
    return None


# ---- the sections ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsSettings:
    """``[tls]``: transport security.

    - ``cert``, ``key``, ``ca``: the VTN's certificate and key (PEM files) and the CA bundle
      that VEN client certificates must chain to. Required unless ``plain_http``.
    - ``key_passphrase``: the key's passphrase, if any (kept out of ``repr``).
    - ``client_fingerprint_header``: the HTTP header a TLS-terminating proxy sets to the VEN
      certificate's fingerprint. Only trusted when configured, and only with ``plain_http``
      (behind the proxy); then the VTN must be reachable through that proxy alone.
    """

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    client_fingerprint_header: str | None = field(default=None, metadata=rules(check=_header))


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningSettings:
    """``[signing]``: XML signatures.

    - ``sign_messages``: sign every message the VTN sends (with ``cert``/``key``, default the
      TLS certificate and key).
    - ``require_signatures``: refuse VEN messages without a valid signature (463).
    - ``replay_window``: how far a signature's ReplayProtect timestamp may be from now [s].
    """

    sign_messages: bool = False
    cert: Path | None = None
    key: Path | None = None
    require_signatures: bool = False
    replay_window: timedelta = field(default=timedelta(minutes=5), metadata=_POSITIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSettings:
    """``[database]``: the connection pool of each VTN process (PostgreSQL; SQLite keeps its
    own defaults: it has one writer anyway).

    - ``pool_size``: connections each process keeps open. Sized to what one process has in
      flight at once (polls that read or write, the push worker's ``push.concurrency``): a
      request that finds none free waits for one (``pool_timeout``).
    - ``max_overflow``: connections opened beyond ``pool_size`` at a peak and closed again
      when returned (each costs a new connection, TLS and authentication included).
    - ``pool_timeout``: how long a request waits for a free connection before it is answered
      503 [s].

    Every process holds up to ``pool_size + max_overflow`` connections plus one for change
    notices: ``workers`` x that, for every ``serve`` process on the database, must stay under
    PostgreSQL's ``max_connections`` (100 by default).
    """

    pool_size: int = field(default=20, metadata=rules(check=_between(1, 1000)))
    max_overflow: int = field(default=10, metadata=rules(check=_between(0, 1000)))
    pool_timeout: timedelta = field(default=timedelta(seconds=30), metadata=_POSITIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollSettings:
    """``[polls]``: pull VENs.

    - ``frequency``: the oadrRequestedOadrPollFreq told to pull VENs [s].
    - ``cache``: answer polls from what the VTN already knows (``vtn.polls``); ``false``:
      every poll reads the database.
    """

    frequency: timedelta = field(default=timedelta(seconds=10), metadata=_POSITIVE)
    cache: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSettings:
    """``[events]``: how events are reported and judged.

    - ``near_window``: how long before its start an event without a ramp-up period is
      reported ``near`` [s] (absent: it goes from ``far`` to ``active``).
    - ``simple_level_shares``: the programme's shed at SIMPLE levels 1, 2, 3 as shares of the
      VEN's baseline [-], used to compute the requested shed in event performance.
    - ``overlap``: what the admin API does with an event that overlaps another of the same
      market context for the same VEN: ``warn`` (keep it, with a warning; the default) or
      ``refuse`` (409; what certification's A_E3_0530 expects of the VTN's console).
    """

    near_window: timedelta | None = field(default=None, metadata=_NOT_NEGATIVE)
    simple_level_shares: tuple[float, ...] = field(default=(0.1, 0.2, 0.3),
                                                   metadata=rules(check=_shares))
    overlap: str = field(default="warn", metadata=rules(check=_overlap_mode))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSettings:
    """``[reports]``: the reports the VTN asks VENs for.

    - ``request``: which of ``TELEMETRY_USAGE`` / ``TELEMETRY_STATUS`` /
      ``x-TELEMETRY_BASELINE`` / ``x-EXPECTED_DELIVERY`` the VTN asks for in
      oadrRegisteredReport when a VEN offers them (default: all four; event performance needs
      the VEN's baseline, which a VEN sends either in TELEMETRY_USAGE or in its own
      x-TELEMETRY_BASELINE report; the expected delivery is the VEN's word before the event).
    - ``granularity``, ``back_duration``: the sampling and sending periods asked for [s] (the
      granularity is brought inside the VEN's offered sampling range).
    """

    request: tuple[str, ...] = field(default=REPORTABLE, metadata=rules(check=_reportable))
    granularity: timedelta = field(default=timedelta(minutes=1), metadata=_NOT_NEGATIVE)
    back_duration: timedelta = field(default=timedelta(minutes=1), metadata=_NOT_NEGATIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSettings:
    """``[push]``: delivery to VENs registered with httpPullModel=false.

    - ``interval``: how often a worker looks for due pushes [s].
    - ``timeout``: how long one POST to a VEN may take [s].
    - ``max_attempts``: attempts before a push is given up.
    - ``backoff``, ``backoff_max``: the first retry delay, doubled per attempt, capped [s].
    - ``concurrency``: VENs pushed to at the same time (each VEN's own messages still one
      after the other, in order); keep it below ``database.pool_size``.
    - ``check_hostname``: check the VEN's host name against its HTTPS certificate, as a
      browser would. Off by default: 2.0b VEN certificates name the VEN, not a host; the VTN
      then requires the certificate the VEN registered with (its fingerprint). Either way the
      certificate must chain to ``tls.ca``.
    """

    interval: timedelta = field(default=timedelta(seconds=1), metadata=_POSITIVE)
    timeout: timedelta = field(default=timedelta(seconds=10), metadata=_POSITIVE)
    max_attempts: int = field(default=8, metadata=rules(
        check=lambda v: None if v >= 1 else "must be at least 1"))
    backoff: timedelta = field(default=timedelta(seconds=2), metadata=_NOT_NEGATIVE)
    backoff_max: timedelta = timedelta(minutes=5)
    concurrency: int = field(default=16, metadata=rules(check=_between(1, 1000)))
    check_hostname: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitSettings:
    """``[limits]``: what one connection to the 2.0b listener may take, so that a VEN that
    stalls (slowloris) or floods does not hold the VTN for the others.

    - ``header_timeout``: a request head (request line and headers) must be complete within
      this long of the connection's opening (after its TLS handshake, itself bounded by this),
      or of the first byte of a later request on a kept-alive connection; else the connection
      is closed [s].
    - ``body_timeout``: the whole request body must arrive within this long of its head, else
      HTTP 408 and the connection is closed [s].
    - ``idle_timeout``: a kept-alive connection without a new request this long after its
      previous reply is closed; longer than the VENs' poll interval, so that they need not
      connect (and shake hands) at every poll [s].
    - ``max_connections_per_client``: connections one client address may hold open at once
      in one process; more are closed at once (0: no limit, the default: behind a proxy every
      VEN comes from the proxy's address).
    """

    header_timeout: timedelta = field(default=timedelta(seconds=10), metadata=_POSITIVE)
    body_timeout: timedelta = field(default=timedelta(seconds=30), metadata=_POSITIVE)
    idle_timeout: timedelta = field(default=timedelta(seconds=120), metadata=_POSITIVE)
    max_connections_per_client: int = field(default=0, metadata=rules(
        check=lambda v: None if v >= 0 else "must not be negative (0: no limit)"))


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminSettings:
    """``[admin]``: the operator's admin API.

    - ``host``, ``port``: where it listens (default ``127.0.0.1:8081``; ``port = 0`` turns it
      off). Plain HTTP behind the bearer token, never on the 2.0b listener. A non-loopback
      ``host`` is refused unless ``allow_remote`` is set.
    - ``allow_remote``: allow a non-loopback ``host``. The token then crosses the network in
      clear text unless a TLS proxy or tunnel is in front: set it only with one.
    - ``token_file``: where the bearer token is kept (default ``state_dir/admin-token``, made
      with mode 0600 at the first start).
    - ``metrics_public``: serve ``/metrics`` without the token (default off: a scraper sends
      ``Authorization: Bearer <token>``, Prometheus's ``authorization.credentials_file``).
      ``/health`` and ``/ready`` never need it.
    """

    host: str = "127.0.0.1"
    port: int = field(default=8081, metadata=rules(
        check=_between(0, 65535, "a TCP port (0 turns the admin API off)")))
    allow_remote: bool = False
    token_file: Path = None  # type: ignore[assignment]
    metrics_public: bool = False

    @property
    def enabled(self) -> bool:
        """True when the admin listener runs (``port`` is not 0)."""
        return self.port != 0


@dataclass(frozen=True, slots=True, kw_only=True)
class VtnConfig:
    """What a VTN needs to run. Durations are ``timedelta``; paths are ``Path``.

    ``database_url`` and ``admin.token_file`` left out (``None``) are derived from
    ``state_dir`` when the value is made; ``dataclasses.replace(config, state_dir=...)`` keeps
    the old ones unless they are passed as ``None`` too. Making one checks every field and
    raises ``ConfigProblems`` naming them all.

    Identity, listening and storage (top level):

    - ``vtn_id``: the VTN's ID on the wire (ei:vtnID). Not all lowercase: openleadr's VEN
      refuses an all-lowercase vtnID.
    - ``host``, ``port``: where the 2.0b server listens.
    - ``plain_http``: serve plain HTTP. Must be set explicitly; for development only.
    - ``state_dir``: the directory of the VTN's own files (default ``var/`` next to the
      configuration file, else under the working directory; always absolute once loaded).
    - ``database_url``: ``sqlite+aiosqlite:///path`` (default ``state_dir/vtn.sqlite``; a
      relative path in the file is relative to the file's directory) or
      ``postgresql+asyncpg://user@host/db``. Its password never appears in ``repr``.
    - ``market_contexts``: the programs (market context URIs) this VTN runs; an opt naming
      another one is refused (454). Empty: any.
    - ``max_body_bytes``: the largest request body accepted [bytes] (HTTP 413 beyond it).
    - ``workers``: how many processes serve the 2.0b port (SO_REUSEPORT; the first one also
      runs the admin API and the push worker). On SQLite they share the file's one write lock
      (fine for polls, which rarely write; PostgreSQL for heavy write loads).
    - ``log_format``: ``text`` (one line for people, the default) or ``json`` (one JSON object
      per line: time, level, logger, message and any extra fields; ``oadr-vtn serve
      --log-format json`` too).

    Sections: ``database`` (``DatabaseSettings``), ``tls`` (``TlsSettings``), ``signing``
    (``SigningSettings``), ``polls`` (``PollSettings``), ``events`` (``EventSettings``), ``reports``
    (``ReportSettings``), ``push`` (``PushSettings``), ``limits`` (``LimitSettings``), ``admin``
    (``AdminSettings``), ``clock`` (``common.clock.ClockSettings``: simulated time, N times faster
    than the wall clock; the VENs need the same three values).
    """

    vtn_id: str = field(default="OADR-VTN", metadata=rules(check=_vtn_id))
    host: str = "127.0.0.1"
    port: int = field(default=8443, metadata=rules(check=_between(0, 65535, "a TCP port")))
    plain_http: bool = False
    state_dir: Path = Path(STATE_DIR)
    database_url: str = field(default=None, repr=False,  # type: ignore[assignment]
                              metadata=rules(convert=_database_url, check=_database_scheme))
    market_contexts: tuple[str, ...] = ()
    max_body_bytes: int = field(default=1024 * 1024, metadata=rules(
        check=lambda v: None if v >= 1024 else "must be at least 1024"))
    workers: int = field(default=1, metadata=rules(check=_between(1, 64)))
    log_format: str = field(default="text", metadata=rules(check=_log_format))
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    signing: SigningSettings = field(default_factory=SigningSettings)
    polls: PollSettings = field(default_factory=PollSettings)
    events: EventSettings = field(default_factory=EventSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    push: PushSettings = field(default_factory=PushSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    clock: ClockSettings = field(default_factory=ClockSettings)

    def __post_init__(self) -> None:
        """Make ``state_dir`` absolute and derive the defaults that live in it; then check."""
        state = Path(self.state_dir).expanduser()
        if not state.is_absolute():
            state = Path.cwd() / state
        object.__setattr__(self, "state_dir", state)
        if self.database_url is None:
            object.__setattr__(self, "database_url", f"{SQLITE_PREFIX}{state / DATABASE_FILE}")
        if self.admin.token_file is None:
            object.__setattr__(self, "admin", dataclasses.replace(
                self.admin, token_file=state / ADMIN_TOKEN_FILE))
        problems = [*check_fields(self), *_cross_checks(self)]
        if problems:
            raise ConfigProblems(problems)

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"VtnConfig({shown}, database_url={safe_url(self.database_url)!r})"

    @property
    def signing_pair(self) -> tuple[Path, Path] | None:
        """The certificate and key the VTN signs with, when ``signing.sign_messages`` is on."""
        if not self.signing.sign_messages:
            return None
        cert = self.signing.cert or self.tls.cert
        key = self.signing.key or self.tls.key
        if cert is None or key is None:  # refused by _cross_checks; kept for the type checker
            raise ConfigError("signing.cert: sign_messages needs a certificate and a key")
        return cert, key


def safe_url(url: str) -> str:
    """`url` with every password replaced by ``***``: the one of ``user:password@`` and the
    values of the ``password`` and ``sslpassword`` query parameters (any case, percent-encoded
    names too), which the driver takes as the password as well.

    The URL is split exactly as SQLAlchemy's ``make_url`` splits it (same pattern), so what
    the driver would use as a password is what is hidden. A string that is not such a URL
    is hidden whole; so is text after the part the pattern reads (from a line break on).
    """
    import re
    from urllib.parse import unquote_plus

    secret_keys = ("password", "sslpassword")
    match = re.match(
        r"""
            (?P<name>[\w\+]+)://
            (?:
                (?P<username>[^:/]*)
                (?::(?P<password>[^@]*))?
            @)?
            (?:
                (?:
                    \[(?P<ipv6host>[^/\?]+)\] |
                    (?P<ipv4host>[^/:\?]+)
                )?
                (?::(?P<port>[^/\?]*))?
            )?
            (?:/(?P<database>[^\?]*))?
            (?:\?(?P<query>.*))?
            """,
        url,
        re.X,
    )
    if match is None:
        return "***"
    shown = url[: match.end()]
    if match.group("query") is not None:
        start = match.start("query")
        parts = [
            f"{part.partition('=')[0]}=***"
            if unquote_plus(part.partition("=")[0]).strip().lower() in secret_keys else part
            for part in match.group("query").split("&")
        ]
        shown = shown[:start] + "&".join(parts)
    if match.group("password") is not None:
        start, end = match.span("password")
        shown = shown[:start] + "***" + shown[end:]
    return shown + (" [rest hidden]" if match.end() < len(url) else "")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _cross_checks(c: VtnConfig) -> list[Problem]:
    """The rules that tie several fields together; each problem names the field to change."""
    found: list[Problem] = []

    def fail(where: str, message: str) -> None:
        found.append(Problem(where, message))

    if c.admin.enabled and c.admin.port == c.port:
        fail("admin.port", f"{c.admin.port} is the 2.0b port too: the admin API needs its own "
                           "listener")
    if c.admin.enabled and not is_loopback(c.admin.host) and not c.admin.allow_remote:
        fail("admin.host", f"{c.admin.host!r} is not a loopback address; the admin API is plain "
                           "HTTP, so set admin.allow_remote = true explicitly (with a TLS proxy "
                           "or tunnel in front) to listen there")
    if not c.plain_http:
        for name in ("cert", "key", "ca"):
            if getattr(c.tls, name) is None:
                fail(f"tls.{name}", "is required unless plain_http = true is set explicitly")
    if c.signing.sign_messages and (c.signing.cert or c.tls.cert) is None:
        fail("signing.cert", "signing.sign_messages needs signing.cert (or tls.cert)")
    if c.signing.sign_messages and (c.signing.key or c.tls.key) is None:
        fail("signing.key", "signing.sign_messages needs signing.key (or tls.key)")
    if c.tls.client_fingerprint_header is not None and not c.plain_http:
        fail("tls.client_fingerprint_header", "is only for a VTN behind a TLS-terminating "
             "proxy (plain_http = true); when the VTN terminates TLS itself the certificate "
             "decides, and a header would let one VEN claim another's identity")
    if c.push.backoff_max < c.push.backoff:
        fail("push.backoff_max", "must not be shorter than push.backoff")
    return found


# ---- loading --------------------------------------------------------------------------------

FLAT_KEYS: dict[str, str] = {
    "tls_cert": "tls.cert",
    "tls_key": "tls.key",
    "tls_ca": "tls.ca",
    "tls_key_passphrase": "tls.key_passphrase",
    "client_fingerprint_header": "tls.client_fingerprint_header",
    "sign_messages": "signing.sign_messages",
    "signing_cert": "signing.cert",
    "signing_key": "signing.key",
    "require_signatures": "signing.require_signatures",
    "replay_window": "signing.replay_window",
    "poll_frequency": "polls.frequency",
    "poll_cache": "polls.cache",
    "event_near_window": "events.near_window",
    "simple_level_shares": "events.simple_level_shares",
    "request_reports": "reports.request",
    "report_granularity": "reports.granularity",
    "report_back_duration": "reports.back_duration",
    "push_interval": "push.interval",
    "push_timeout": "push.timeout",
    "push_max_attempts": "push.max_attempts",
    "push_backoff": "push.backoff",
    "push_backoff_max": "push.backoff_max",
    "push_check_hostname": "push.check_hostname",
    "admin_host": "admin.host",
    "admin_port": "admin.port",
    "admin_allow_remote": "admin.allow_remote",
    "admin_token_file": "admin.token_file",
}
"""The flat keys of earlier versions, still accepted, and the nested key each now is."""


def _nest(data: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, Any]:
    """`data` with each flat key of ``FLAT_KEYS`` moved to its nested key (with a warning)."""
    nested: dict[str, Any] = {
        key: dict(value) if isinstance(value, Mapping) else value
        for key, value in data.items() if key not in FLAT_KEYS
    }
    for old, value in data.items():
        if old not in FLAT_KEYS:
            continue
        table_name, name = FLAT_KEYS[old].split(".")
        table = nested.setdefault(table_name, {})
        if not isinstance(table, dict):
            continue  # "[tls] must be a table" is reported by the loader
        if name in table:
            problems.append(Problem(old, f"is set twice, as {old} and as {FLAT_KEYS[old]}; "
                                         f"keep {FLAT_KEYS[old]}"))
            continue
        CONFIG_LOG.warning("%s: %s is the old name of %s; read as %s, please rename it",
                           source or "overrides", old, FLAT_KEYS[old], FLAT_KEYS[old])
        table[name] = value
    return nested


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> VtnConfig:
    """The configuration from the TOML file at `path` (if any) with `overrides` applied.

    Keys are the ``VtnConfig`` field names at the top level of the file (an optional ``[vtn]``
    table is read the same way) and the sections' fields in their tables (``[tls] cert``);
    `overrides` use dotted keys (``"admin.port"``). The flat keys of ``FLAT_KEYS`` are read as
    their nested keys, with a warning. Relative paths in the file (a SQLite ``database_url``'s
    included) are relative to its directory; relative paths in `overrides` to the working
    directory. ``state_dir`` defaults to ``var/`` in the file's directory (without a file: in
    the working directory). Unknown keys are refused; every problem is reported at once.
    """
    data: dict[str, Any] = {}
    source = ""
    base = Path.cwd()
    if path is not None:
        file = Path(path)
        data = read_toml(file)
        source, base = str(file), file.parent
        table = data.pop("vtn") if isinstance(data.get("vtn"), dict) else {}
        data.update(table)
    problems: list[Problem] = []
    data = _nest(data, source, problems)
    dotted = {FLAT_KEYS.get(key, key): value for key, value in (overrides or {}).items()}
    for key in (overrides or {}):
        if key in FLAT_KEYS:
            CONFIG_LOG.debug("override %s is read as %s", key, FLAT_KEYS[key])
    if "state_dir" not in data and "state_dir" not in dotted:
        data["state_dir"] = STATE_DIR
    if problems:
        raise ConfigProblems(problems, source)
    return load_mapping(VtnConfig, data, base=base, source=source, overrides=dotted)
