"""The VTN configuration: a frozen value from TOML and/or overrides, checked field by field.

Every field is documented on ``VtnConfig``. ``load_config(path, overrides)`` reads a TOML file
(top-level keys named like the fields; durations in seconds, paths relative to the file's
directory) and applies overrides (the CLI's options, same names) on top. Any mistake raises
``common.errors.ConfigError`` with the field's name in the message. TLS is required unless
``plain_http = true`` is set explicitly: nothing ever falls back to plain HTTP on its own. The
admin listener is plain HTTP and stays on loopback unless ``admin_allow_remote = true``.

The VTN's own files live in ``state_dir``: by default ``var/`` next to the configuration file
when there is one, else ``var/`` under the working directory at start (made absolute then).
The SQLite database and the admin token default to files in it, so ``oadr-vtn serve`` and the
other ``oadr-vtn`` commands find the same files from the same configuration, wherever they run.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from common.errors import ConfigError

__all__ = [
    "ADMIN_TOKEN_FILE",
    "DATABASE_FILE",
    "REPORTABLE",
    "STATE_DIR",
    "VtnConfig",
    "is_loopback",
    "load_config",
]

STATE_DIR = "var"
"""The default ``state_dir``, relative to the configuration file's directory (else the working
directory)."""
DATABASE_FILE = "vtn.sqlite"
"""The embedded default database: this SQLite file in ``state_dir``."""
ADMIN_TOKEN_FILE = "admin-token"
"""The default admin token file, in ``state_dir``."""
SQLITE_PREFIX = "sqlite+aiosqlite:///"

REPORTABLE = ("TELEMETRY_USAGE", "TELEMETRY_STATUS")
"""The reports the VTN can ask for automatically when a VEN offers them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VtnConfig:
    """What a VTN needs to run. Durations are ``timedelta``; paths are ``Path``.

    ``database_url`` and ``admin_token_file`` left out (``None``) are derived from
    ``state_dir`` when the value is made; ``dataclasses.replace(config, state_dir=...)`` keeps
    the old ones unless they are passed as ``None`` too.

    Identity and listening:

    - ``vtn_id``: the VTN's ID on the wire (ei:vtnID). Not all lowercase: openleadr's VEN
      refuses an all-lowercase vtnID.
    - ``host``, ``port``: where the 2.0b server listens.
    - ``state_dir``: the directory of the VTN's own files (default ``var/`` next to the
      configuration file, else under the working directory; always absolute once loaded).
    - ``database_url``: ``sqlite+aiosqlite:///path`` (default ``state_dir/vtn.sqlite``; a
      relative path in the file is relative to the file's directory) or
      ``postgresql+asyncpg://user@host/db``. Its password never appears in ``repr``.

    Transport security:

    - ``plain_http``: serve plain HTTP. Must be set explicitly; for development only.
    - ``tls_cert``, ``tls_key``, ``tls_ca``: the VTN's certificate and key (PEM files) and the
      CA bundle that VEN client certificates must chain to. Required unless ``plain_http``.
    - ``tls_key_passphrase``: the key's passphrase, if any (kept out of ``repr``).
    - ``client_fingerprint_header``: the HTTP header a TLS-terminating proxy sets to the VEN
      certificate's fingerprint. Only trusted when configured; then the VTN must be reachable
      through that proxy alone.

    XML signatures:

    - ``sign_messages``: sign every message the VTN sends (with ``signing_cert``/``signing_key``,
      default the TLS certificate and key).
    - ``require_signatures``: refuse VEN messages without a valid signature (463).
    - ``replay_window``: how far a signature's ReplayProtect timestamp may be from now.

    Protocol:

    - ``poll_frequency``: the oadrRequestedOadrPollFreq told to pull VENs.
    - ``max_body_bytes``: the largest request body accepted (HTTP 413 beyond it).
    - ``market_contexts``: the programs (market context URIs) this VTN runs; an opt naming
      another one is refused (454). Empty: any.
    - ``event_near_window``: how long before its start an event without a ramp-up period is
      reported ``near`` (``None``: it goes from ``far`` to ``active``).
    - ``request_reports``: which of ``TELEMETRY_USAGE`` / ``TELEMETRY_STATUS`` the VTN asks for
      in oadrRegisteredReport when a VEN offers them.
    - ``report_granularity``, ``report_back_duration``: the sampling and sending periods asked
      for (the granularity is brought inside the VEN's offered sampling range).
    - ``simple_level_shares``: the programme's shed at SIMPLE levels 1, 2, 3 as shares of the
      VEN's baseline [-], used to compute the requested shed in event performance.

    Scale:

    - ``workers``: how many processes serve the 2.0b port (SO_REUSEPORT; the first one also
      runs the admin API and the push worker). On SQLite they share the file's one write lock
      (fine for polls, which rarely write; PostgreSQL for heavy write loads).
    - ``poll_cache``: answer polls from what the VTN already knows (``vtn.services.pollgate``,
      ``vtn.services.inforce``); ``false``: every poll reads the database.

    Push delivery (VENs registered with httpPullModel=false):

    - ``push_interval``: how often a worker looks for due pushes.
    - ``push_timeout``: how long one POST to a VEN may take.
    - ``push_max_attempts``: attempts before a push is given up.
    - ``push_backoff``, ``push_backoff_max``: the first retry delay, doubled per attempt, capped.
    - ``push_check_hostname``: check the VEN's host name against its HTTPS certificate, as a
      browser would. Off by default: 2.0b VEN certificates name the VEN, not a host; the VTN
      then requires the certificate the VEN registered with (its fingerprint). Either way the
      certificate must chain to ``tls_ca``.

    Operator:

    - ``admin_host``, ``admin_port``: where the admin API listens (default ``127.0.0.1:8081``;
      ``admin_port = 0`` turns it off). Plain HTTP behind the bearer token, never on the 2.0b
      listener. A non-loopback ``admin_host`` is refused unless ``admin_allow_remote`` is set.
    - ``admin_allow_remote``: allow a non-loopback ``admin_host``. The token then crosses the
      network in clear text unless a TLS proxy or tunnel is in front: set it only with one.
    - ``admin_token_file``: where the admin API's bearer token is kept (default
      ``state_dir/admin-token``, made with mode 0600 at the first start).
    """

    vtn_id: str = "OADR-VTN"
    host: str = "127.0.0.1"
    port: int = 8443
    state_dir: Path = Path(STATE_DIR)
    database_url: str = field(default=None, repr=False)  # type: ignore[assignment]
    plain_http: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    tls_key_passphrase: str | None = field(default=None, repr=False)
    client_fingerprint_header: str | None = None
    sign_messages: bool = False
    signing_cert: Path | None = None
    signing_key: Path | None = None
    require_signatures: bool = False
    replay_window: timedelta = timedelta(minutes=5)
    poll_frequency: timedelta = timedelta(seconds=10)
    max_body_bytes: int = 1024 * 1024
    market_contexts: tuple[str, ...] = ()
    event_near_window: timedelta | None = None
    request_reports: tuple[str, ...] = REPORTABLE
    report_granularity: timedelta = timedelta(minutes=1)
    report_back_duration: timedelta = timedelta(minutes=1)
    simple_level_shares: tuple[float, ...] = (0.1, 0.2, 0.3)
    workers: int = 1
    poll_cache: bool = True
    push_interval: timedelta = timedelta(seconds=1)
    push_timeout: timedelta = timedelta(seconds=10)
    push_max_attempts: int = 8
    push_backoff: timedelta = timedelta(seconds=2)
    push_backoff_max: timedelta = timedelta(minutes=5)
    push_check_hostname: bool = False
    admin_host: str = "127.0.0.1"
    admin_port: int = 8081
    admin_allow_remote: bool = False
    admin_token_file: Path = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        """Make ``state_dir`` absolute and derive the defaults that live in it; then check."""
        state = Path(self.state_dir).expanduser()
        if not state.is_absolute():
            state = Path.cwd() / state
        object.__setattr__(self, "state_dir", state)
        if self.database_url is None:
            object.__setattr__(self, "database_url", f"{SQLITE_PREFIX}{state / DATABASE_FILE}")
        if self.admin_token_file is None:
            object.__setattr__(self, "admin_token_file", state / ADMIN_TOKEN_FILE)
        _check(self)

    @property
    def admin_enabled(self) -> bool:
        """True when the admin listener runs (``admin_port`` is not 0)."""
        return self.admin_port != 0

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"VtnConfig({shown}, database_url={safe_url(self.database_url)!r})"

    @property
    def signing_pair(self) -> tuple[Path, Path] | None:
        """The certificate and key the VTN signs with, when ``sign_messages`` is on."""
        if not self.sign_messages:
            return None
        cert = self.signing_cert or self.tls_cert
        key = self.signing_key or self.tls_key
        if cert is None or key is None:  # refused by _check; kept for the type checker
            raise ConfigError("signing_cert: sign_messages needs a certificate and a key")
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


