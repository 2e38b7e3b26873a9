"""The VTN's listening sockets, opened before anything is written to the state directory.

``open_listeners`` binds (and listens on) every address of a host and port, the way asyncio's
``create_server`` would; ``check_free`` binds and closes them again (the supervisor's check
before its workers bind with SO_REUSEPORT). A port another program holds is a
``PortInUse`` (a ``ConfigError``) whose message tells the operator what to do; any other
failure to listen is a ``ConfigError`` naming the address.
"""

from __future__ import annotations

import contextlib
import errno
import socket

from common.errors import ConfigError

__all__ = ["BACKLOG", "PortInUse", "check_free", "open_listeners"]

BACKLOG = 128
"""Connections the kernel queues per listening socket before they are accepted (aiohttp's)."""


class PortInUse(ConfigError):
    """Raised when another process listens on the port the VTN is configured to use."""


def open_listeners(
    host: str, port: int, *, role: str = "port", reuse_port: bool = False
) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for every address of `host` at `port`.

    `role` names the setting in messages: ``"port"`` (the 2.0b listener) or ``"admin port"``.
    ``PortInUse`` if the port is taken, ``ConfigError`` if it cannot be used otherwise.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"{_setting(role)}: cannot listen on {host}: {exc.strerror}") from exc
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(
            (i[0], i[1], i[2], i[3], i[4]) for i in infos
        ):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise _refused(host, port, role, exc) from exc
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def check_free(host: str, port: int, *, role: str = "port") -> None:
    """``PortInUse`` (or ``ConfigError``) unless `host`:`port` could be listened on now."""
    for sock in open_listeners(host, port, role=role):
        with contextlib.closing(sock):
            pass


def _setting(role: str) -> str:
    return "port" if role == "port" else "admin.port"


def _refused(host: str, port: int, role: str, exc: OSError) -> ConfigError:
    where = "port = ..." if role == "port" else "port = ... under [admin]"
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(f"{role} {port} on {host} is already in use (another oadr-vtn?): "
                         f"stop it or set {where} in vtn.toml")
    return ConfigError(f"{_setting(role)}: cannot listen on port {port} of {host}: "
                       f"{exc.strerror or exc}")
