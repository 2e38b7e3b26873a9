"""The CLI's HTTP client for the admin API (standard library only, so the CLI starts fast).

    ClientError          the command cannot be completed; its message is one readable line
    ├── Unreachable      nothing answers at the URL (the VTN is not running, wrong port, TLS)
    └── ApiRefused       the API answered with an error (``status``, ``field``)
"""

from __future__ import annotations

import getpass
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["AdminClient", "ApiRefused", "ClientError", "Unreachable"]

API_ROOT = "/admin/api/v1"
OPERATOR_HEADER = "X-Oadr-Operator"
"""Names the CLI's user (``$USER@host``) for the VTN's audit log (not a credential)."""

Query = Mapping[str, str | Sequence[str] | None]


class ClientError(Exception):
    """A CLI command cannot be completed; the message is one line for the operator."""


class Unreachable(ClientError):
    """Raised when the admin API does not answer at all."""


class ApiRefused(ClientError):
    """Raised when the admin API answers with an error status."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class AdminClient:
    """Calls the admin API at `base_url` (``http://127.0.0.1:8443``) with a bearer token.

    `ssl_context` is used for ``https`` URLs (server verification and, if the VTN asks for
    one, a client certificate). The token never appears in ``repr`` or in error messages.
    Every request names the operator (`operator`, default ``$USER@host``) in
    ``X-Oadr-Operator`` for the audit log.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None,
                 operator: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.operator = operator if operator is not None else _local_operator()
        self._token = token
        self._timeout = timeout
        self._ssl = ssl_context

    def __repr__(self) -> str:
        return f"AdminClient({self.base_url!r})"

    def get(self, path: str, query: Query | None = None) -> Any:
        """GET `path` (below the API root); the decoded JSON body."""
        return json.loads(self._send("GET", path, query=query))

    def text(self, path: str, query: Query | None = None) -> str:
        """GET `path`; the body as text (for CSV)."""
        return self._send("GET", path, query=query).decode("utf-8")

    def send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """`method` `path` with JSON `body`; the decoded JSON answer."""
        return json.loads(self._send(method, path, body=body))

    def _send(self, method: str, path: str, *, query: Query | None = None,
              body: Mapping[str, Any] | None = None) -> bytes:
        url = self.base_url + API_ROOT + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            OPERATOR_HEADER: self.operator,
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(request, timeout=self._timeout,
                                        context=self._ssl) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise _refusal(exc) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"cannot reach the VTN admin API at {self.base_url} ({reason}); "
                              "is the VTN running? Start it with `oadr-vtn serve`, or point "
                              "--url/--config at it") from None
        except ValueError as exc:  # e.g. an unknown URL scheme
            raise ClientError(f"bad URL {self.base_url!r}: {exc}") from None


def _local_operator() -> str:
    """``user@host`` of the person running the CLI (``unknown`` when the user has no name)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        user = "unknown"
    text = f"{user}@{socket.gethostname()}"
    return text.encode("ascii", "replace").decode("ascii")  # a header value is Latin-1


def _refusal(exc: urllib.error.HTTPError) -> ApiRefused:
    raw = exc.read()
    try:  # every error of the admin API is {"error": {"status": ..., "message": ...}}
        error = json.loads(raw)["error"]
        message, field = str(error["message"]), error.get("field")
        ours = error.get("status") == exc.code
    except (ValueError, KeyError, TypeError, AttributeError):
        message, field = raw.decode("utf-8", "replace").strip() or exc.reason, None
        ours = False
    if exc.code == 401:
        message = ("the admin API refused the token (401); use the token in the VTN's "
                   "admin.token_file (--token-file FILE or --config FILE)")
    elif exc.code == 404 and not ours:
        message = f"{message} (is {exc.url} a VTN admin API?)"
    return ApiRefused(exc.code, message, field)
