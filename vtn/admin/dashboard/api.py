"""The dashboard's way to its data: the admin API's JSON endpoints, called over the admin
listener's own socket with the operator's token.

The dashboard never reads the store. Every page is built from what ``GET /admin/api/v1/...``
answers, and every form is a request to the same API, so it passes the same token check,
validation and audit log as the CLI's requests (DESIGN.md: "dashboards are views over the same
API, never a second path into storage").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from vtn.admin.audit import OPERATOR_HEADER

__all__ = ["ApiAnswer", "ApiClient", "ApiUnavailable"]

Json = dict[str, Any]


class ApiUnavailable(Exception):
    """Raised when the admin API cannot be reached on the listener's own socket."""


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """One answer of the admin API: its status and JSON body (``{}`` when not JSON)."""

    status: int
    body: Json = field(repr=False)

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The error's message (``""`` when the answer is not an error)."""
        error = self.body.get("error")
        return str(error.get("message", "")) if isinstance(error, dict) else ""

    @property
    def field(self) -> str | None:
        """The input field the error names, if any."""
        error = self.body.get("error")
        value = error.get("field") if isinstance(error, dict) else None
        return value if isinstance(value, str) else None


class ApiClient:
    """Calls the admin API of the listener that received `request`, as its operator."""

    def __init__(self, session: aiohttp.ClientSession, request: web.Request, *, token: str,
                 api_root: str) -> None:
        self._session = session
        self._base = _own_address(request) + api_root
        self._headers = {"Authorization": f"Bearer {token}",
                         OPERATOR_HEADER: f"dashboard from {request.remote or '?'}"}

    def __repr__(self) -> str:
        return f"ApiClient({self._base!r})"  # the token stays out

    async def call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                   body: Json | None = None) -> ApiAnswer:
        """`method` `path` (below the API root); raises ``ApiUnavailable`` if unreachable."""
        data = None if body is None else json.dumps(body)
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, self._base + path, params=params,
                                             data=data, headers=headers) as response:
                if response.content_type == "application/json":
                    answer = await response.json()
                else:
                    answer = {}
                return ApiAnswer(response.status, answer if isinstance(answer, dict) else {})
        except aiohttp.ClientError as exc:
            raise ApiUnavailable(f"the admin API did not answer: {exc}") from exc

    async def get(self, path: str, **params: str) -> ApiAnswer:
        """``GET`` `path` with query `params`."""
        return await self.call("GET", path, params=params or None)


def _own_address(request: web.Request) -> str:
    """``http://host:port`` of the socket `request` arrived on (never its Host header, which
    the client chooses)."""
    transport = request.transport
    sockname = None if transport is None else transport.get_extra_info("sockname")
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        raise ApiUnavailable("the dashboard is served on a socket without an address")
    host, port = str(sockname[0]), int(sockname[1])
    if ":" in host:
        host = f"[{host.split('%')[0]}]"
    return f"http://{host}:{port}"