def _fail(name: str, problem: str) -> ConfigError:
    return ConfigError(f"{name}: {problem}")


def _check(c: VtnConfig) -> None:
    """Cross-field validation; each message names the field."""
    if not c.vtn_id.strip():
        raise _fail("vtn_id", "must not be empty")
    if c.vtn_id.islower():
        raise _fail("vtn_id", f"{c.vtn_id!r} is all lowercase, which 2.0b VENs may refuse")
    if not 0 <= c.port <= 65535:
        raise _fail("port", f"{c.port} is not a TCP port")
    if not 0 <= c.admin_port <= 65535:
        raise _fail("admin_port", f"{c.admin_port} is not a TCP port (0 turns the admin API off)")
    if c.admin_enabled and c.admin_port == c.port:
        raise _fail("admin_port", f"{c.admin_port} is the 2.0b port too: the admin API needs "
                                  "its own listener")
    if c.admin_enabled and not is_loopback(c.admin_host) and not c.admin_allow_remote:
        raise _fail("admin_host", f"{c.admin_host!r} is not a loopback address; the admin API "
                                  "is plain HTTP, so set admin_allow_remote = true explicitly "
                                  "(with a TLS proxy or tunnel in front) to listen there")
    if not c.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise _fail("database_url", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    if not c.plain_http:
        for name in ("tls_cert", "tls_key", "tls_ca"):
            if getattr(c, name) is None:
                raise _fail(name, "is required unless plain_http = true is set explicitly")
    if c.sign_messages and (c.signing_cert or c.tls_cert) is None:
        raise _fail("signing_cert", "sign_messages needs signing_cert (or tls_cert)")
    if c.sign_messages and (c.signing_key or c.tls_key) is None:
        raise _fail("signing_key", "sign_messages needs signing_key (or tls_key)")
    if c.client_fingerprint_header is not None and not c.client_fingerprint_header.strip():
        raise _fail("client_fingerprint_header", "must be a header name")
    if c.client_fingerprint_header is not None and not c.plain_http:
        raise _fail("client_fingerprint_header", "is only for a VTN behind a TLS-terminating "
                    "proxy (plain_http = true); when the VTN terminates TLS itself the "
                    "certificate decides, and a header would let one VEN claim another's identity")
    for name in ("replay_window", "poll_frequency", "push_interval", "push_timeout"):
        if getattr(c, name) <= timedelta(0):
            raise _fail(name, "must be positive")
    for name in ("report_granularity", "report_back_duration", "push_backoff"):
        if getattr(c, name) < timedelta(0):
            raise _fail(name, "must not be negative")
    if c.push_backoff_max < c.push_backoff:
        raise _fail("push_backoff_max", "must not be shorter than push_backoff")
    if c.event_near_window is not None and c.event_near_window < timedelta(0):
        raise _fail("event_near_window", "must not be negative")
    if c.max_body_bytes < 1024:
        raise _fail("max_body_bytes", "must be at least 1024")
    if not 1 <= c.workers <= 64:
        raise _fail("workers", f"{c.workers} is not between 1 and 64")
    if c.push_max_attempts < 1:
        raise _fail("push_max_attempts", "must be at least 1")
    shares = c.simple_level_shares
    if len(shares) != 3 or not all(0.0 <= v <= 1.0 for v in shares):
        raise _fail("simple_level_shares", "must be three shares of the baseline between 0 and 1")
    for name in c.request_reports:
        if name not in REPORTABLE:
            raise _fail("request_reports", f"{name!r} is not one of {', '.join(REPORTABLE)}")


# ---- loading --------------------------------------------------------------------------------

_FIELDS = {f.name: f for f in fields(VtnConfig)}
_DURATIONS = {
    "replay_window",
    "poll_frequency",
    "event_near_window",
    "report_granularity",
    "report_back_duration",
    "push_interval",
    "push_timeout",
    "push_backoff",
    "push_backoff_max",
}
_PATHS = {
    "tls_cert", "tls_key", "tls_ca", "signing_cert", "signing_key", "admin_token_file",
    "state_dir",
}
_BOOLS = {
    "plain_http", "sign_messages", "require_signatures", "admin_allow_remote",
    "push_check_hostname", "poll_cache",
}
_INTS = {"port", "max_body_bytes", "push_max_attempts", "admin_port", "workers"}
_STRING_LISTS = {"market_contexts", "request_reports"}


def _convert(name: str, value: Any, base: Path) -> Any:
    """One raw value (from TOML or an override) as the field's type."""
    if name in _DURATIONS:
        if value is None and name == "event_near_window":
            return None
        if isinstance(value, timedelta):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(name, f"must be a number of seconds, got {value!r}")
        return timedelta(seconds=value)
    if name in _PATHS:
        if value is None and name != "state_dir":
            return None
        if not isinstance(value, str | Path) or not str(value):
            raise _fail(name, f"must be a file path, got {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise _fail(name, f"must be true or false, got {value!r}")
        return value
    if name in _INTS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(name, f"must be an integer, got {value!r}")
        return value
    if name == "simple_level_shares":
        if isinstance(value, str) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value or ()):
            raise _fail(name, f"must be a list of numbers, got {value!r}")
        return tuple(float(v) for v in value)
    if name in _STRING_LISTS:
        if isinstance(value, str) or not all(isinstance(v, str) for v in value or ()):
            raise _fail(name, f"must be a list of strings, got {value!r}")
        return tuple(value)
    if name in ("tls_key_passphrase", "client_fingerprint_header") and value is None:
        return None
    if not isinstance(value, str):
        raise _fail(name, f"must be a string, got {value!r}")
    if name == "database_url" and value.startswith(SQLITE_PREFIX):
        file = value.removeprefix(SQLITE_PREFIX)
        if file and not file.startswith(":") and not Path(file).expanduser().is_absolute():
            return f"{SQLITE_PREFIX}{base / file}"
    return value


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> VtnConfig:
    """The configuration from the TOML file at `path` (if any) with `overrides` applied.

    Keys are the ``VtnConfig`` field names, at the top level of the file (an optional ``[vtn]``
    table is read the same way). Relative paths in the file (a SQLite ``database_url``'s
    included) are relative to its directory; relative paths in `overrides` to the working
    directory. ``state_dir`` defaults to ``var/`` in the file's directory (without a file: in
    the working directory). Unknown keys are refused.
    """
    raw: dict[str, tuple[Any, Path]] = {}
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration file {file}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file} is not valid TOML: {exc}") from exc
        table = data.pop("vtn", {}) if isinstance(data.get("vtn"), dict) else {}
        for key, value in (*data.items(), *table.items()):
            raw[key] = (value, file.parent)
    for key, value in (overrides or {}).items():
        raw[key] = (value, Path.cwd())
    if "state_dir" not in raw:
        raw["state_dir"] = (STATE_DIR, Path(path).parent if path is not None else Path.cwd())
    values: dict[str, Any] = {}
    for key, (value, base) in raw.items():
        if key not in _FIELDS:
            raise ConfigError(f"{key}: not a VTN setting (known: {', '.join(sorted(_FIELDS))})")
        values[key] = _convert(key, value, base)
    return VtnConfig(**values)
