"""The VEN's TOML configuration: a validated ``VenConfig`` whose errors name the field."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common.clock import ClockSettings
from common.errors import ConfigError
from common.messages.enums import OptReason, OptType
from common.security import normalize_fingerprint
from common.tomlconfig import Problems, Reader, parse_toml, rules, show, unknown_key
from ven.devices.mqttconfig import MqttSettings
from ven.instructions import SIGNAL_TYPES

__all__ = [
    "ACTED_ON_SIGNALS",
    "API_TOKEN_FILE",
    "DEFAULT_SUPPORTED_SIGNALS",
    "DEVICE_CLASSES",
    "LOG_ZONES",
    "ApiSettings",
    "OptSchedule",
    "PartPoint",
    "ProgrammeSettings",
    "PushSettings",
    "ReportPoints",
    "RetryPolicy",
    "TelemetrySettings",
    "TlsFiles",
    "VenConfig",
    "is_loopback",
    "load_config",
    "parse_config",
]

ACTED_ON_SIGNALS = frozenset({*SIGNAL_TYPES, "simple"})
"""Signal names the building brain can act on (``ven.instructions``: the one source of truth)."""
DEFAULT_SUPPORTED_SIGNALS = ("SIMPLE", "simple", *(n for n in SIGNAL_TYPES if n != "SIMPLE"))
_OPTS = {"in": OptType.OPT_IN, "out": OptType.OPT_OUT}
DEVICE_CLASSES = (
    "Thermostat", "Strip_Heater", "Baseboard_Heater", "Water_Heater", "Pool_Pump", "Sauna",
    "Hot_tub", "Smart_Appliance", "Irrigation_Pump", "Managed_Commercial_and_Industrial_Loads",
    "Simple_Residential_On_Off_Loads", "Exterior_Lighting", "Interior_Lighting",
    "Electric_Vehicle", "Generation_Systems", "Load_Control_Switch", "Smart_Inverter", "EVSE",
    "RESU", "Energy_Management_System", "Smart_Energy_Module", "Storage",
)
"""The device classes (oadrDeviceClass endDeviceAsset mrid) certification accepts."""


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
class PartPoint:
    """A data point of one part of the building (a metered circuit, a device): its rID and the
    resource it describes (the point's reportDataSource resourceID)."""

    r_id: str
    resource_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportPoints:
    """The rIDs the VEN offers, and how often it can sample them.

    ``min_sampling`` / ``max_sampling`` bound the sampling period of telemetry [duration];
    ``resource_id`` is the reportDataSource of the building's points (the building or meter ID).
    ``baseline_method`` names the baseline method in the METADATA (the baseline rID's
    readingType becomes ``x-baseline-<method>``; ``None`` keeps ``Projected``).
    ``usage_parts`` are extra TELEMETRY_USAGE points, one per metered circuit [kW];
    ``status_parts`` extra TELEMETRY_STATUS points, one per device (both set by the running VEN
    from its building file and ``[mqtt]``, ``ven.measurements.part_points``; never from TOML).
    """

    usage: str = "usage"
    baseline: str = "baseline"
    status: str = "status"
    history: str = "history_usage"
    min_sampling: timedelta = timedelta(minutes=1)
    max_sampling: timedelta = timedelta(hours=1)
    resource_id: str | None = None
    baseline_method: str | None = None
    usage_parts: tuple[PartPoint, ...] = ()
    status_parts: tuple[PartPoint, ...] = ()


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
    device_classes: tuple[str, ...] = ()


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


API_TOKEN_FILE = "api-token"
"""The building API's token file when ``[api] token_file`` is not given (next to the state
file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    """``[api]``: the building's own local HTTP API (``ven.api``), served by ``oadr-ven run``.

    ``port`` 0 keeps it off. Plain HTTP behind a bearer token kept in ``token_file`` (mode
    0600, made at the first start; ``None``: ``api-token`` next to the state file). A
    non-loopback ``host`` is refused unless ``allow_remote`` is set.
    """

    host: str = "127.0.0.1"
    port: int = 0
    token_file: Path | None = None
    allow_remote: bool = False

    @property
    def enabled(self) -> bool:
        """True when the API is served (``port`` is not 0)."""
        return self.port != 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TelemetrySettings:
    """``[telemetry]``: the samples the running VEN stores; older than ``retention`` are
    purged (checked every ``purge_every``)."""

    retention: timedelta = timedelta(days=35)
    purge_every: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgrammeSettings:
    """``[programme]``: what the DR programme pays for delivered energy
    [``currency``/kWh]. None = not set in ven.toml: the building file's ``[programme]``
    applies, else 0 and "USD" (``over``)."""

    compensation_per_kwh: float | None = None
    currency: str | None = None

    def over(self, compensation_per_kwh: float | None = None,
             currency: str | None = None) -> ProgrammeSettings:
        """These settings over the building file's (ven.toml wins where it sets a value), with
        the defaults 0 and "USD" for what neither sets: every field is then set."""
        rate = self.compensation_per_kwh
        if rate is None:
            rate = compensation_per_kwh if compensation_per_kwh is not None else 0.0
        return ProgrammeSettings(compensation_per_kwh=rate,
                                 currency=self.currency or currency or "USD")


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
    log_zone: str = "UTC"
    market_contexts: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    reregister_after_cancel: bool = False
    api: ApiSettings = field(default_factory=ApiSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    mqtt: MqttSettings | None = None  # devices over MQTT (ven.devices.mqtt), else simulated
    programme: ProgrammeSettings = field(default_factory=ProgrammeSettings)
    clock: ClockSettings = field(default_factory=ClockSettings)  # simulated time, else wall

    @property
    def api_token_file(self) -> Path:
        """Where the building API's bearer token is kept."""
        return self.api.token_file or self.database.parent / API_TOKEN_FILE


def load_config(path: str | Path) -> VenConfig:
    """Read and validate a VEN config file; relative paths count from the file's folder."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the VEN config {str(file)!r}: {exc.strerror}") from exc
    return parse_config(text, base=file.parent, source=str(file))


LOG_ZONES = ("UTC", "building")
"""``[log] zone``: event and report times in the log in UTC (the default), or in the building's
time zone."""

DEFAULT_DATABASE = "var/ven.sqlite"
"""The VEN's state file when ``[ven] database`` is not given (relative to the config file)."""


# ---- the file's shape: one dataclass per table, read by common.tomlconfig -------------------


def _reason(value: object) -> OptReason:
    """An opt reason: one of the spec's, or an ``x-`` one."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return OptReason(value)
    except ValueError:
        raise ValueError(f"must be one of {[r.value for r in OptReason]}, got {value!r}") from None


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be > 0, got {show(value)}"


_POSITIVE = rules(check=_positive)


def _in_or_out(value: str) -> str | None:
    return None if value in _OPTS else f"must be \"in\" or \"out\", got {value!r}"


def _device_classes(value: tuple[str, ...]) -> str | None:
    unknown = [c for c in value if c not in DEVICE_CLASSES]
    if unknown:
        return (f"{', '.join(map(repr, unknown))} is not a device class; choose among "
                f"{', '.join(DEVICE_CLASSES)}")
    return None


def _log_zone(value: str) -> str | None:
    return None if value in LOG_ZONES else f"must be \"UTC\" or \"building\", got {value!r}"


def _vtn_url(value: str) -> str | None:
    if urlsplit(value).scheme.lower() in ("http", "https"):
        return None
    return f"must start with https:// (or http://), got {value!r}"


def _signals(value: tuple[str, ...]) -> str | None:
    if not all(value):
        return "must be a list of signal names"
    unknown = [s for s in value if s not in ACTED_ON_SIGNALS]
    if unknown:
        return (f"this VEN cannot act on {', '.join(map(repr, unknown))}; choose among "
                f"{', '.join(sorted(ACTED_ON_SIGNALS))}")
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _VtnTable:
    """``[vtn]``: the VTN this VEN talks to; ``timeout_s`` [s]."""

    url: str = field(metadata=rules(check=_vtn_url))
    fingerprint: str | None = None
    allow_plain_http: bool = False
    verify_signatures: bool = False
    timeout_s: float = field(default=30.0, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _VenTable:
    """``[ven]``: this VEN; ``poll_interval_s`` [s]."""

    name: str
    database: Path | None = None  # absent: DEFAULT_DATABASE next to the file
    building: Path | None = None
    sign_messages: bool = False
    poll_interval_s: float | None = field(default=None, metadata=_POSITIVE)
    group_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    reregister_after_cancel: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _TlsTable:
    """``[tls]``: the VEN's certificate, key and CA bundle (PEM files)."""

    cert: Path
    key: Path
    ca: Path
    check_hostname: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class _EventsTable:
    """``[events]``: how the VEN answers events."""

    auto_answer: bool = True
    default_opt: str = field(default="in", metadata=rules(check=_in_or_out))
    supported_signals: tuple[str, ...] = field(default=DEFAULT_SUPPORTED_SIGNALS,
                                               metadata=rules(check=_signals))
    market_contexts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class _ReportsTable:
    """``[reports]``: the rIDs offered; sampling bounds [s]."""

    usage_rid: str = "usage"
    baseline_rid: str = "baseline"
    status_rid: str = "status"
    history_rid: str = "history_usage"
    min_sampling_s: float = field(default=60.0, metadata=_POSITIVE)
    max_sampling_s: float = field(default=3600.0, metadata=_POSITIVE)
    resource_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _RetryTable:
    """``[retry]``: back-off between failed exchanges [s]."""

    initial_s: float = field(default=1.0, metadata=_POSITIVE)
    max_s: float = field(default=300.0, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _OptTable:
    """One ``[[opt_schedules]]`` entry; ``duration_min`` [min]."""

    id: str
    opt: str = field(metadata=rules(check=_in_or_out))
    start: datetime
    duration_min: float = field(metadata=_POSITIVE)
    reason: OptReason | None = None
    resource_ids: tuple[str, ...] = ()
    market_context: str | None = None
    device_classes: tuple[str, ...] = field(default=(), metadata=rules(check=_device_classes))


@dataclass(frozen=True, slots=True, kw_only=True)
class _LogTable:
    """``[log]``: the zone of event and report times in the log (``"UTC"`` or ``"building"``)."""

    zone: str = field(default="UTC", metadata=rules(check=_log_zone))


@dataclass(frozen=True, slots=True, kw_only=True)
class _PushTable:
    """``[push]``: the VEN's push endpoint; ``max_body_kb`` [KiB]."""

    listen: str
    address: str
    allow_plain_http: bool = False
    max_body_kb: float = field(default=1024.0, metadata=_POSITIVE)


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else f"must be a TCP port 0-65535 (0: off), got {value}"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be >= 0, got {show(value)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _ApiTable:
    """``[api]``: the building's local API (see ``ApiSettings``)."""

    host: str = "127.0.0.1"
    port: int = field(default=0, metadata=rules(check=_port))
    token_file: Path | None = None
    allow_remote: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _TelemetryTable:
    """``[telemetry]``: ``retention_days`` [d]."""

    retention_days: float = field(default=35.0, metadata=_POSITIVE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ProgrammeTable:
    """``[programme]``: ``compensation_per_kwh`` [currency/kWh] and ``currency``; unset: the
    building file's ``[programme]``."""

    compensation_per_kwh: float | None = field(default=None,
                                               metadata=rules(check=_not_negative))
    currency: str | None = None


_TABLES: dict[str, object] = {
    "mqtt": MqttSettings | None,
    "vtn": _VtnTable, "ven": _VenTable, "tls": _TlsTable | None, "events": _EventsTable,
    "reports": _ReportsTable, "retry": _RetryTable, "opt_schedules": tuple[_OptTable, ...],
    "push": _PushTable | None, "log": _LogTable, "api": _ApiTable,
    "telemetry": _TelemetryTable, "programme": _ProgrammeTable, "clock": ClockSettings,
}
_ABSENT: dict[str, object] = {"events": {}, "reports": {}, "retry": {}, "opt_schedules": [],
                              "vtn": {}, "ven": {}, "log": {}, "api": {}, "telemetry": {},
                              "programme": {}, "clock": {}}


def parse_config(text: str, *, base: Path = Path("."), source: str = "<string>") -> VenConfig:
    """Validate the TOML text of a VEN config (format in the VEN's documentation).

    Raises ``ConfigError`` listing every problem, each naming its field (``vtn.fingerprint``).
    Refuses to run insecurely by accident: an ``https`` VTN needs ``[tls]`` and
    ``vtn.fingerprint``; an ``http`` VTN needs ``vtn.allow_plain_http = true``; signing needs
    ``[tls]`` (the signature uses the TLS certificate); verifying needs ``vtn.fingerprint``.
    """
    data = parse_toml(text, source)
    reader = Reader(converters={OptReason: _reason})
    problems = reader.problems
    for key in data:
        if key not in _TABLES:
            problems.add(key, unknown_key(key, _TABLES))
    read: dict[str, Any] = {}
    for key, hint in _TABLES.items():
        if key in data or key in _ABSENT:
            read[key] = reader.value(hint, data.get(key, _ABSENT.get(key)), key, base)
    vtn = read["vtn"] if isinstance(read["vtn"], _VtnTable) else None
    ven = read["ven"] if isinstance(read["ven"], _VenTable) else None
    tls_table = read.get("tls") if isinstance(read.get("tls"), _TlsTable) else None
    events = read["events"] if isinstance(read["events"], _EventsTable) else None
    reports = read["reports"] if isinstance(read["reports"], _ReportsTable) else None
    retry = read["retry"] if isinstance(read["retry"], _RetryTable) else None
    schedules_read = read["opt_schedules"] if isinstance(read["opt_schedules"], tuple) else ()
    push_table = read.get("push") if isinstance(read.get("push"), _PushTable) else None
    raw_vtn: dict[str, Any] = data["vtn"] if isinstance(data.get("vtn"), dict) else {}
    has_tls_table = isinstance(data.get("tls"), dict)
    has_fingerprint = isinstance(raw_vtn.get("fingerprint"), str)

    fingerprint = None
    if vtn is not None and vtn.fingerprint is not None:
        try:
            fingerprint = normalize_fingerprint(vtn.fingerprint)
        except ValueError as exc:
            problems.add("vtn.fingerprint", str(exc))

    tls = None
    if tls_table is not None:
        for name in ("cert", "key", "ca"):
            file = getattr(tls_table, name)
            if not file.is_file():
                problems.add(f"tls.{name}", f"file {str(file)!r} does not exist")
        tls = TlsFiles(cert=tls_table.cert, key=tls_table.key, ca=tls_table.ca,
                       check_hostname=tls_table.check_hostname)

    url = raw_vtn.get("url") if isinstance(raw_vtn.get("url"), str) else ""
    scheme = urlsplit(url).scheme.lower() if url else ""
    allow_plain = raw_vtn.get("allow_plain_http") is True
    if scheme == "https":
        if not has_tls_table:
            problems.add("tls", "an https VTN needs a [tls] table with cert, key and ca")
        if not has_fingerprint:
            problems.add("vtn.fingerprint", "is required with TLS: the VTN certificate's "
                         "fingerprint (20 hex digits) that this VEN must see before it trusts "
                         "the VTN")
    if scheme == "http" and not allow_plain:
        problems.add("vtn.url", "is plain http; set vtn.allow_plain_http = true to accept that "
                     "(no encryption, no server authentication)")
    raw_ven: dict[str, Any] = data["ven"] if isinstance(data.get("ven"), dict) else {}
    if raw_ven.get("sign_messages") is True and not has_tls_table:
        problems.add("ven.sign_messages",
                     "needs a [tls] table: messages are signed with tls.cert/key")
    if raw_vtn.get("verify_signatures") is True and not has_fingerprint:
        problems.add("vtn.verify_signatures", "needs vtn.fingerprint (whose signatures to accept)")

    points = None
    if reports is not None:
        points = ReportPoints(
            usage=reports.usage_rid, baseline=reports.baseline_rid, status=reports.status_rid,
            history=reports.history_rid, min_sampling=timedelta(seconds=reports.min_sampling_s),
            max_sampling=timedelta(seconds=reports.max_sampling_s),
            resource_id=reports.resource_id,
        )
        rids = [points.usage, points.baseline, points.status, points.history]
        if len(set(rids)) != len(rids):
            problems.add("reports", f"the four rIDs must differ, got {rids}")
        if points.min_sampling > points.max_sampling:
            problems.add("reports.min_sampling_s", "must not exceed reports.max_sampling_s")

    schedules = tuple(
        schedule for number, entry in enumerate(schedules_read)
        if (schedule := _opt_schedule(entry, f"opt_schedules[{number}]", problems)) is not None
    )
    if len({s.opt_id for s in schedules}) != len(schedules):
        problems.add("opt_schedules", "every id must be unique")

    push = None
    if push_table is not None:
        push = _push_settings(push_table, problems, tls is not None, has_fingerprint)

    api = read["api"] if isinstance(read["api"], _ApiTable) else _ApiTable()
    if api.port != 0 and not api.allow_remote and not is_loopback(api.host):
        problems.add("api.host", f"{api.host!r} is not a loopback address; the building API is "
                     "plain HTTP, so set api.allow_remote = true explicitly (with a TLS proxy "
                     "in front) to serve it on the network")
    telemetry = (read["telemetry"] if isinstance(read["telemetry"], _TelemetryTable)
                 else _TelemetryTable())
    programme = (read["programme"] if isinstance(read["programme"], _ProgrammeTable)
                 else _ProgrammeTable())

    problems.raise_if_any(source)
    if vtn is None or ven is None or events is None or points is None or retry is None:
        raise ConfigError(f"{source}: unreadable")  # unreachable: each failure is a problem
    return VenConfig(
        vtn_url=vtn.url.rstrip("/"),
        ven_name=ven.name,
        database=ven.database or base / DEFAULT_DATABASE,
        vtn_fingerprint=fingerprint,
        allow_plain_http=vtn.allow_plain_http,
        tls=tls,
        sign_messages=ven.sign_messages,
        verify_signatures=vtn.verify_signatures,
        auto_answer=events.auto_answer,
        default_opt=_OPTS[events.default_opt],
        supported_signals=events.supported_signals,
        poll_interval=None if ven.poll_interval_s is None else timedelta(
            seconds=ven.poll_interval_s),
        building_file=ven.building,
        reports=points,
        opt_schedules=schedules,
        retry=RetryPolicy(initial=retry.initial_s, maximum=retry.max_s),
        http_timeout=vtn.timeout_s,
        push=push,
        log_zone=read["log"].zone if isinstance(read["log"], _LogTable) else "UTC",
        market_contexts=events.market_contexts,
        group_ids=ven.group_ids,
        party_ids=ven.party_ids,
        resource_ids=ven.resource_ids,
        reregister_after_cancel=ven.reregister_after_cancel,
        api=ApiSettings(host=api.host, port=api.port, token_file=api.token_file,
                        allow_remote=api.allow_remote),
        telemetry=TelemetrySettings(retention=timedelta(days=telemetry.retention_days)),
        mqtt=read.get("mqtt") if isinstance(read.get("mqtt"), MqttSettings) else None,
        programme=ProgrammeSettings(compensation_per_kwh=programme.compensation_per_kwh,
                                    currency=programme.currency),
        clock=read["clock"] if isinstance(read["clock"], ClockSettings) else ClockSettings(),
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _push_settings(table: _PushTable, problems: Problems, has_tls: bool,
                   has_fingerprint: bool) -> PushSettings | None:
    """The ``[push]`` table (task: VEN push mode); problems name their field."""
    host, _, port_text = table.listen.rpartition(":")
    host = host.strip("[]")
    port = None
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        problems.add("push.listen", f"must be \"HOST:PORT\" (port 0-65535), got {table.listen!r}")
    else:
        port = int(port_text)
    address: str | None = table.address
    parts = urlsplit(table.address)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        problems.add("push.address", "must be the VEN's base URL the VTN can reach, such as "
                     f"\"https://ven.example.com:8081\", got {table.address!r}")
        address = None
    elif scheme == "https" and not (has_tls and has_fingerprint):
        problems.add("push.address", "https needs a [tls] table (the endpoint's certificate) "
                     "and vtn.fingerprint (the only client certificate accepted)")
    elif scheme == "http" and not table.allow_plain_http:
        problems.add("push.address", "is plain http; set push.allow_plain_http = true to "
                     "accept that (no encryption, no VTN authentication)")
    if port is None or address is None:
        return None
    return PushSettings(listen_host=host, listen_port=port, address=address.rstrip("/"),
                        allow_plain_http=table.allow_plain_http,
                        max_body_bytes=int(table.max_body_kb * 1024))


def _opt_schedule(table: _OptTable, where: str, problems: Problems) -> OptSchedule | None:
    """One opt window; its start must carry a time zone."""
    if table.start.tzinfo is None:
        problems.add(f"{where}.start", "needs a time zone offset (e.g. 2026-12-01T08:00:00Z)")
        return None
    opt_type = _OPTS[table.opt]
    reason = table.reason or (OptReason("participating") if opt_type is OptType.OPT_IN
                              else OptReason("notParticipating"))
    return OptSchedule(
        opt_id=table.id, opt_type=opt_type, start=table.start.astimezone(UTC),
        duration=timedelta(minutes=table.duration_min), reason=reason,
        resource_ids=table.resource_ids, market_context=table.market_context,
        device_classes=table.device_classes,
    )
