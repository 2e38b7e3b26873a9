"""OpenADR 2.0b certificate fingerprints: the last ten bytes of the SHA-256 of the DER."""

from __future__ import annotations

import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["certificate_der", "fingerprint", "fingerprint_from_der", "normalize_fingerprint"]

_FINGERPRINT_BYTES = 10  # 2.0b shows the last 20 hex digits of the SHA-256 digest
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"[0-9A-F]+")


def _format(digest_tail: bytes) -> str:
    """Ten bytes as upper-case hex pairs joined by colons (the form openleadr prints)."""
    return ":".join(f"{byte:02X}" for byte in digest_tail)


def fingerprint_from_der(der: bytes) -> str:
    """Fingerprint of a certificate given as DER bytes, e.g. ``'3A:...:9F'`` (ten bytes)."""
    return _format(hashlib.sha256(der).digest()[-_FINGERPRINT_BYTES:])


def certificate_der(certificate: x509.Certificate | bytes | str) -> bytes:
    """DER bytes of a certificate given as a cryptography object, PEM (bytes or str) or DER.

    Only the first certificate of a PEM bundle counts. Raises ``ValueError`` for anything that
    is not a certificate.
    """
    if isinstance(certificate, x509.Certificate):
        return certificate.public_bytes(Encoding.DER)
    data = certificate.encode("ascii") if isinstance(certificate, str) else bytes(certificate)
    if _PEM_BEGIN in data:
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    # DER: parse it so that garbage is refused instead of being hashed.
    x509.load_der_x509_certificate(data)
    return data


def fingerprint(certificate: x509.Certificate | bytes | str) -> str:
    """The 2.0b fingerprint of a certificate (cryptography object, PEM bytes/str, or DER bytes)."""
    return fingerprint_from_der(certificate_der(certificate))


def normalize_fingerprint(text: str) -> str:
    """Canonical form of a fingerprint typed by a human.

    Accepts upper or lower case, with colons, dashes, spaces or nothing between the bytes,
    either the ten 2.0b bytes (20 hex digits) or a full SHA-256 certificate fingerprint
    (64 hex digits, as ``openssl x509 -fingerprint -sha256`` prints it), of which the last ten
    bytes are kept. Returns ``'AB:CD:...'``; raises ``ValueError`` for anything else.
    """
    digits = _SEPARATORS.sub("", text).upper()
    if not _HEX.fullmatch(digits) or len(digits) not in (2 * _FINGERPRINT_BYTES, 64):
        raise ValueError(
            f"not a certificate fingerprint: {text!r} (expected 20 hex digits such as "
            "'AB:CD:EF:01:23:45:67:89:AB:CD', or a 64-digit SHA-256 fingerprint)"
        )
    return _format(bytes.fromhex(digits[-2 * _FINGERPRINT_BYTES :]))
