"""Typed request/answer exchanges with the VTN: encode (and sign), send, parse and verify."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from common.messages.types import Message
from common.security import Signer, Verifier
from common.xml import encode, from_element, parse
from ven.client.transport import Transport

__all__ = ["Exchange", "MessageSecurity"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSecurity:
    """XML-signature settings: sign ours with `signer`; verify the VTN's with `verifier`
    against `vtn_fingerprint` (every VTN message must then be signed by that certificate)."""

    signer: Signer | None = None
    verifier: Verifier | None = None
    vtn_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.verifier is not None and not self.vtn_fingerprint:
            raise ValueError("verifying signatures needs the VTN's fingerprint")


class Exchange:
    """One request, one answer: the only place the client meets bytes."""

    def __init__(self, transport: Transport, security: MessageSecurity | None = None) -> None:
        self._transport = transport
        self._security = security or MessageSecurity()

    async def close(self) -> None:
        """Close the transport."""
        await self._transport.close()

    def encode(self, message: Message) -> bytes:
        """Our message as bytes, signed when configured."""
        return encode(message, signer=self._security.signer)

    async def decode(self, body: bytes) -> Message:
        """Parse, validate and (when configured) verify a VTN body.

        Raises a ``ProtocolError`` (schema, unknown payload) or ``SignatureError`` (unsigned,
        wrong signer, bad signature, replay): such a message is never acted on.
        """
        root = parse(body)
        security = self._security
        if security.verifier is not None and security.vtn_fingerprint is not None:
            await security.verifier.verify(root, expected_fingerprint=security.vtn_fingerprint)
        return from_element(root)

    async def request(self, service: str, message: Message) -> Message | None:
        """Send `message` to `service`; the VTN's typed answer (``None`` for an empty body)."""
        answer = await self._transport.send(service, self.encode(message))
        if not answer.strip():
            return None  # nothing to act on (some VTNs answer an oadrResponse this way)
        return await self.decode(answer)
