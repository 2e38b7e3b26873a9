"""The audit log: what an operator did through the admin API, who did it and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vtn.domain.checks import require_aware

__all__ = ["AuditEntry", "OperatorAction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorAction:
    """One change an operator made, as the admin API records it.

    - ``actor``: the credential used (``admin-token``: the admin token is one shared secret).
    - ``operator``: who says they are at the keyboard (the CLI sends ``$USER@host`` in the
      ``X-Oadr-Operator`` header); not authenticated, ``None`` when absent.
    - ``client``: the client's address.
    - ``action``: what was done, ``event.create``, ``event.modify``, ``event.cancel``,
      ``ven.cancel``, ... (``METHOD /route`` for a route that names none).
    - ``object_type``, ``object_id``: what it was done to (``event``, ``ev-1``), when known.
    - ``summary``: one line for people; ``status``: the HTTP status of the answer.
    """

    actor: str
    action: str
    method: str
    path: str
    status: int
    operator: str | None = None
    client: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    summary: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """A recorded ``OperatorAction``: its number (increasing in recording order) and time."""

    entry_id: int
    at: datetime
    action: OperatorAction

    def __post_init__(self) -> None:
        require_aware("at", self.at)
