"""The test PKI generator and the ``python -m certs`` command line."""

from __future__ import annotations

import ipaddress
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from openleadr.utils import certificate_fingerprint as openleadr_fingerprint

from certs.__main__ import main
from certs.pki import make_test_pki, read_test_pki

REPO = Path(__file__).resolve().parents[2]


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def common_name(certificate):
    return certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


@pytest.mark.parametrize("key_type", ["rsa", "ecc"])
def test_leaves_are_issued_by_their_ca_with_the_right_keys(pki, key_type):
    ca = load(pki.pair("ca", key_type).cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for role in ("vtn", "ven"):
        pair = pki.pair(role, key_type)
        leaf = load(pair.cert)
        leaf.verify_directly_issued_by(ca)
        key = load_pem_private_key(pair.key.read_bytes(), password=None)
        if key_type == "rsa":
            assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
        else:
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            assert isinstance(key.curve, ec.SECP256R1)
        assert key.public_key() == leaf.public_key()
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(usages)
        assert pair.fingerprint == openleadr_fingerprint(pair.cert.read_text())


def test_keys_are_private_files(pki):
    for _, pair in pki.leaves():
        assert stat.S_IMODE(pair.key.stat().st_mode) == 0o600


def test_vtn_certificate_names_its_hosts(pki):
    vtn = load(pki.vtn_rsa.cert)
    names = vtn.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert common_name(vtn) == "vtn.test"


def test_ca_bundle_holds_both_cas(pki):
    bundle = pki.ca_bundle.read_bytes()
    for key_type in ("rsa", "ecc"):
        assert pki.pair("ca", key_type).cert.read_bytes() in bundle


def test_read_test_pki_finds_what_was_written(pki, tmp_path):
    assert read_test_pki(pki.directory) == pki
    assert read_test_pki(tmp_path) is None


def test_cli_writes_keeps_and_replaces(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--out", str(out), "--ven-id", "ven-42", "--host", "vtn.example"]) == 0
    first = capsys.readouterr().out
    pki = read_test_pki(out)
    assert pki is not None
    for _, pair in pki.leaves():
        assert pair.fingerprint in first
    assert common_name(load(pki.ven_ecc.cert)) == "ven-42"
    vtn_names = load(pki.vtn_ecc.cert).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "vtn.example" in vtn_names.value.get_values_for_type(x509.DNSName)

    assert main(["--out", str(out)]) == 0
    kept = capsys.readouterr().out
    assert "kept" in kept and pki.ven_rsa.fingerprint in kept

    assert main(["--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert read_test_pki(out).ven_rsa.fingerprint != pki.ven_rsa.fingerprint


def test_cli_prints_fingerprints_of_files(pki, tmp_path, capsys):
    assert main(["fingerprint", str(pki.ven_ecc.cert), str(pki.vtn_rsa.cert)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(pki.ven_ecc.fingerprint)
    assert lines[1].startswith(pki.vtn_rsa.fingerprint)

    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    assert main(["fingerprint", str(junk)]) == 1
    assert "not a readable certificate" in capsys.readouterr().err


def test_python_m_certs_help_explains():
    result = subprocess.run(
        [sys.executable, "-m", "certs", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--out" in result.stdout and "fingerprint" in result.stdout
    assert "SHA-256" in result.stdout


def test_make_test_pki_into_a_fresh_folder(tmp_path):
    pki = make_test_pki(tmp_path / "a" / "b", vtn_cn="vtn.local", ven_cn="ven-7")
    assert common_name(load(pki.vtn_ecc.cert)) == "vtn.local"
    assert common_name(load(pki.ven_rsa.cert)) == "ven-7"
