"""XML signatures of 2.0b payloads (XML-DSig via signxml) with the ReplayProtect property.

A signed 2.0b message looks like this (prefixes are whatever the document declares)::

    <oadr:oadrPayload>
      <ds:Signature Id="oadrSignature">
        <ds:SignedInfo>  references #oadrSignedObject and #prop, inclusive c14n 1.0, SHA-256
        <ds:SignatureValue/>
        <ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>
        <ds:Object Id="prop"><ds:SignatureProperties><ds:SignatureProperty>
          <dsp:ReplayProtect><dsp:timestamp/><dsp:nonce/></dsp:ReplayProtect>
        </ds:SignatureProperty></ds:SignatureProperties></ds:Object>
      </ds:Signature>
      <oadr:oadrSignedObject oadr:Id="oadrSignedObject">...</oadr:oadrSignedObject>
    </oadr:oadrPayload>

Canonicalisation is inclusive c14n 1.0, as openleadr uses it. Inclusive c14n renders every
namespace declaration in scope, so each digest must be computed in the context the receiver
sees: the signed object in place inside ``oadrPayload``, and the Signature (its SignedInfo and
its ``ds:Object``) as if it already were a child of ``oadrPayload``. The signer therefore
declares on the Signature every namespace in scope at ``oadrPayload``; a signature made this
way verifies in the finished document, after serialisation, and in openleadr. The payload must
not be re-indented or otherwise rewritten after signing.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cryptography.exceptions
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from cryptography.utils import CryptographyDeprecationWarning
from lxml import etree

from common.clock import Clock
from common.errors import ConfigError, ReplayDetected, SignatureError
from common.security.fingerprint import fingerprint_from_der, normalize_fingerprint
from common.security.nonces import NonceStore

with warnings.catch_warnings():
    # signxml 4.x names cryptography's DSA key classes in its type hints, and cryptography >= 51
    # warns whenever they are touched. DSA is not among the signature methods accepted below, so
    # the warning says nothing about this program; it is silenced here, at the one import site,
    # for this import only (any other DSA use still warns).
    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
    )
    from signxml import (
        CanonicalizationMethod,
        DigestAlgorithm,
        InvalidDigest,
        SignatureConfiguration,
        SignatureMethod,
        VerifyResult,
        XMLSigner,
        XMLVerifier,
        methods,
    )
    from signxml.exceptions import SignXMLException

__all__ = [
    "C14N_ALGORITHM",
    "DEFAULT_REPLAY_WINDOW",
    "DSP_NS",
    "DS_NS",
    "OADR_NS",
    "SIGNED_OBJECT_ID",
    "SignatureInfo",
    "Signer",
    "Verifier",
]

OADR_NS = "http://openadr.org/oadr-2.0b/2012/07"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DSP_NS = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
SIGNED_OBJECT_ID = "oadrSignedObject"
SIGNATURE_ID = "oadrSignature"
C14N_ALGORITHM = CanonicalizationMethod.CANONICAL_XML_1_0
DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)

_PAYLOAD = f"{{{OADR_NS}}}oadrPayload"
_SIGNED_OBJECT = f"{{{OADR_NS}}}oadrSignedObject"
SIGNATURE_TAG = f"{{{DS_NS}}}Signature"
"""Clark tag of ds:Signature: a payload is signed when its root has this child."""
_SIGNATURE = SIGNATURE_TAG
_REPLAY_PROTECT = f"{{{DSP_NS}}}ReplayProtect"
_ID_ATTRIBUTES = (f"{{{OADR_NS}}}Id", "Id")  # the XSD wants oadr:Id; plain Id is common too
_NS = {"ds": DS_NS, "dsp": DSP_NS}

_ACCEPTED_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_ACCEPTED_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)
_VERIFY_CONFIG = SignatureConfiguration(
    require_x509=True,
    location="./",  # the Signature must be a child of oadrPayload
    expect_references=2,  # the signed object and the ReplayProtect properties
    signature_methods=_ACCEPTED_SIGNATURE_METHODS,
    digest_algorithms=_ACCEPTED_DIGESTS,
)
_CERT_CACHE_SIZE = 256


class _InPlaceSigner(XMLSigner):
    """signxml's signer, reading the caller's tree in place instead of re-parsing a copy.

    Detached signing never modifies the data it reads, and digesting the signed object inside
    its real document is exactly what inclusive c14n needs.
    """

    def get_root(self, data: Any) -> Any:
        if isinstance(data, etree._Element):
            return data
        return super().get_root(data)  # type: ignore[no-untyped-call]  # unannotated in signxml


class _InPlaceVerifier(XMLVerifier):
    """signxml's verifier without its first full copy of the document (it only reads it)."""

    def get_root(self, data: Any) -> Any:
        if isinstance(data, etree._Element):
            return data
        return super().get_root(data)  # type: ignore[no-untyped-call]  # unannotated in signxml


