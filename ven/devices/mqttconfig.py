"""The ``[mqtt]`` table of ven.toml: where the building's devices are (broker, topics, timeouts).

    [mqtt]
    url = "mqtts://broker.example:8883"   # mqtt:// (1883) or mqtts:// (TLS, 8883)
    username = "ven"
    password = "..."                       # kept out of repr and logs
    prefix = "building/office-sj"          # topics are <prefix>/<device id>/telemetry ...
    stale_after = 60                       # a device silent this long is offline [s]
    command_timeout = 30                   # a command not followed this long = override [s]
    meter = "meter"                        # <prefix>/meter/telemetry is the whole-building meter
    circuit_meters = true                  # each circuit's meter hint: <prefix>/<meter>/telemetry
    client_id = "ven-office"               # MQTT client id (default: oadr-ven-<random>)
    keepalive = 30                         # MQTT keep-alive interval [s]
    [mqtt.tls]
    ca = "ca.pem"
    cert = "ven-mqtt.pem"                  # optional client certificate
    key = "ven-mqtt.key"

Pure: a value object read by ``common.tomlconfig``; no network.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from common.tomlconfig import rules

__all__ = ["MqttSettings", "MqttTls", "broker_address"]


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        return f"must be mqtt://host[:port] or mqtts://host[:port], got {value!r}"
    return None


def _positive(value: timedelta) -> str | None:
    return None if value > timedelta(0) else f"must be positive, got {value.total_seconds()}"


def _prefix(value: str) -> str | None:
    if not value or value.startswith("/") or value.endswith("/") or any(c in value for c in "#+"):
        return f"must be a topic path without leading/trailing '/', '#' or '+', got {value!r}"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttTls:
    """TLS to the broker: the CA that signed its certificate, and optionally our client
    certificate and key."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def context(self) -> ssl.SSLContext:
        """A client TLS context that verifies the broker (and presents our certificate)."""
        context = ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
        if self.cert is not None:
            context.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
        return context


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSettings:
    """How the VEN reaches its devices over MQTT (see the module docstring)."""

    url: str = field(default="mqtt://127.0.0.1:1883", metadata=rules(check=_url))
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: MqttTls | None = None
    prefix: str = field(default="oadr", metadata=rules(check=_prefix))
    stale_after: timedelta = field(default=timedelta(seconds=60), metadata=rules(check=_positive))
    command_timeout: timedelta = field(default=timedelta(seconds=30),
                                       metadata=rules(check=_positive))
    meter: str | None = None
    circuit_meters: bool = False
    client_id: str | None = None
    keepalive: int = field(default=30, metadata=rules(
        check=lambda v: None if v >= 1 else f"must be at least 1 [s], got {v}"))


def broker_address(url: str) -> tuple[str, int, bool]:
    """(host, port, tls) of an ``mqtt://`` or ``mqtts://`` URL."""
    parts = urlsplit(url)
    secure = parts.scheme == "mqtts"
    return parts.hostname or "127.0.0.1", parts.port or (8883 if secure else 1883), secure
