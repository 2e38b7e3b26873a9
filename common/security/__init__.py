"""Message and transport security of the wire layer: signatures, fingerprints, nonces, TLS."""

from common.security.fingerprint import fingerprint, fingerprint_from_der, normalize_fingerprint
from common.security.nonces import InMemoryNonceStore, NonceStore
from common.security.signing import SignatureInfo, Signer, Verifier
from common.security.tls import client_context, peer_fingerprint, server_context

__all__ = [
    "InMemoryNonceStore",
    "NonceStore",
    "SignatureInfo",
    "Signer",
    "Verifier",
    "client_context",
    "fingerprint",
    "fingerprint_from_der",
    "normalize_fingerprint",
    "peer_fingerprint",
    "server_context",
]
