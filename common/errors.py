"""The project's error hierarchy.

Every error the wire layer raises is an ``OadrError``. Protocol errors carry the 2.0b response
code (450-469) that a peer should receive; the VTN and the VEN turn them into an eiResponse in
exactly one place each. Lower-level errors (lxml, signxml, cryptography) are translated at the
boundary with ``raise X(...) from exc`` and never reach a peer verbatim.

    OadrError                         base; never raised itself
    ├── ConfigError                   a configuration file or option is wrong (names the field)
    └── ProtocolError                 something a 2.0b peer must be told about; has .code
        ├── OutOfSequence             450  request arrives in the wrong state (e.g. not registered)
        ├── NotAllowed                451  the request is understood but refused
        ├── InvalidId                 452  an ID (venID, eventID, reportRequestID, ...) is unknown
        ├── NotRecognized             453  the payload type or an element is not recognised
        ├── InvalidData               454  well-formed but wrong content
        │   ├── MalformedXml          454  not XML, not UTF-8, or hostile (DTD, entity, depth)
        │   ├── BodyTooLarge          454  the body exceeds the configured size cap
        │   └── SchemaViolation       454  the document does not validate against the 2.0b XSD
        ├── ComplianceError           459  a 2.0b rule outside the schema is broken
        ├── SignalNotSupported        460  an event signal the VEN cannot act on
        ├── ReportNotSupported        461  a report the party does not offer
        ├── TargetMismatch            462  the message is not meant for this party
        ├── NotRegisteredOrAuthorized 463  identity failed: certificate, fingerprint, venID
        │   └── SignatureError        463  an XML signature is missing, invalid, or replayed
        │       └── ReplayDetected    463  the ReplayProtect timestamp or nonce is not acceptable
        └── OtherError                469  anything else the peer should hear about
"""

from __future__ import annotations

from enum import IntEnum


class ResponseCode(IntEnum):
    """eiResponse codes of OpenADR 2.0b (the 2xx success and 45x/46x failure codes)."""

    OK = 200
    OUT_OF_SEQUENCE = 450
    NOT_ALLOWED = 451
    INVALID_ID = 452
    NOT_RECOGNIZED = 453
    INVALID_DATA = 454
    COMPLIANCE_ERROR = 459
    SIGNAL_NOT_SUPPORTED = 460
    REPORT_NOT_SUPPORTED = 461
    TARGET_MISMATCH = 462
    NOT_REGISTERED_OR_AUTHORIZED = 463
    DEPLOYMENT_ERROR_OR_OTHER_ERROR = 469


class OadrError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(OadrError):
    """A configuration file or option is wrong; the message names the field."""


class ProtocolError(OadrError):
    """An error a 2.0b peer must be told about, with the response code it gets."""

    code: ResponseCode = ResponseCode.DEPLOYMENT_ERROR_OR_OTHER_ERROR

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self.code)}, {self.description!r})"


class OutOfSequence(ProtocolError):
    """Raised when a request arrives in the wrong state (for example before registration)."""

    code = ResponseCode.OUT_OF_SEQUENCE


class NotAllowed(ProtocolError):
    """Raised when a request is understood but refused."""

    code = ResponseCode.NOT_ALLOWED


class InvalidId(ProtocolError):
    """Raised when an ID in the request is unknown to the receiver."""

    code = ResponseCode.INVALID_ID


class NotRecognized(ProtocolError):
    """Raised when the payload type or an element is not recognised."""

    code = ResponseCode.NOT_RECOGNIZED


class InvalidData(ProtocolError):
    """Raised when a message is well-formed but its content is wrong."""

    code = ResponseCode.INVALID_DATA


class MalformedXml(InvalidData):
    """Raised for bodies that are not XML, not UTF-8, or hostile (DTD, entities, depth)."""


class BodyTooLarge(InvalidData):
    """Raised when a body exceeds the configured size cap."""


class SchemaViolation(InvalidData):
    """Raised when a document does not validate against the 2.0b schema set."""


class ComplianceError(ProtocolError):
    """Raised when a 2.0b rule outside the schema is broken."""

    code = ResponseCode.COMPLIANCE_ERROR


class SignalNotSupported(ProtocolError):
    """Raised by a VEN for an event signal it cannot act on."""

    code = ResponseCode.SIGNAL_NOT_SUPPORTED


class ReportNotSupported(ProtocolError):
    """Raised when a requested report is not offered."""

    code = ResponseCode.REPORT_NOT_SUPPORTED


class TargetMismatch(ProtocolError):
    """Raised when a message is not meant for this party."""

    code = ResponseCode.TARGET_MISMATCH


class NotRegisteredOrAuthorized(ProtocolError):
    """Raised when identity fails: certificate, fingerprint or venID."""

    code = ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


class SignatureError(NotRegisteredOrAuthorized):
    """Raised when an XML signature is missing, invalid, or bound to the wrong certificate."""


class ReplayDetected(SignatureError):
    """Raised when a ReplayProtect timestamp is outside the window or its nonce was seen."""


class OtherError(ProtocolError):
    """Raised for anything else a peer should hear about."""

    code = ResponseCode.DEPLOYMENT_ERROR_OR_OTHER_ERROR
