"""The VEN's TOML configuration: a validated ``VenConfig`` whose errors name the field."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common.errors import ConfigError
from common.messages.enums import OptReason, OptType
from common.security import normalize_fingerprint
from ven.instructions import SIGNAL_TYPES

__all__ = [
    "ACTED_ON_SIGNALS",
    "DEFAULT_SUPPORTED_SIGNALS",
    "OptSchedule",
    "PushSettings",
    "ReportPoints",
    "RetryPolicy",
    "TlsFiles",
    "VenConfig",
    "load_config",
    "parse_config",
]

ACTED_ON_SIGNALS = frozenset({*SIGNAL_TYPES, "simple"})
"""Signal names the building brain can act on (``ven.instructions``: the one source of truth)."""
DEFAULT_SUPPORTED_SIGNALS = ("SIMPLE", "simple", *(n for n in SIGNAL_TYPES if n != "SIMPLE"))
_OPTS = {"in": OptType.OPT_IN, "out": OptType.OPT_OUT}


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """The VEN's TLS client certificate and key, and the CA bundle the VTN must chain to."""

    cert: Path
    key: Path
    ca: Path
    check_hostname: bool = True

    def __repr__(self) -> str:
        return f"TlsFiles(cert={str(self.cert)!r}, ca={str(self.ca)!r}, key=<hidden>)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPoints:
    """The rIDs the VEN offers, and how often it can sample them.

    ``min_sampling`` / ``max_sampling`` bound the sampling period of telemetry [duration];
    ``resource_id`` is the reportDataSource of every point (the building or meter ID).
    ``baseline_method`` names the baseline method in the METADATA (the baseline rID's
    readingType becomes ``x-baseline-<method>``; ``None`` keeps ``Projected``).
    """

    usage: str = "usage"
    baseline: str = "baseline"
    status: str = "status"
    history: str = "history_usage"
    min_sampling: timedelta = timedelta(minutes=1)
    max_sampling: timedelta = timedelta(hours=1)
    resource_id: str | None = None
    baseline_method: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OptSchedule:
    """One window of the VEN's opt schedule (sent with oadrCreateOpt)."""

    opt_id: str
    opt_type: OptType
    start: datetime
    duration: timedelta
    reason: OptReason
    resource_ids: tuple[str, ...] = ()
    market_context: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSettings:
    """The VEN's push endpoint (2.0b push mode): where it listens, and the transport address
    it announces at registration (``https`` uses ``[tls]`` and checks the VTN's client
    certificate; ``http`` only with ``allow_plain_http``). ``max_body_bytes`` caps a pushed
    body [bytes]; ``listen_port`` 0 takes a free port (tests)."""

    listen_host: str
    listen_port: int
    address: str
    allow_plain_http: bool = False
    max_body_bytes: int = 1024 * 1024

    @property
    def uses_tls(self) -> bool:
        """True when the endpoint is served over TLS (an ``https`` address)."""
        return urlsplit(self.address).scheme.lower() == "https"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Exponential back-off with jitter between failed exchanges [s]."""

    initial: float = 1.0
    maximum: float = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class VenConfig:
    """Everything the VEN needs to run; see ``parse_config`` for the file format."""

    vtn_url: str
    ven_name: str
    database: Path
    vtn_fingerprint: str | None = None
    allow_plain_http: bool = False
    tls: TlsFiles | None = None
    sign_messages: bool = False
    verify_signatures: bool = False
    auto_answer: bool = True
    default_opt: OptType = OptType.OPT_IN
    supported_signals: tuple[str, ...] = DEFAULT_SUPPORTED_SIGNALS
    poll_interval: timedelta | None = None
    building_file: Path | None = None
    reports: ReportPoints = field(default_factory=ReportPoints)
    opt_schedules: tuple[OptSchedule, ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    http_timeout: float = 30.0
    push: PushSettings | None = None


def load_config(path: str | Path) -> VenConfig:
    """Read and validate a VEN config file; relative paths count from the file's folder."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the VEN config {str(file)!r}: {exc.strerror}") from exc
    return parse_config(text, base=file.parent, source=str(file))


