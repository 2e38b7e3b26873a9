"""A throw-away test PKI: a CA per key type, and VTN and VEN certificates (RSA 2048, ECC P-256)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from common.security.fingerprint import fingerprint

__all__ = ["KEY_TYPES", "CertPair", "KeyType", "Pki", "make_test_pki", "read_test_pki"]

KeyType = Literal["rsa", "ecc"]
KEY_TYPES: tuple[KeyType, ...] = ("rsa", "ecc")
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

DEFAULT_VTN_CN = "vtn.test"
DEFAULT_VEN_ID = "ven-1"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_BUNDLE = "ca.pem"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertPair:
    """A certificate and its private key on disk, with the certificate's 2.0b fingerprint."""

    cert: Path
    key: Path
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pki:
    """Paths of a generated test PKI. `ca_bundle` holds both CA certificates (trust anchors)."""

    directory: Path
    ca_bundle: Path
    ca_rsa: CertPair
    ca_ecc: CertPair
    vtn_rsa: CertPair
    vtn_ecc: CertPair
    ven_rsa: CertPair
    ven_ecc: CertPair

    def pair(self, role: Literal["ca", "vtn", "ven"], key_type: KeyType) -> CertPair:
        """The certificate pair of `role` with `key_type`, e.g. ``pki.pair("ven", "ecc")``."""
        pair: CertPair = getattr(self, f"{role}_{key_type}")
        return pair

    def leaves(self) -> Iterator[tuple[str, CertPair]]:
        """``(name, pair)`` of the VTN and VEN certificates, in a stable order."""
        for role in ("vtn", "ven"):
            for key_type in KEY_TYPES:
                yield f"{role}-{key_type}", getattr(self, f"{role}_{key_type}")


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "oadr-pair test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def _make_ca(key: PrivateKey, common_name: str, now: datetime, days: int) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _make_leaf(
    key: PrivateKey,
    common_name: str,
    alt_names: Iterable[str],
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    now: datetime,
    days: int,
) -> x509.Certificate:
    public = key.public_key()
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=is_rsa,  # TLS_RSA_* suites encrypt the premaster secret
                data_encipherment=False,
                key_agreement=not is_rsa,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName(_alt_names(alt_names)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def _write(directory: Path, stem: str, cert: x509.Certificate, key: PrivateKey) -> CertPair:
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(Encoding.PEM))
    key_bytes = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    if key_path.exists():
        key_path.unlink()
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_bytes)
    return CertPair(cert=cert_path, key=key_path, fingerprint=fingerprint(cert))


def make_test_pki(
    directory: str | os.PathLike[str],
    *,
    vtn_cn: str = DEFAULT_VTN_CN,
    ven_cn: str = DEFAULT_VEN_ID,
    hosts: Iterable[str] = DEFAULT_HOSTS,
    days: int = 365,
    now: datetime | None = None,
) -> Pki:
    """Generate a test PKI into `directory` (created if missing; existing files are replaced).

    Per key type (``rsa``: RSA 2048, ``ecc``: ECC P-256) a self-signed CA signs one VTN and one
    VEN certificate; both leaves allow TLS server and client use. The VTN certificate's
    subjectAltName holds `vtn_cn` and `hosts` (so TLS clients can check the host name on
    loopback); the VEN's holds `ven_cn`. Keys are unencrypted PKCS#8 PEM with mode 0600: for
    tests and demos only. `now` (UTC) sets the start of validity, which begins a day earlier.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    start = (now or datetime.now(UTC)).astimezone(UTC)
    host_list = list(hosts)
    pairs: dict[str, CertPair] = {}
    ca_pems: list[bytes] = []
    for key_type in KEY_TYPES:
        ca_key = _new_key(key_type)
        ca_cert = _make_ca(ca_key, f"oadr-pair test CA ({key_type.upper()})", start, days)
        ca_pems.append(ca_cert.public_bytes(Encoding.PEM))
        pairs[f"ca_{key_type}"] = _write(out, f"ca-{key_type}", ca_cert, ca_key)
        for role, common_name, alt_names in (
            ("vtn", vtn_cn, [vtn_cn, *host_list]),
            ("ven", ven_cn, [ven_cn]),
        ):
            key = _new_key(key_type)
            cert = _make_leaf(key, common_name, alt_names, ca_cert, ca_key, start, days)
            pairs[f"{role}_{key_type}"] = _write(out, f"{role}-{key_type}", cert, key)
    ca_bundle = out / CA_BUNDLE
    ca_bundle.write_bytes(b"".join(ca_pems))
    return Pki(directory=out, ca_bundle=ca_bundle, **pairs)


def read_test_pki(directory: str | os.PathLike[str]) -> Pki | None:
    """The test PKI already in `directory`, or ``None`` when any of its files is missing."""
    out = Path(directory)
    ca_bundle = out / CA_BUNDLE
    if not ca_bundle.is_file():
        return None
    pairs: dict[str, CertPair] = {}
    for role in ("ca", "vtn", "ven"):
        for key_type in KEY_TYPES:
            cert, key = out / f"{role}-{key_type}.pem", out / f"{role}-{key_type}.key"
            if not (cert.is_file() and key.is_file()):
                return None
            pairs[f"{role}_{key_type}"] = CertPair(
                cert=cert, key=key, fingerprint=fingerprint(cert.read_bytes())
            )
    return Pki(directory=out, ca_bundle=ca_bundle, **pairs)
