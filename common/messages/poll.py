"""OadrPoll service messages: oadrPoll and the generic oadrResponse."""

from __future__ import annotations

from dataclasses import dataclass

from common.messages.types import EiResponse, Message

__all__ = ["Poll", "Response"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll(Message):
    """oadrPoll: a pull-mode VEN asks whether the VTN has anything for it."""

    ven_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Response(Message):
    """oadrResponse: a bare acknowledgement (also the answer to a poll with nothing queued)."""

    response: EiResponse
    ven_id: str | None = None
