"""The CLI's calls to a running VEN's building API: one JSON request with the bearer token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from common.errors import ConfigError
from ven.client.config import VenConfig


def call_building_api(config: VenConfig, path: str, *, method: str = "GET",
                      body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON answer of `method` `path` (after ``/api/v1``) on the building API `config`
    names; ``ConfigError`` when the token cannot be read, the API does not answer, or refuses
    (with the first 300 characters of its answer)."""
    host = f"[{config.api.host}]" if ":" in config.api.host else config.api.host
    url = f"http://{host}:{config.api.port}/api/v1{path}"
    try:
        token = config.api_token_file.read_text("utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"the building API token ({config.api_token_file}) cannot be read "
                          f"({exc.strerror}); is the VEN running (`oadr-ven run`)?") from exc
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            found: dict[str, Any] = json.load(answer)
    except urllib.error.HTTPError as exc:
        raise ConfigError(f"the building API at {url} answered {exc.code}: "
                          f"{exc.read().decode('utf-8', 'replace')[:300]}") from exc
    except OSError as exc:
        raise ConfigError(f"the building API at {url} does not answer ({exc}); is the VEN "
                          "running (`oadr-ven run`)?") from exc
    return found
