"""Namespaces of the 2.0b schema set and the Clark-notation tags the codec reads and writes.

Tags are precomputed ``"{namespace}local"`` strings so that the codec never formats a tag at run
time. Report codecs add their own tags next to their code, built with the same helpers.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

BASE_PATH: Final = "/OpenADR2/Simple/2.0b"
"""Where the 2.0b Simple HTTP services live on either party: ``BASE_PATH/<service>``."""

OADR: Final = "http://openadr.org/oadr-2.0b/2012/07"
EI: Final = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD: Final = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
EMIX: Final = "http://docs.oasis-open.org/ns/emix/2011/06"
POWER: Final = "http://docs.oasis-open.org/ns/emix/2011/06/power"
SCALE: Final = "http://docs.oasis-open.org/ns/emix/2011/06/siscale"
XCAL: Final = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM: Final = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
GML: Final = "http://www.opengis.net/gml/3.2"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"

NSMAP: Final = MappingProxyType(
    {
        "oadr": OADR,
        "ei": EI,
        "pyld": PYLD,
        "emix": EMIX,
        "power": POWER,
        "scale": SCALE,
        "xcal": XCAL,
        "strm": STRM,
        "gml": GML,
    }
)
"""The full prefix map, declared on the oadrPayload root of the payloads that may use them all."""
BASIC_NSMAP: Final = MappingProxyType({"oadr": OADR, "ei": EI, "pyld": PYLD})
"""The prefixes of the small payloads (poll, response, request/created event, …)."""


def oadr(local: str) -> str:
    """Clark tag of an element in the oadr namespace."""
    return f"{{{OADR}}}{local}"


def ei(local: str) -> str:
    """Clark tag of an element in the ei namespace."""
    return f"{{{EI}}}{local}"


def pyld(local: str) -> str:
    """Clark tag of an element in the pyld namespace."""
    return f"{{{PYLD}}}{local}"


def emix(local: str) -> str:
    """Clark tag of an element in the emix namespace."""
    return f"{{{EMIX}}}{local}"


def power(local: str) -> str:
    """Clark tag of an element in the power namespace."""
    return f"{{{POWER}}}{local}"


def xcal(local: str) -> str:
    """Clark tag of an element in the xcal namespace."""
    return f"{{{XCAL}}}{local}"


def strm(local: str) -> str:
    """Clark tag of an element in the strm namespace."""
    return f"{{{STRM}}}{local}"


def gml(local: str) -> str:
    """Clark tag of an element (or attribute) in the gml namespace."""
    return f"{{{GML}}}{local}"


# envelope
OADR_PAYLOAD: Final = oadr("oadrPayload")
OADR_SIGNED_OBJECT: Final = oadr("oadrSignedObject")
SIGNED_OBJECT_ID_ATTR: Final = oadr("Id")
"""The oadrSignedObject's Id attribute: qualified, as the schema's attributeFormDefault says."""
SIGNED_OBJECT_ID: Final = "oadrSignedObject"
SCHEMA_VERSION_ATTR: Final = ei("schemaVersion")
PAYLOAD_TAGS: Final = frozenset(
    oadr(name)
    for name in (
        "oadrDistributeEvent", "oadrCreatedEvent", "oadrRequestEvent", "oadrResponse",
        "oadrCancelOpt", "oadrCanceledOpt", "oadrCreateOpt", "oadrCreatedOpt",
        "oadrCancelReport", "oadrCanceledReport", "oadrCreateReport", "oadrCreatedReport",
        "oadrRegisterReport", "oadrRegisteredReport", "oadrUpdateReport", "oadrUpdatedReport",
        "oadrCancelPartyRegistration", "oadrCanceledPartyRegistration",
        "oadrCreatePartyRegistration", "oadrCreatedPartyRegistration",
        "oadrRequestReregistration", "oadrQueryRegistration", "oadrPoll",
    )
)  # fmt: skip
"""The 23 payload elements the schema allows inside oadrSignedObject."""
DS_SIGNATURE: Final = f"{{{DS}}}Signature"

# shared ei / pyld
REQUEST_ID: Final = pyld("requestID")
EI_RESPONSE: Final = ei("eiResponse")
RESPONSE_CODE: Final = ei("responseCode")
RESPONSE_DESCRIPTION: Final = ei("responseDescription")
VEN_ID: Final = ei("venID")
VTN_ID: Final = ei("vtnID")
EVENT_ID: Final = ei("eventID")
MODIFICATION_NUMBER: Final = ei("modificationNumber")
QUALIFIED_EVENT_ID: Final = ei("qualifiedEventID")
CREATED_DATE_TIME: Final = ei("createdDateTime")
REGISTRATION_ID: Final = ei("registrationID")
OPT_ID: Final = ei("optID")
OPT_TYPE: Final = ei("optType")
OPT_REASON: Final = ei("optReason")
MARKET_CONTEXT: Final = emix("marketContext")
RESOURCE_ID: Final = ei("resourceID")

# targets
EI_TARGET: Final = ei("eiTarget")
AGGREGATED_PNODE: Final = power("aggregatedPnode")
END_DEVICE_ASSET: Final = power("endDeviceAsset")
METER_ASSET: Final = power("meterAsset")
PNODE: Final = power("pnode")
SERVICE_AREA: Final = emix("serviceArea")
SERVICE_DELIVERY_POINT: Final = power("serviceDeliveryPoint")
SERVICE_LOCATION: Final = power("serviceLocation")
TRANSPORT_INTERFACE: Final = power("transportInterface")
POINT_OF_RECEIPT: Final = power("pointOfReceipt")
POINT_OF_DELIVERY: Final = power("pointOfDelivery")
NODE: Final = power("node")
MRID: Final = power("mrid")
GROUP_ID: Final = ei("groupID")
GROUP_NAME: Final = ei("groupName")
PARTY_ID: Final = ei("partyID")
FEATURE_COLLECTION: Final = gml("FeatureCollection")
GML_LOCATION: Final = gml("location")
GML_POLYGON: Final = gml("Polygon")
GML_EXTERIOR: Final = gml("exterior")
GML_LINEAR_RING: Final = gml("LinearRing")
GML_POS_LIST: Final = gml("posList")
GML_ID_ATTR: Final = gml("id")

# time
DTSTART: Final = xcal("dtstart")
DATE_TIME: Final = xcal("date-time")
DURATION: Final = xcal("duration")
UID: Final = xcal("uid")
TEXT: Final = xcal("text")
PROPERTIES: Final = xcal("properties")
COMPONENTS: Final = xcal("components")
TOLERANCE: Final = xcal("tolerance")
TOLERATE: Final = xcal("tolerate")
STARTAFTER: Final = xcal("startafter")
X_EI_NOTIFICATION: Final = ei("x-eiNotification")
X_EI_RAMP_UP: Final = ei("x-eiRampUp")
X_EI_RECOVERY: Final = ei("x-eiRecovery")
VAVAILABILITY: Final = xcal("vavailability")
AVAILABLE: Final = xcal("available")
GRANULARITY: Final = xcal("granularity")
INTERVALS: Final = strm("intervals")
INTERVAL: Final = ei("interval")

# units
ITEM_DESCRIPTION_POWER: Final = power("itemDescription")
ITEM_UNITS_POWER: Final = power("itemUnits")
ITEM_DESCRIPTION_OADR: Final = oadr("itemDescription")
ITEM_UNITS_OADR: Final = oadr("itemUnits")
SI_SCALE_CODE: Final = f"{{{SCALE}}}siScaleCode"
POWER_ATTRIBUTES: Final = power("powerAttributes")
HERTZ: Final = power("hertz")
VOLTAGE_ATTR: Final = power("voltage")
AC: Final = power("ac")
PULSE_FACTOR: Final = oadr("pulseFactor")

# payload values
PAYLOAD_FLOAT: Final = ei("payloadFloat")
VALUE: Final = ei("value")
SIGNAL_PAYLOAD: Final = ei("signalPayload")
CURRENT_VALUE: Final = ei("currentValue")
