"""Certificate fingerprints: the 2.0b format, openleadr's value, and the normaliser."""

from __future__ import annotations

import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from openleadr.utils import certificate_fingerprint as openleadr_fingerprint

from common.security.fingerprint import (
    certificate_der,
    fingerprint,
    fingerprint_from_der,
    normalize_fingerprint,
)

FORMAT = re.compile(r"(?:[0-9A-F]{2}:){9}[0-9A-F]{2}")


@pytest.mark.parametrize("name", ["vtn_rsa", "vtn_ecc", "ven_rsa", "ven_ecc", "ca_rsa", "ca_ecc"])
def test_fingerprint_equals_openleadr_for_every_input_form(pki, name):
    pair = getattr(pki, name)
    pem = pair.cert.read_bytes()
    certificate = x509.load_pem_x509_certificate(pem)
    der = certificate.public_bytes(Encoding.DER)

    expected = openleadr_fingerprint(pem.decode())
    assert FORMAT.fullmatch(expected)
    assert fingerprint(pem) == expected
    assert fingerprint(pem.decode()) == expected
    assert fingerprint(der) == expected
    assert fingerprint(certificate) == expected
    assert fingerprint_from_der(der) == expected
    assert pair.fingerprint == expected


def test_fingerprint_is_the_tail_of_the_sha256_of_the_der(pki):
    der = certificate_der(pki.ven_rsa.cert.read_bytes())
    tail = hashlib.sha256(der).hexdigest()[-20:].upper()
    assert fingerprint(der).replace(":", "") == tail


def test_fingerprint_refuses_what_is_not_a_certificate():
    with pytest.raises(ValueError):
        fingerprint(b"certainly not DER")
    with pytest.raises(ValueError):
        fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


@pytest.mark.parametrize(
    "typed",
    [
        "3a:5f:00:12:ab:cd:ef:01:23:45",
        "3A5F0012ABCDEF012345",
        "3a-5f-00-12-ab-cd-ef-01-23-45",
        " 3A 5F 00 12 AB CD EF 01 23 45 ",
    ],
)
def test_normalize_accepts_what_humans_type(typed):
    assert normalize_fingerprint(typed) == "3A:5F:00:12:AB:CD:EF:01:23:45"


def test_normalize_reduces_a_full_sha256_fingerprint(pki):
    der = certificate_der(pki.vtn_ecc.cert.read_bytes())
    openssl_style = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert normalize_fingerprint(openssl_style) == pki.vtn_ecc.fingerprint
    assert normalize_fingerprint(hashlib.sha256(der).hexdigest()) == pki.vtn_ecc.fingerprint


@pytest.mark.parametrize(
    "typed", ["", "3A:5F", "ZZ:5F:00:12:AB:CD:EF:01:23:45", "3A5F0012ABCDEF0123456"]
)
def test_normalize_refuses_garbage(typed):
    with pytest.raises(ValueError, match="not a certificate fingerprint"):
        normalize_fingerprint(typed)
