"""The building dashboard's way to its data: the building API's JSON endpoints, called over the
listener's own socket with the manager's token (never the state file)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["ApiAnswer", "ApiUnavailable", "BuildingApi"]


class ApiUnavailable(Exception):
    """Raised when the building API cannot be reached on the listener's own socket."""


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """One answer of the building API: its status and JSON body (``None`` when not JSON)."""

    status: int
    body: Any = field(repr=False)

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The error's message (``""`` when the answer is not an error)."""
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else ""


class BuildingApi:
    """Calls the building API of the listener that received `request`, with `token`."""

    def __init__(self, session: aiohttp.ClientSession, request: web.Request, *, token: str,
                 api_root: str) -> None:
        self._session = session
        self._base = _own_address(request) + api_root
        self._headers = {"Authorization": f"Bearer {token}"}

    def __repr__(self) -> str:
        return f"BuildingApi({self._base!r})"  # the token stays out

    async def call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                   body: dict[str, Any] | None = None) -> ApiAnswer:
        """`method` `path` (below the API root); raises ``ApiUnavailable`` if unreachable."""
        headers = dict(self._headers)
        data = None if body is None else json.dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, self._base + path, params=params,
                                             data=data, headers=headers) as response:
                answer = (await response.json()
                          if response.content_type == "application/json" else None)
                return ApiAnswer(response.status, answer)
        except aiohttp.ClientError as exc:
            raise ApiUnavailable(f"the building API did not answer: {exc}") from exc

    async def get(self, path: str, **params: str) -> ApiAnswer:
        """``GET`` `path` with query `params`."""
        return await self.call("GET", path, params=params or None)


def _own_address(request: web.Request) -> str:
    """``http://host:port`` of the socket `request` arrived on (never its Host header)."""
    transport = request.transport
    sockname = None if transport is None else transport.get_extra_info("sockname")
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        raise ApiUnavailable("the dashboard is served on a socket without an address")
    host, port = str(sockname[0]), int(sockname[1])
    if ":" in host:
        host = f"[{host.split('%')[0]}]"
    return f"http://{host}:{port}"
