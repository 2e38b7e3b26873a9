"""VENs as the VTN knows them: what a VEN submits to register, and the registration it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.messages.enums import ProfileName, TransportName
from vtn.domain.checks import require_aware, require_non_negative

__all__ = ["Ven", "VenRegistration"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VenRegistration:
    """What a VEN asks for in oadrCreatePartyRegistration, with the VTN's poll frequency.

    ``fingerprint`` is the VEN certificate's 2.0b fingerprint (ten colon-separated bytes, as
    ``common.security.normalize_fingerprint`` writes it). ``transport_address`` is the push URL;
    it is required when ``http_pull_model`` is False. ``poll_frequency`` [duration] is what the
    VTN tells a pull VEN (oadrRequestedOadrPollFreq). ``ven_id`` ``None`` lets the store choose.
    """

    fingerprint: str
    profile: ProfileName = ProfileName.B
    transport: TransportName = TransportName.SIMPLE_HTTP
    http_pull_model: bool = True
    transport_address: str | None = None
    report_only: bool = False
    xml_signature: bool = False
    ven_name: str | None = None
    poll_frequency: timedelta = timedelta(seconds=10)
    ven_id: str | None = None

    def __post_init__(self) -> None:
        if not self.fingerprint:
            raise ValueError("a VEN registration needs the certificate fingerprint")
        if not self.http_pull_model and not self.transport_address:
            raise ValueError("a push VEN (http_pull_model=False) needs a transport_address")
        if self.poll_frequency <= timedelta(0):
            raise ValueError("poll_frequency must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ven:
    """A registered (or formerly registered) VEN.

    ``registration_id`` changes on every (re-)registration. ``group_ids``, ``resource_ids`` and
    ``party_ids`` are the operator's assignments used to target events. ``last_seen_at`` is
    the last authenticated request; ``cancelled_at`` is set when the registration was cancelled
    (the row is kept: its events, opts and readings still refer to it). ``conflict_at`` is the
    last time another VEN (``conflict_ven_name``) presented this VEN's certificate and was
    refused (``vtn.services.registration``); a new registration of this VEN clears it.
    """

    ven_id: str
    registration_id: str
    fingerprint: str
    ven_name: str | None
    profile: ProfileName
    transport: TransportName
    http_pull_model: bool
    transport_address: str | None
    report_only: bool
    xml_signature: bool
    poll_frequency: timedelta
    registered_at: datetime
    updated_at: datetime
    last_seen_at: datetime | None = None
    cancelled_at: datetime | None = None
    conflict_at: datetime | None = None
    conflict_ven_name: str | None = None
    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("registered_at", "updated_at", "last_seen_at", "cancelled_at", "conflict_at"):
            require_aware(name, getattr(self, name))
        require_non_negative("poll_frequency", self.poll_frequency)

    @property
    def cancelled(self) -> bool:
        """True once the registration has been cancelled."""
        return self.cancelled_at is not None

    @property
    def push(self) -> bool:
        """True when the VTN pushes to ``transport_address`` instead of being polled."""
        return not self.http_pull_model