def _signed_object_of(payload_root: etree._Element) -> etree._Element | None:
    """The oadrSignedObject child of an oadrPayload element, if there is one."""
    return payload_root.find(_SIGNED_OBJECT)


def _id_of(element: etree._Element) -> str | None:
    """The value of the element's ``oadr:Id`` or ``Id`` attribute."""
    for name in _ID_ATTRIBUTES:
        value: str | None = element.get(name)
        if value is not None:
            return value
    return None


def _timestamp_text(moment: datetime) -> str:
    """xs:dateTime in UTC with microseconds and a ``Z`` (the form openleadr parses)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureInfo:
    """What a verified signature tells: who signed, and its ReplayProtect values."""

    fingerprint: str
    certificate: x509.Certificate
    timestamp: datetime
    nonce: str
    signature_method: str

    def __repr__(self) -> str:
        return (
            f"SignatureInfo(fingerprint={self.fingerprint!r}, "
            f"timestamp={self.timestamp.isoformat()}, nonce={self.nonce!r})"
        )


class Signer:
    """Signs oadrPayload elements with one certificate and private key (RSA or ECC).

    The key and certificate are loaded once; ``ConfigError`` if they cannot be read, do not
    belong together, or the key type is not RSA or elliptic-curve.
    """

    def __init__(
        self,
        cert_pem: bytes,
        key_pem: bytes,
        *,
        clock: Clock,
        passphrase: bytes | None = None,
    ) -> None:
        try:
            certificate = x509.load_pem_x509_certificate(cert_pem)
        except ValueError as exc:
            raise ConfigError("the signing certificate is not a PEM X.509 certificate") from exc
        try:
            key = load_pem_private_key(key_pem, password=passphrase)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "the signing key is not a PEM private key, or its passphrase is wrong"
            ) from exc
        if isinstance(key, rsa.RSAPrivateKey):
            self._method = SignatureMethod.RSA_SHA256
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            self._method = SignatureMethod.ECDSA_SHA256
        else:
            raise ConfigError(
                f"signing keys must be RSA or elliptic-curve, not {type(key).__name__}"
            )
        spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
            raise ConfigError("the signing key does not belong to the signing certificate")
        self._key = key
        self._clock = clock
        self._certificate = certificate
        self._cert_pem = certificate.public_bytes(Encoding.PEM).decode("ascii")
        self._fingerprint = fingerprint_from_der(certificate.public_bytes(Encoding.DER))

    @property
    def fingerprint(self) -> str:
        """The 2.0b fingerprint of the signing certificate."""
        return self._fingerprint

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        return self._certificate

    def __repr__(self) -> str:
        return f"Signer(fingerprint={self._fingerprint!r}, method={self._method.name})"

    def sign(self, payload_root: etree._Element) -> None:
        """Insert a ds:Signature as the first child of `payload_root` (an ``oadrPayload``).

        The signature covers the ``oadrSignedObject`` child (whose ``oadr:Id`` is set to
        ``oadrSignedObject`` when it has no Id yet) and a ReplayProtect property with the
        clock's time and a fresh random nonce. Raises ``ValueError`` for a payload that is not
        an unsigned oadrPayload with one oadrSignedObject.
        """
        if payload_root.tag != _PAYLOAD:
            raise ValueError(f"can only sign an oadrPayload element, not {payload_root.tag}")
        if payload_root.find(_SIGNATURE) is not None:
            raise ValueError("this oadrPayload is already signed")
        signed_object = _signed_object_of(payload_root)
        if signed_object is None:
            raise ValueError("the oadrPayload has no oadrSignedObject child")
        object_id = _id_of(signed_object)
        if object_id is None:
            signed_object.set(_ID_ATTRIBUTES[0], SIGNED_OBJECT_ID)
        elif object_id != SIGNED_OBJECT_ID:
            raise ValueError(f"the oadrSignedObject has Id {object_id!r}, not {SIGNED_OBJECT_ID!r}")

        signer = _InPlaceSigner(
            method=methods.detached,
            signature_algorithm=self._method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=C14N_ALGORITHM,
        )
        # Declare on the Signature what is in scope where it will live (see module docstring).
        namespaces: dict[str | None, str] = dict(payload_root.nsmap)
        namespaces["ds"] = DS_NS
        signer.namespaces = namespaces  # type: ignore[assignment]  # signxml says dict[str, str]; nsmap may key None
        try:
            signature = signer.sign(
                payload_root,
                key=self._key,
                cert=[self._cert_pem],
                reference_uri=f"#{SIGNED_OBJECT_ID}",
                signature_properties=self._replay_protect(),
            )
        except SignXMLException as exc:
            raise ValueError(f"cannot sign this oadrPayload: {exc}") from exc
        signature.set("Id", SIGNATURE_ID)
        payload_root.insert(0, signature)

    def _replay_protect(self) -> etree._Element:
        """A fresh dsp:ReplayProtect element (timestamp from the clock, 128-bit random nonce)."""
        element = etree.Element(
            _REPLAY_PROTECT,
            # signxml moves Id and Target onto the enclosing ds:SignatureProperty.
            attrib={"Id": "oadrReplayProtect", "Target": f"#{SIGNATURE_ID}"},
            nsmap={"dsp": DSP_NS},
        )
        etree.SubElement(element, f"{{{DSP_NS}}}timestamp").text = _timestamp_text(
            self._clock.now()
        )
        etree.SubElement(element, f"{{{DSP_NS}}}nonce").text = secrets.token_hex(16)
        return element


class Verifier:
    """Verifies signed oadrPayload elements: signature, certificate binding and replay.

    `window` bounds how far a ReplayProtect timestamp may lie from the clock's time, in the
    past and in the future alike; accepted nonces are kept in `nonce_store` until their
    timestamp leaves the window.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        nonce_store: NonceStore,
        window: timedelta = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError("the replay window must be positive")
        self._clock = clock
        self._nonce_store = nonce_store
        self._window = window
        self._certificates: dict[str, tuple[x509.Certificate, str]] = {}

    @property
    def window(self) -> timedelta:
        """How far a ReplayProtect timestamp may differ from now, either way."""
        return self._window

    def __repr__(self) -> str:
        return f"Verifier(window={self._window}, clock={self._clock!r})"

    async def verify(
        self, payload_root: etree._Element, *, expected_fingerprint: str
    ) -> SignatureInfo:
        """Accept a signed oadrPayload only if everything checks out; return what it says.

        Raises ``SignatureError`` when the signature is missing, malformed, does not verify,
        or was made with a certificate whose fingerprint is not `expected_fingerprint` or that
        is outside its validity period at the clock's time;
        ``ReplayDetected`` when its timestamp is outside the window or its nonce was seen.
        The nonce is recorded only after everything else passed.
        """
        info = self.verify_signature_only(payload_root, expected_fingerprint=expected_fingerprint)
        now = self._clock.now()
        valid_from = info.certificate.not_valid_before_utc
        valid_until = info.certificate.not_valid_after_utc
        if not valid_from <= now <= valid_until:
            state = "is not valid before" if now < valid_from else "expired at"
            when = valid_from if now < valid_from else valid_until
            raise SignatureError(
                f"the signing certificate {info.fingerprint} {state} {when.isoformat()} "
                f"(now {now.isoformat()})"
            )
        if info.timestamp < now - self._window:
            raise ReplayDetected(
                f"the message was signed at {info.timestamp.isoformat()}, more than "
                f"{self._window} before now ({now.isoformat()})"
            )
        if info.timestamp > now + self._window:
            raise ReplayDetected(
                f"the message is signed at {info.timestamp.isoformat()}, more than "
                f"{self._window} after now ({now.isoformat()}); check the signer's clock"
            )
        if not await self._nonce_store.remember(
            info.nonce, info.timestamp, info.timestamp + self._window
        ):
            raise ReplayDetected(f"the ReplayProtect nonce {info.nonce!r} was already used")
        return info

    def verify_signature_only(
        self, payload_root: etree._Element, *, expected_fingerprint: str
    ) -> SignatureInfo:
        """The synchronous part of ``verify``: cryptography and certificate binding.

        Checks the signature value, both references (the oadrSignedObject child and the
        ReplayProtect properties) and that the signing certificate has `expected_fingerprint`.
        It does NOT check the timestamp window nor the nonce: use ``verify`` for messages.
        """
        expected = normalize_fingerprint(expected_fingerprint)
        if payload_root.tag != _PAYLOAD:
            raise SignatureError(f"expected an oadrPayload element, not {payload_root.tag}")
        signature = payload_root.find(_SIGNATURE)
        if signature is None:
            raise SignatureError("the message is not signed (no ds:Signature in oadrPayload)")
        certificate = self._signing_certificate(signature, expected)
        results = self._verify_cryptography(payload_root, certificate)
        timestamp, nonce = self._check_references(payload_root, signature, results)
        method = signature.find("ds:SignedInfo/ds:SignatureMethod", _NS)
        return SignatureInfo(
            fingerprint=expected,
            certificate=certificate,
            timestamp=timestamp,
            nonce=nonce,
            signature_method=method.get("Algorithm", "") if method is not None else "",
        )

    def _signing_certificate(self, signature: etree._Element, expected: str) -> x509.Certificate:
        """The embedded certificate with the expected fingerprint, or ``SignatureError``."""
        elements = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
        if not elements:
            raise SignatureError("the signature carries no X509Certificate")
        seen = []
        for element in elements:
            certificate, fingerprint = self._load_certificate(element.text or "")
            if fingerprint == expected:
                return certificate
            seen.append(fingerprint)
        raise SignatureError(
            f"the message is signed with certificate {', '.join(seen)}, expected {expected}"
        )

    def _load_certificate(self, text: str) -> tuple[x509.Certificate, str]:
        """Parse a base64 X509Certificate (cached per verifier)."""
        key = "".join(text.split())
        cached = self._certificates.get(key)
        if cached is not None:
            return cached
        try:
            der = base64.b64decode(key, validate=True)
            certificate = x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("the signature's X509Certificate cannot be read") from exc
        if len(self._certificates) >= _CERT_CACHE_SIZE:
            del self._certificates[next(iter(self._certificates))]
        entry = (certificate, fingerprint_from_der(der))
        self._certificates[key] = entry
        return entry

    def _verify_cryptography(
        self, payload_root: etree._Element, certificate: x509.Certificate
    ) -> list[VerifyResult]:
        """signxml's verification with the bound certificate, errors made readable."""
        try:
            results = _InPlaceVerifier().verify(
                payload_root, x509_cert=certificate, expect_config=_VERIFY_CONFIG
            )
        except InvalidDigest as exc:
            raise SignatureError(f"the signed content was changed after signing ({exc})") from exc
        except cryptography.exceptions.InvalidSignature as exc:
            # signxml's InvalidSignature derives from this one
            detail = str(exc).removeprefix("Signature verification failed:").strip()
            reason = f": {detail}" if detail else " with the certificate's key"
            raise SignatureError(f"the signature does not verify{reason}") from exc
        except (SignXMLException, ValueError, etree.LxmlError) as exc:
            raise SignatureError(f"the XML signature is malformed: {exc}") from exc
        # signxml returns a list whenever more than one reference is expected (here: two)
        return results if isinstance(results, list) else [results]

    def _check_references(
        self,
        payload_root: etree._Element,
        signature: etree._Element,
        results: list[VerifyResult],
    ) -> tuple[datetime, str]:
        """Check what the two references point at; return the signed ReplayProtect values."""
        uris = [ref.get("URI") for ref in signature.findall("ds:SignedInfo/ds:Reference", _NS)]
        if len(uris) != len(results) or f"#{SIGNED_OBJECT_ID}" not in uris:
            raise SignatureError(f"the signature does not reference #{SIGNED_OBJECT_ID}")
        signed_object = _signed_object_of(payload_root)
        if signed_object is None or _id_of(signed_object) != SIGNED_OBJECT_ID:
            raise SignatureError(
                f"the signed element is not the oadrSignedObject with Id {SIGNED_OBJECT_ID!r}"
            )
        properties = results[1 - uris.index(f"#{SIGNED_OBJECT_ID}")].signed_xml
        replay = properties.findall(".//dsp:ReplayProtect", _NS) if properties is not None else []
        if len(replay) != 1:
            raise SignatureError("the signature has no signed ReplayProtect property")
        timestamp_text = (replay[0].findtext("dsp:timestamp", None, _NS) or "").strip()
        nonce = (replay[0].findtext("dsp:nonce", None, _NS) or "").strip()
        if not nonce:
            raise SignatureError("the ReplayProtect property has no nonce")
        try:
            timestamp = datetime.fromisoformat(timestamp_text)
        except ValueError as exc:
            raise SignatureError(
                f"the ReplayProtect timestamp {timestamp_text!r} is not an xs:dateTime"
            ) from exc
        if timestamp.tzinfo is None:
            raise SignatureError(f"the ReplayProtect timestamp {timestamp_text!r} has no time zone")
        return timestamp.astimezone(UTC), nonce
