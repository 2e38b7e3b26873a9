"""Codec for ei:EiTargetType (eiTarget, oadrDeviceClass, reportSubject, reportDataSource)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from lxml import etree

from common.errors import NotRecognized
from common.messages.types import EMPTY_TARGET, FeatureCollection, Target, TransportInterface
from common.xml.construct import maker
from common.xml.lexical import write_float
from common.xml.names import (
    AGGREGATED_PNODE,
    END_DEVICE_ASSET,
    FEATURE_COLLECTION,
    GML_EXTERIOR,
    GML_ID_ATTR,
    GML_LINEAR_RING,
    GML_LOCATION,
    GML_POLYGON,
    GML_POS_LIST,
    GROUP_ID,
    GROUP_NAME,
    METER_ASSET,
    MRID,
    NODE,
    PARTY_ID,
    PNODE,
    POINT_OF_DELIVERY,
    POINT_OF_RECEIPT,
    RESOURCE_ID,
    SERVICE_AREA,
    SERVICE_DELIVERY_POINT,
    SERVICE_LOCATION,
    TRANSPORT_INTERFACE,
    VEN_ID,
)

SubElement = etree.SubElement


def _read_text(element: etree._Element) -> str:
    return element.text or ""


def _read_inner_text(element: etree._Element) -> str:
    return element[0].text or ""


def _read_feature_collection(element: etree._Element) -> FeatureCollection:
    collection = element[0]
    polygon = collection[0][0]
    pos_list = polygon[0][0][0].text or ""
    return FeatureCollection(
        pos_list=tuple(float(v) for v in pos_list.split()),
        id=collection.get(GML_ID_ATTR),
        polygon_id=polygon.get(GML_ID_ATTR),
    )


def _read_transport_interface(element: etree._Element) -> TransportInterface:
    return TransportInterface(
        point_of_receipt=element[0].text or "", point_of_delivery=element[1].text or ""
    )


def _write_text(element: etree._Element, value: str) -> None:
    element.text = value


def _write_node(element: etree._Element, value: str) -> None:
    SubElement(element, NODE).text = value


def _write_mrid(element: etree._Element, value: str) -> None:
    SubElement(element, MRID).text = value


def _write_feature_collection(element: etree._Element, value: FeatureCollection) -> None:
    collection = SubElement(element, FEATURE_COLLECTION)
    if value.id is not None:
        collection.set(GML_ID_ATTR, value.id)
    polygon = SubElement(SubElement(collection, GML_LOCATION), GML_POLYGON)
    if value.polygon_id is not None:
        polygon.set(GML_ID_ATTR, value.polygon_id)
    ring = SubElement(SubElement(polygon, GML_EXTERIOR), GML_LINEAR_RING)
    SubElement(ring, GML_POS_LIST).text = " ".join(write_float(v) for v in value.pos_list)


def _write_transport_interface(element: etree._Element, value: TransportInterface) -> None:
    SubElement(element, POINT_OF_RECEIPT).text = value.point_of_receipt
    SubElement(element, POINT_OF_DELIVERY).text = value.point_of_delivery


# (tag, Target field, reader, writer) in schema order.
_KINDS: tuple[
    tuple[str, str, Callable[[etree._Element], Any], Callable[[etree._Element, Any], None]], ...
] = (
    (AGGREGATED_PNODE, "aggregated_pnodes", _read_inner_text, _write_node),
    (END_DEVICE_ASSET, "end_device_assets", _read_inner_text, _write_mrid),
    (METER_ASSET, "meter_assets", _read_inner_text, _write_mrid),
    (PNODE, "pnodes", _read_inner_text, _write_node),
    (SERVICE_AREA, "service_areas", _read_feature_collection, _write_feature_collection),
    (SERVICE_DELIVERY_POINT, "service_delivery_points", _read_inner_text, _write_node),
    (SERVICE_LOCATION, "service_locations", _read_feature_collection, _write_feature_collection),
    (TRANSPORT_INTERFACE, "transport_interfaces", _read_transport_interface,
     _write_transport_interface),
    (GROUP_ID, "group_ids", _read_text, _write_text),
    (GROUP_NAME, "group_names", _read_text, _write_text),
    (RESOURCE_ID, "resource_ids", _read_text, _write_text),
    (VEN_ID, "ven_ids", _read_text, _write_text),
    (PARTY_ID, "party_ids", _read_text, _write_text),
)  # fmt: skip
_READERS = {tag: (index, read) for index, (tag, _, read, _) in enumerate(_KINDS)}
_make_target = maker(Target)
assert tuple(f.name for f in dataclasses.fields(Target)) == tuple(k[1] for k in _KINDS)


def read_target(element: etree._Element) -> Target:
    """An element of ei:EiTargetType -> Target."""
    if len(element) == 0:
        return EMPTY_TARGET
    found: list[list[Any] | None] = [None] * len(_KINDS)  # per kind, in field order
    for child in element:
        entry = _READERS.get(child.tag)
        if entry is None:
            raise NotRecognized(f"unexpected target element {child.tag!r}")
        index, read = entry
        values = found[index]
        if values is None:
            values = found[index] = []
        values.append(read(child))
    return _make_target(*[() if values is None else tuple(values) for values in found])


def write_target(parent: etree._Element, tag: str, target: Target) -> etree._Element:
    """Append `target` to `parent` as an element named `tag` (ei:eiTarget, oadrDeviceClass…)."""
    element = SubElement(parent, tag)
    fill_target(element, target)
    return element


def fill_target(element: etree._Element, target: Target) -> None:
    """Append the children that describe `target` to an empty target `element`."""
    if target is EMPTY_TARGET or target == EMPTY_TARGET:
        return
    for kind_tag, field, _, write in _KINDS:
        for value in getattr(target, field):
            write(SubElement(element, kind_tag), value)
