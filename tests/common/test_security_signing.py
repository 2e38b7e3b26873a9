"""XML signatures: round trips, interoperability with openleadr both ways, and every refusal."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from lxml import etree
from openleadr import messaging, objects
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    XMLSigner,
    methods,
)

from common.clock import ManualClock, SystemClock
from common.errors import ConfigError, ReplayDetected, SignatureError
from common.security.fingerprint import fingerprint
from common.security.nonces import InMemoryNonceStore
from common.security.signing import (
    C14N_ALGORITHM,
    DS_NS,
    DSP_NS,
    OADR_NS,
    Signer,
    Verifier,
)

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
KEY_TYPES = ["rsa", "ecc"]
EI_NS = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD_NS = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
DS = f"{{{DS_NS}}}"
EXCLUSIVE_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


# ----------------------------------------------------------------------------- helpers


def key_material(pki, role, key_type):
    pair = pki.pair(role, key_type)
    return pair.cert.read_bytes(), pair.key.read_bytes()


def make_signer(pki, key_type, clock, role="ven"):
    cert, key = key_material(pki, role, key_type)
    return Signer(cert, key, clock=clock)


def make_verifier(clock, window=WINDOW):
    return Verifier(clock=clock, nonce_store=InMemoryNonceStore(clock=clock), window=window)


def parse(text):
    return etree.fromstring(text.encode() if isinstance(text, str) else text)


def reparse(root):
    """What a receiver gets: the document serialised and parsed again."""
    return etree.fromstring(etree.tostring(root))


def openleadr_poll(**kwargs):
    return messaging.create_message("oadrPoll", ven_id="ven-1", **kwargs)


def openleadr_distribute_event(**kwargs):
    now = datetime.now(UTC)
    event = objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id="event-1",
            modification_number=0,
            market_context="http://market.test",
            event_status="far",
            created_date_time=now,
        ),
        active_period=objects.ActivePeriod(dtstart=now, duration=timedelta(hours=1)),
        event_signals=[
            objects.EventSignal(
                intervals=[
                    objects.Interval(dtstart=now, duration=timedelta(hours=1), signal_payload=1)
                ],
                signal_name="SIMPLE",
                signal_type="level",
                signal_id="signal-1",
                current_value=0,
            )
        ],
        targets=[objects.Target(ven_id="ven-1")],
    )
    return messaging.create_message(
        "oadrDistributeEvent", request_id="req-1", vtn_id="vtn-1", events=[event], **kwargs
    )


def codec_style_poll():
    """An oadrPoll with every namespace declared on the root, and a default namespace.

    Inclusive c14n renders all of them in each digest, so this is the hard case.
    """
    nsmap = {
        None: OADR_NS,
        "ei": EI_NS,
        "pyld": PYLD_NS,
        "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
        "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
        "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream",
    }
    root = etree.Element(f"{{{OADR_NS}}}oadrPayload", nsmap=nsmap)
    signed = etree.SubElement(root, f"{{{OADR_NS}}}oadrSignedObject")
    signed.set(f"{{{OADR_NS}}}Id", "oadrSignedObject")
    poll = etree.SubElement(signed, f"{{{OADR_NS}}}oadrPoll")
    poll.set(f"{{{EI_NS}}}schemaVersion", "2.0b")
    etree.SubElement(poll, f"{{{EI_NS}}}venID").text = "ven-1"
    return root


def signature_of(root):
    return root.find(f"{DS}Signature")


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("key_type", KEY_TYPES)
async def test_round_trip(pki, key_type):
    clock = ManualClock(START)
    signer = make_signer(pki, key_type, clock)
    root = parse(openleadr_poll())
    signer.sign(root)

    assert root[0].tag == f"{DS}Signature", "the XSD wants the signature first"
    expected = pki.pair("ven", key_type).fingerprint
    info = await make_verifier(clock).verify(reparse(root), expected_fingerprint=expected)
    assert info.fingerprint == signer.fingerprint == pki.pair("ven", key_type).fingerprint
    assert info.timestamp == START
    assert len(info.nonce) == 32
    assert info.signature_method.endswith("rsa-sha256" if key_type == "rsa" else "ecdsa-sha256")


@pytest.mark.parametrize("key_type", KEY_TYPES)
async def test_signed_documents_are_schema_valid(pki, key_type):
    root = parse(openleadr_distribute_event())
    make_signer(pki, key_type, ManualClock(START), role="vtn").sign(root)
    messaging.validate_xml_schema(etree.tostring(root))


async def test_nonces_differ_between_messages(pki):
    clock = ManualClock(START)
    signer, verifier = make_signer(pki, "ecc", clock), make_verifier(clock)
    nonces = set()
    for _ in range(3):
        root = parse(openleadr_poll())
        signer.sign(root)
        info = await verifier.verify(root, expected_fingerprint=signer.fingerprint)
        nonces.add(info.nonce)
    assert len(nonces) == 3


@pytest.mark.parametrize("key_type", KEY_TYPES)
async def test_namespaces_declared_on_the_root_are_signed_in_context(pki, key_type):
    root = codec_style_poll()
    make_signer(pki, key_type, SystemClock()).sign(root)
    data = etree.tostring(root)
    expected = pki.pair("ven", key_type).fingerprint

    info = await make_verifier(SystemClock()).verify(parse(data), expected_fingerprint=expected)
    assert info.fingerprint == expected
    messaging.validate_xml_signature(parse(data), cert_fingerprint=expected)


def test_the_signer_adds_the_id_when_missing(pki):
    root = codec_style_poll()
    signed_object = root.find(f"{{{OADR_NS}}}oadrSignedObject")
    del signed_object.attrib[f"{{{OADR_NS}}}Id"]
    make_signer(pki, "rsa", ManualClock(START)).sign(root)
    assert signed_object.get(f"{{{OADR_NS}}}Id") == "oadrSignedObject"


def test_verify_signature_only_skips_replay_checks_but_not_the_binding(pki):
    clock = ManualClock(START)
    signer, verifier = make_signer(pki, "rsa", clock), make_verifier(clock)
    root = parse(openleadr_poll())
    signer.sign(root)
    clock.advance(timedelta(days=1))
    for _ in range(2):
        info = verifier.verify_signature_only(root, expected_fingerprint=signer.fingerprint)
        assert info.timestamp == START
    with pytest.raises(SignatureError, match="expected"):
        verifier.verify_signature_only(root, expected_fingerprint=pki.vtn_rsa.fingerprint)


async def test_expected_fingerprint_may_be_typed_loosely(pki):
    clock = ManualClock(START)
    signer = make_signer(pki, "ecc", clock)
    root = parse(openleadr_poll())
    signer.sign(root)
    loose = signer.fingerprint.replace(":", "").lower()
    info = await make_verifier(clock).verify(root, expected_fingerprint=loose)
    assert info.fingerprint == signer.fingerprint


@pytest.mark.parametrize("blank", ["", "   "])
async def test_a_blank_expected_fingerprint_is_an_error_not_a_pass(pki, blank):
    clock = ManualClock(START)
    root = parse(openleadr_poll())
    make_signer(pki, "rsa", clock).sign(root)
    with pytest.raises(ValueError):
        await make_verifier(clock).verify(root, expected_fingerprint=blank)


def test_a_passphrase_protected_key_works(pki, clock):
    cert, key_pem = key_material(pki, "ven", "ecc")
    key = load_pem_private_key(key_pem, password=None)
    locked = key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"open sesame")
    )
    root = parse(openleadr_poll())
    Signer(cert, locked, clock=clock, passphrase=b"open sesame").sign(root)
    assert signature_of(root) is not None
    with pytest.raises(ConfigError, match="passphrase"):
        Signer(cert, locked, clock=clock, passphrase=b"wrong")


@pytest.mark.parametrize("key_type", KEY_TYPES)
async def test_every_codec_example_signs_and_verifies_here_and_in_openleadr(pki, key_type):
    registry = pytest.importorskip("common.xml.registry")
    examples = pytest.importorskip("common.messages.examples")
    clock = SystemClock()
    signer, verifier = make_signer(pki, key_type, clock), make_verifier(clock)
    for message in examples.all_messages():
        data = registry.encode(message, signer=signer)
        assert registry.decode(data) == message
        messaging.validate_xml_signature(
            messaging.validate_xml_schema(data), cert_fingerprint=signer.fingerprint
        )
        await verifier.verify(parse(data), expected_fingerprint=signer.fingerprint)


# ----------------------------------------------------------------------------- openleadr


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("build", [openleadr_poll, openleadr_distribute_event])
async def test_openleadr_signed_messages_verify_here(pki, key_type, build):
    cert, key = key_material(pki, "vtn", key_type)
    text = build(cert=cert, key=key)
    info = await make_verifier(SystemClock()).verify(
        parse(text), expected_fingerprint=pki.pair("vtn", key_type).fingerprint
    )
    assert info.fingerprint == fingerprint(cert)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("build", [openleadr_poll, openleadr_distribute_event])
def test_our_signatures_verify_in_openleadr(pki, key_type, build):
    # openleadr checks against the real clock with a 5 s window and a global nonce cache.
    root = parse(build())
    make_signer(pki, key_type, SystemClock()).sign(root)
    tree = messaging.validate_xml_schema(etree.tostring(root))
    messaging.validate_xml_signature(tree, cert_fingerprint=pki.pair("ven", key_type).fingerprint)


# ----------------------------------------------------------------------------- refusals


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def signed_poll(pki, clock):
    root = parse(openleadr_poll())
    make_signer(pki, "rsa", clock).sign(root)
    return reparse(root)


async def test_tampered_content_is_refused(pki, clock, signed_poll):
    signed_poll.find(f".//{{{EI_NS}}}venID").text = "ven-2"
    with pytest.raises(SignatureError, match="changed after signing") as caught:
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)
    assert type(caught.value) is SignatureError


async def test_tampered_replay_protect_is_refused(pki, clock, signed_poll):
    signed_poll.find(f".//{{{DSP_NS}}}nonce").text = "0" * 32
    with pytest.raises(SignatureError, match="changed after signing"):
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_wrong_expected_fingerprint_is_refused(pki, clock, signed_poll):
    with pytest.raises(SignatureError, match="expected") as caught:
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.ven_ecc.fingerprint)
    assert type(caught.value) is SignatureError


async def test_a_certificate_swapped_for_the_expected_one_is_refused(pki, clock, signed_poll):
    # Signed with the VEN's key, but presenting the VTN's certificate (an untrusted key).
    vtn_pem = pki.vtn_rsa.cert.read_text()
    body = "".join(line for line in vtn_pem.splitlines() if "CERTIFICATE" not in line)
    signed_poll.find(f".//{DS}X509Certificate").text = body
    with pytest.raises(SignatureError, match="does not verify") as caught:
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.vtn_rsa.fingerprint)
    assert type(caught.value) is SignatureError


async def test_a_signature_by_an_unknown_party_is_refused(pki, other_pki, clock):
    root = parse(openleadr_poll())
    make_signer(other_pki, "rsa", clock).sign(root)
    with pytest.raises(SignatureError, match="expected"):
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_a_replayed_nonce_is_refused(pki, clock, signed_poll):
    verifier = make_verifier(clock)
    again = copy.deepcopy(signed_poll)
    await verifier.verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)
    with pytest.raises(ReplayDetected, match="already used"):
        await verifier.verify(again, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_a_shared_nonce_store_catches_replays_across_verifiers(pki, clock, signed_poll):
    store = InMemoryNonceStore(clock=clock)
    first = Verifier(clock=clock, nonce_store=store, window=WINDOW)
    second = Verifier(clock=clock, nonce_store=store, window=WINDOW)
    await first.verify(copy.deepcopy(signed_poll), expected_fingerprint=pki.ven_rsa.fingerprint)
    with pytest.raises(ReplayDetected):
        await second.verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_the_window_edge_is_accepted_and_just_beyond_is_refused(pki, clock):
    signer = make_signer(pki, "rsa", clock)
    verifier = make_verifier(clock)
    edge, late = parse(openleadr_poll()), parse(openleadr_poll())
    signer.sign(edge)
    signer.sign(late)
    clock.advance(WINDOW)
    await verifier.verify(edge, expected_fingerprint=signer.fingerprint)
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(ReplayDetected, match="before now"):
        await verifier.verify(late, expected_fingerprint=signer.fingerprint)


async def test_a_too_old_timestamp_is_refused(pki, clock, signed_poll):
    clock.advance(WINDOW + timedelta(seconds=1))
    with pytest.raises(ReplayDetected, match="before now"):
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_a_future_timestamp_is_refused(pki, clock):
    ahead = ManualClock(START + WINDOW + timedelta(seconds=1))
    root = parse(openleadr_poll())
    make_signer(pki, "ecc", ahead).sign(root)
    with pytest.raises(ReplayDetected, match="after now"):
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_ecc.fingerprint)


async def test_a_refused_message_does_not_burn_its_nonce(pki, clock):
    ahead = ManualClock(START + timedelta(minutes=6))
    signer = make_signer(pki, "rsa", ahead)
    root = parse(openleadr_poll())
    signer.sign(root)
    verifier = make_verifier(clock)
    with pytest.raises(ReplayDetected):
        await verifier.verify(root, expected_fingerprint=signer.fingerprint)
    clock.advance(timedelta(minutes=2))
    await verifier.verify(root, expected_fingerprint=signer.fingerprint)


async def test_a_missing_signature_is_refused(pki, clock):
    with pytest.raises(SignatureError, match="not signed") as caught:
        await make_verifier(clock).verify(
            parse(openleadr_poll()), expected_fingerprint=pki.ven_rsa.fingerprint
        )
    assert type(caught.value) is SignatureError


async def test_a_missing_certificate_is_refused(pki, clock, signed_poll):
    key_info = signature_of(signed_poll).find(f"{DS}KeyInfo")
    key_info.getparent().remove(key_info)
    with pytest.raises(SignatureError, match="no X509Certificate"):
        await make_verifier(clock).verify(signed_poll, expected_fingerprint=pki.ven_rsa.fingerprint)


def sign_with_signxml(pki, root, *, reference, properties, c14n=C14N_ALGORITHM):
    """A signature made directly with signxml, to build what our Signer never would."""
    cert, key = key_material(pki, "ven", "rsa")
    signer = XMLSigner(
        method=methods.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=c14n,
    )
    signer.namespaces = {**root.nsmap, "ds": DS_NS}
    signature = signer.sign(
        root, key=key, cert=cert.decode(), reference_uri=reference, signature_properties=properties
    )
    root.insert(0, signature)
    return reparse(root)


def replay_protect(moment):
    element = etree.Element(f"{{{DSP_NS}}}ReplayProtect", nsmap={"dsp": DSP_NS})
    etree.SubElement(element, f"{{{DSP_NS}}}timestamp").text = moment.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    etree.SubElement(element, f"{{{DSP_NS}}}nonce").text = "abc123"
    return element


async def test_a_signature_without_replay_protect_is_refused(pki, clock):
    root = sign_with_signxml(
        pki, parse(openleadr_poll()), reference="#oadrSignedObject", properties=None
    )
    with pytest.raises(SignatureError, match="references") as caught:
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)
    assert type(caught.value) is SignatureError


async def test_a_signature_over_another_element_is_refused(pki, clock):
    root = parse(openleadr_poll())
    root.find(f"{{{OADR_NS}}}oadrSignedObject").set(f"{{{OADR_NS}}}Id", "somethingElse")
    root = sign_with_signxml(
        pki, root, reference="#somethingElse", properties=replay_protect(START)
    )
    with pytest.raises(SignatureError, match="#oadrSignedObject"):
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_a_replay_protect_without_time_zone_is_refused(pki, clock):
    properties = replay_protect(START)
    properties[0].text = "2026-03-01T12:00:00"
    root = sign_with_signxml(
        pki, parse(openleadr_poll()), reference="#oadrSignedObject", properties=properties
    )
    with pytest.raises(SignatureError, match="time zone"):
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)


async def test_a_hand_made_but_correct_signature_is_accepted(pki, clock):
    root = sign_with_signxml(
        pki,
        parse(openleadr_poll()),
        reference="#oadrSignedObject",
        properties=replay_protect(START),
    )
    info = await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)
    assert (info.nonce, info.timestamp) == ("abc123", START)


# ----------------------------------------------------------------------------- misuse


def test_signer_refuses_a_key_that_does_not_match_the_certificate(pki, clock):
    cert, _ = key_material(pki, "ven", "rsa")
    _, other_key = key_material(pki, "vtn", "rsa")
    with pytest.raises(ConfigError, match="does not belong"):
        Signer(cert, other_key, clock=clock)


def test_signer_refuses_garbage(pki, clock):
    cert, key = key_material(pki, "ven", "ecc")
    with pytest.raises(ConfigError, match="certificate"):
        Signer(b"nope", key, clock=clock)
    with pytest.raises(ConfigError, match="key"):
        Signer(cert, b"nope", clock=clock)


def test_signer_repr_shows_no_key(pki, clock):
    signer = make_signer(pki, "rsa", clock)
    assert "PRIVATE" not in repr(signer)
    assert signer.fingerprint in repr(signer)


def test_signer_refuses_to_sign_twice_or_the_wrong_element(pki, clock):
    signer = make_signer(pki, "rsa", clock)
    root = parse(openleadr_poll())
    signer.sign(root)
    with pytest.raises(ValueError, match="already signed"):
        signer.sign(root)
    with pytest.raises(ValueError, match="oadrPayload"):
        signer.sign(root.find(f"{{{OADR_NS}}}oadrSignedObject"))


def test_verifier_refuses_a_non_positive_window(clock):
    with pytest.raises(ValueError):
        make_verifier(clock, window=timedelta(0))


async def test_an_exclusive_c14n_signature_is_accepted(pki, clock):
    root = sign_with_signxml(
        pki,
        parse(openleadr_poll()),
        reference="#oadrSignedObject",
        properties=replay_protect(START),
        c14n=EXCLUSIVE_C14N,
    )
    info = await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)
    assert info.nonce == "abc123"


async def test_a_signed_object_wrapped_away_from_its_place_is_refused(pki, clock):
    # Exclusive c14n lets the signed object move without breaking its digest: move it into the
    # Signature and put an unsigned oadrSignedObject where the codec reads the message.
    root = sign_with_signxml(
        pki,
        parse(openleadr_poll()),
        reference="#oadrSignedObject",
        properties=replay_protect(START),
        c14n=EXCLUSIVE_C14N,
    )
    signed_object = root.find(f"{{{OADR_NS}}}oadrSignedObject")
    forged = copy.deepcopy(signed_object)
    del forged.attrib[f"{{{OADR_NS}}}Id"]
    forged.find(f".//{{{EI_NS}}}venID").text = "ven-2"
    root.remove(signed_object)
    etree.SubElement(signature_of(root), f"{DS}Object").append(signed_object)
    root.append(forged)
    with pytest.raises(SignatureError, match="not the oadrSignedObject"):
        await make_verifier(clock).verify(root, expected_fingerprint=pki.ven_rsa.fingerprint)


@pytest.mark.parametrize(
    ("issued", "match"),
    [
        (datetime(2024, 1, 1, tzinfo=UTC), "expired at"),  # valid 2023-12-31 .. 2024-01-03
        (datetime(2027, 1, 1, tzinfo=UTC), "is not valid before"),  # from 2026-12-31
    ],
)
async def test_a_certificate_outside_its_validity_is_refused(tmp_path, clock, issued, match):
    from certs.pki import make_test_pki

    dated = make_test_pki(tmp_path, now=issued, days=2)
    root = parse(openleadr_poll())
    make_signer(dated, "ecc", clock).sign(root)
    with pytest.raises(SignatureError, match=match):
        await make_verifier(clock).verify(root, expected_fingerprint=dated.ven_ecc.fingerprint)
