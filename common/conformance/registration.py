"""EiRegisterParty and OadrPoll rules: pull registrations get a poll frequency, push
registrations carry an address, and a push VEN does not poll.

"A pull registration": the VEN's last oadrCreatePartyRegistration in the conversation did not
say ``oadrHttpPullModel=false`` (pull is the default). Without that registration, the answer
is not checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.conformance.findings import Direction, Finding, Rule
from common.messages.poll import Poll
from common.messages.registration import CreatedPartyRegistration, CreatePartyRegistration

if TYPE_CHECKING:
    from common.conformance.context import Exchange

__all__ = ["RULES", "check_create_registration", "check_created_registration", "check_poll"]

POLL_FREQUENCY = Rule("registration.poll-frequency",
                      "a pull registration response must include oadrRequestedOadrPollFreq",
                      True)
TRANSPORT_ADDRESS = Rule("registration.transport-address",
                         "a push registration must carry oadrTransportAddress")
NO_POLL_IN_PUSH = Rule("registration.no-poll-in-push", "no oadrPoll arrives in push mode", True)

RULES = (POLL_FREQUENCY, TRANSPORT_ADDRESS, NO_POLL_IN_PUSH)


def check_create_registration(message: CreatePartyRegistration,
                              exchange: Exchange) -> list[Finding]:
    """A push registration (oadrHttpPullModel=false) names where the VEN listens."""
    del exchange
    if message.http_pull_model is False and not (message.transport_address or "").strip():
        return [Finding(rule=TRANSPORT_ADDRESS, path="oadrTransportAddress",
                        expected="the VEN's URL", seen="absent",
                        message="a push VEN registers without the address it listens on")]
    return []


def check_created_registration(message: CreatedPartyRegistration,
                               exchange: Exchange) -> list[Finding]:
    """The answer to a pull VEN's registration tells it how often to poll."""
    if exchange.pull and message.response.ok and message.requested_oadr_poll_freq is None:
        return [Finding(rule=POLL_FREQUENCY, path="oadrRequestedOadrPollFreq",
                        expected="a duration", seen="absent",
                        message="the answer to a pull registration does not say how often to "
                                "poll")]
    return []


def check_poll(message: Poll, exchange: Exchange) -> list[Finding]:
    """A VEN registered for push does not poll."""
    if exchange.pull is False and exchange.direction is not Direction.VTN_TO_VEN:
        return [Finding(rule=NO_POLL_IN_PUSH, path="venID", expected="no oadrPoll",
                        seen=f"oadrPoll from {message.ven_id}",
                        message="a VEN registered for push mode polled")]
    return []
