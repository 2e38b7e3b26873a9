"""encode(..., signer=...) hands the finished oadrPayload to the signer; signed bodies decode."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
from lxml import etree
from openleadr.messaging import create_message, parse_message

from common.clock import ManualClock
from common.messages import examples
from common.messages.poll import Poll
from common.xml import Signer, decode, encode, parse
from common.xml.names import DS_SIGNATURE, OADR_PAYLOAD, OADR_SIGNED_OBJECT

CLOCK = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
HAS_SIGNING = importlib.util.find_spec("common.security.signing") is not None


class RecordingSigner:
    """A stand-in signer that records what it was given and adds a marker child."""

    def __init__(self) -> None:
        self.seen: list[etree._Element] = []

    def sign(self, payload_root: etree._Element) -> None:
        self.seen.append(payload_root)
        payload_root.insert(0, etree.Comment("signed"))


def test_signer_receives_the_payload_root_and_its_changes_are_serialised():
    signer: Signer = RecordingSigner()
    data = encode(Poll(ven_id="v"), signer=signer)
    (root,) = signer.seen
    assert root.tag == OADR_PAYLOAD
    assert root[-1].tag == OADR_SIGNED_OBJECT
    assert b"<!--signed-->" in data


@pytest.mark.skipif(not HAS_SIGNING, reason="common.security.signing is not there yet")
@pytest.mark.parametrize("key_type", ["rsa", "ecc"])
def test_really_signed_messages_validate_decode_and_verify(pki, key_type):
    from common.security.fingerprint import fingerprint
    from common.security.nonces import InMemoryNonceStore
    from common.security.signing import Signer as RealSigner
    from common.security.signing import Verifier

    pair = pki.pair("vtn", key_type)
    cert, key = pair.cert.read_bytes(), pair.key.read_bytes()
    signer = RealSigner(cert, key, clock=CLOCK)
    message = examples.distribute_event(2)
    data = encode(message, signer=signer)
    root = parse(data)  # includes XSD validation of the ds:Signature
    assert root[0].tag == DS_SIGNATURE
    assert decode(data) == message
    verifier = Verifier(clock=CLOCK, nonce_store=InMemoryNonceStore(clock=CLOCK))
    verifier.verify_signature_only(root, expected_fingerprint=fingerprint(cert))
    kind, payload = parse_message(data)  # openleadr reads the signed body too
    assert (kind, payload["vtn_id"]) == ("oadrDistributeEvent", "vtn-1")


@pytest.mark.skipif(not HAS_SIGNING, reason="common.security.signing is not there yet")
def test_openleadr_signed_message_decodes(pki):
    pair = pki.pair("vtn", "rsa")
    text = create_message(
        "oadrPoll", cert=pair.cert.read_bytes(), key=pair.key.read_bytes(), ven_id="ven-1"
    )
    root = parse(text.encode())
    assert root[0].tag == DS_SIGNATURE
    assert decode(text.encode()) == Poll(ven_id="ven-1")