class _Reader:
    """Takes typed values out of one TOML table, recording each problem with its field name."""

    def __init__(self, data: dict[str, Any], prefix: str, problems: list[str]) -> None:
        self._data = dict(data)
        self._prefix = prefix
        self._problems = problems

    def name(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def problem(self, key: str, message: str) -> None:
        self._problems.append(f"{self.name(key)}: {message}")

    def take(self, key: str, kind: type | tuple[type, ...], default: Any = None, *,
             required: bool = False) -> Any:
        if key not in self._data:
            if required:
                self.problem(key, "is required")
            return default
        value = self._data.pop(key)
        if isinstance(value, bool) and kind is not bool and bool not in (
            kind if isinstance(kind, tuple) else (kind,)
        ):
            self.problem(key, f"must be {_kind_name(kind)}, got {value!r}")
            return default
        if not isinstance(value, kind):
            self.problem(key, f"must be {_kind_name(kind)}, got {value!r}")
            return default
        return value

    def seconds(self, key: str, default: float | None, *, positive: bool = True) -> float | None:
        value = self.take(key, (int, float), default)
        if value is not None and positive and value <= 0:
            self.problem(key, f"must be > 0, got {value!r}")
            return default
        return None if value is None else float(value)

    def table(self, key: str) -> dict[str, Any]:
        value = self.take(key, dict, {})
        return value if isinstance(value, dict) else {}

    def finish(self) -> None:
        for key in self._data:
            self.problem(key, "is not a known setting")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {bool: "true or false", str: "a string", int: "a number", float: "a number",
             dict: "a table", list: "a list", datetime: "a date-time"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


DEFAULT_DATABASE = "var/ven.sqlite"
"""The VEN's state file when ``[ven] database`` is not given (relative to the config file)."""


def _path(value: str | None, base: Path) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def parse_config(text: str, *, base: Path = Path("."), source: str = "<string>") -> VenConfig:
    """Validate the TOML text of a VEN config (format in the README's VEN section).

    Raises ``ConfigError`` listing every problem, each naming its field (``vtn.fingerprint``).
    Refuses to run insecurely by accident: an ``https`` VTN needs ``[tls]`` and
    ``vtn.fingerprint``; an ``http`` VTN needs ``vtn.allow_plain_http = true``; signing needs
    ``[tls]`` (the signature uses the TLS certificate); verifying needs ``vtn.fingerprint``.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    problems: list[str] = []
    top = _Reader(data, "", problems)
    vtn = _Reader(top.table("vtn"), "vtn.", problems)
    ven = _Reader(top.table("ven"), "ven.", problems)
    tls_raw = top.take("tls", dict, None)
    events = _Reader(top.table("events"), "events.", problems)
    reports_raw = _Reader(top.table("reports"), "reports.", problems)
    retry_raw = _Reader(top.table("retry"), "retry.", problems)
    schedules_raw = top.take("opt_schedules", list, [])
    push_raw = top.take("push", dict, None)
    top.finish()

    url = vtn.take("url", str, "", required=True)
    fingerprint_text = vtn.take("fingerprint", str)
    allow_plain = vtn.take("allow_plain_http", bool, False)
    verify = vtn.take("verify_signatures", bool, False)
    timeout = vtn.seconds("timeout_s", 30.0)
    vtn.finish()

    fingerprint = None
    if fingerprint_text is not None:
        try:
            fingerprint = normalize_fingerprint(fingerprint_text)
        except ValueError as exc:
            vtn.problem("fingerprint", str(exc))

    ven_name = ven.take("name", str, "", required=True)
    database = _path(ven.take("database", str, DEFAULT_DATABASE), base)
    building = _path(ven.take("building", str), base)
    sign = ven.take("sign_messages", bool, False)
    poll = ven.seconds("poll_interval_s", None)
    ven.finish()

    tls = None
    if tls_raw is not None:
        tls_reader = _Reader(tls_raw, "tls.", problems)
        cert = _path(tls_reader.take("cert", str, None, required=True), base)
        key = _path(tls_reader.take("key", str, None, required=True), base)
        ca = _path(tls_reader.take("ca", str, None, required=True), base)
        check_hostname = tls_reader.take("check_hostname", bool, True)
        tls_reader.finish()
        for name, file in (("cert", cert), ("key", key), ("ca", ca)):
            if file is not None and not file.is_file():
                tls_reader.problem(name, f"file {str(file)!r} does not exist")
        if cert and key and ca:
            tls = TlsFiles(cert=cert, key=key, ca=ca, check_hostname=check_hostname)

    scheme = urlsplit(url).scheme.lower() if url else ""
    if url and scheme not in ("http", "https"):
        vtn.problem("url", f"must start with https:// (or http://), got {url!r}")
    if scheme == "https":
        if tls_raw is None:
            problems.append("tls: an https VTN needs a [tls] table with cert, key and ca")
        if fingerprint_text is None:
            vtn.problem("fingerprint", "is required with TLS: the VTN certificate's fingerprint "
                        "(20 hex digits) that this VEN must see before it trusts the VTN")
    if scheme == "http" and not allow_plain:
        vtn.problem("url", "is plain http; set vtn.allow_plain_http = true to accept that "
                    "(no encryption, no server authentication)")
    if sign and tls_raw is None:
        ven.problem("sign_messages", "needs a [tls] table: messages are signed with tls.cert/key")
    if verify and fingerprint_text is None:
        vtn.problem("verify_signatures", "needs vtn.fingerprint (whose signatures to accept)")

    auto_answer = events.take("auto_answer", bool, True)
    default_opt_text = events.take("default_opt", str, "in")
    if default_opt_text not in _OPTS:
        events.problem("default_opt", f"must be \"in\" or \"out\", got {default_opt_text!r}")
    signals = events.take("supported_signals", list, list(DEFAULT_SUPPORTED_SIGNALS))
    if not all(isinstance(s, str) and s for s in signals):
        events.problem("supported_signals", "must be a list of signal names")
        signals = list(DEFAULT_SUPPORTED_SIGNALS)
    unknown = [s for s in signals if s not in ACTED_ON_SIGNALS]
    if unknown:
        names = ", ".join(map(repr, unknown))
        events.problem("supported_signals", f"this VEN cannot act on {names}; choose among "
                       f"{', '.join(sorted(ACTED_ON_SIGNALS))}")
    events.finish()

    points = ReportPoints(
        usage=reports_raw.take("usage_rid", str, "usage"),
        baseline=reports_raw.take("baseline_rid", str, "baseline"),
        status=reports_raw.take("status_rid", str, "status"),
        history=reports_raw.take("history_rid", str, "history_usage"),
        min_sampling=timedelta(seconds=reports_raw.seconds("min_sampling_s", 60.0) or 60.0),
        max_sampling=timedelta(seconds=reports_raw.seconds("max_sampling_s", 3600.0) or 3600.0),
        resource_id=reports_raw.take("resource_id", str),
    )
    reports_raw.finish()
    rids = [points.usage, points.baseline, points.status, points.history]
    if len(set(rids)) != len(rids):
        problems.append(f"reports: the four rIDs must differ, got {rids}")
    if points.min_sampling > points.max_sampling:
        problems.append("reports.min_sampling_s: must not exceed reports.max_sampling_s")

    retry = RetryPolicy(
        initial=retry_raw.seconds("initial_s", 1.0) or 1.0,
        maximum=retry_raw.seconds("max_s", 300.0) or 300.0,
    )
    retry_raw.finish()

    schedules = tuple(
        s for i, raw in enumerate(schedules_raw)
        if (s := _opt_schedule(raw, f"opt_schedules[{i}].", problems)) is not None
    )
    if len({s.opt_id for s in schedules}) != len(schedules):
        problems.append("opt_schedules: every id must be unique")

    push = None
    if push_raw is not None:
        push = _push_settings(_Reader(push_raw, "push.", problems), tls is not None,
                              fingerprint_text is not None)

    if problems:
        listing = "\n  ".join(problems)
        raise ConfigError(f"{source}: {len(problems)} problem(s):\n  {listing}")
    if database is None:  # unreachable: the field has a default
        raise ConfigError(f"{source}: ven.database: is required")
    return VenConfig(
        vtn_url=url.rstrip("/"),
        ven_name=ven_name,
        database=database,
        vtn_fingerprint=fingerprint,
        allow_plain_http=allow_plain,
        tls=tls,
        sign_messages=sign,
        verify_signatures=verify,
        auto_answer=auto_answer,
        default_opt=_OPTS.get(default_opt_text, OptType.OPT_IN),
        supported_signals=tuple(signals),
        poll_interval=None if poll is None else timedelta(seconds=poll),
        building_file=building,
        reports=points,
        opt_schedules=schedules,
        retry=retry,
        http_timeout=timeout or 30.0,
        push=push,
    )


def _push_settings(reader: _Reader, has_tls: bool, has_fingerprint: bool) -> PushSettings | None:
    """The ``[push]`` table (task: VEN push mode); problems name their field."""
    listen = reader.take("listen", str, None, required=True)
    address = reader.take("address", str, None, required=True)
    allow_plain = reader.take("allow_plain_http", bool, False)
    max_kb = reader.seconds("max_body_kb", 1024.0)
    reader.finish()
    host, port = None, None
    if listen is not None:
        host, _, port_text = listen.rpartition(":")
        host = host.strip("[]")
        if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            reader.problem("listen", f"must be \"HOST:PORT\" (port 0-65535), got {listen!r}")
            host = None
        else:
            port = int(port_text)
    if address is not None:
        parts = urlsplit(address)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            reader.problem("address", "must be the VEN's base URL the VTN can reach, such as "
                           f"\"https://ven.example.com:8081\", got {address!r}")
            address = None
        elif scheme == "https" and not (has_tls and has_fingerprint):
            reader.problem("address", "https needs a [tls] table (the endpoint's certificate) "
                           "and vtn.fingerprint (the only client certificate accepted)")
        elif scheme == "http" and not allow_plain:
            reader.problem("address", "is plain http; set push.allow_plain_http = true to "
                           "accept that (no encryption, no VTN authentication)")
    if host is None or port is None or address is None:
        return None
    return PushSettings(listen_host=host, listen_port=port, address=address.rstrip("/"),
                        allow_plain_http=allow_plain,
                        max_body_bytes=int((max_kb or 1024.0) * 1024))


def _opt_schedule(raw: object, prefix: str, problems: list[str]) -> OptSchedule | None:
    if not isinstance(raw, dict):
        problems.append(f"{prefix.rstrip('.')}: must be a table")
        return None
    reader = _Reader(raw, prefix, problems)
    opt_id = reader.take("id", str, None, required=True)
    opt_text = reader.take("opt", str, None, required=True)
    start = reader.take("start", datetime, None, required=True)
    minutes = reader.seconds("duration_min", None)
    reason_text = reader.take("reason", str, None)
    resources = reader.take("resource_ids", list, [])
    context = reader.take("market_context", str)
    reader.finish()
    if minutes is None:
        reader.problem("duration_min", "is required (> 0)")
    if opt_text is not None and opt_text not in _OPTS:
        reader.problem("opt", f"must be \"in\" or \"out\", got {opt_text!r}")
    if isinstance(start, datetime) and start.tzinfo is None:
        reader.problem("start", "needs a time zone offset (e.g. 2026-12-01T08:00:00Z)")
    if not all(isinstance(r, str) for r in resources):
        reader.problem("resource_ids", "must be a list of device IDs")
    opt_type = _OPTS.get(opt_text or "")
    if reason_text is None:
        reason_text = "participating" if opt_type is OptType.OPT_IN else "notParticipating"
    try:
        reason = OptReason(reason_text)
    except ValueError:
        reader.problem("reason", f"must be one of {[r.value for r in OptReason]}, "
                       f"got {reason_text!r}")
        return None
    if None in (opt_id, opt_type, start, minutes) or start.tzinfo is None:
        return None
    return OptSchedule(
        opt_id=opt_id, opt_type=opt_type, start=start.astimezone(UTC),
        duration=timedelta(minutes=minutes), reason=reason,
        resource_ids=tuple(resources), market_context=context,
    )
