"""Codec for the unit elements that substitute for emix:itemBase (power, energy, prices, …)."""

from __future__ import annotations

from typing import Final

from lxml import etree

from common.errors import NotRecognized
from common.messages.enums import ItemKind, SiScaleCode
from common.messages.types import ItemBase, PowerAttributes
from common.xml.lexical import read_bool, read_float, write_bool, write_decimal, write_float
from common.xml.names import (
    AC,
    HERTZ,
    ITEM_DESCRIPTION_OADR,
    ITEM_DESCRIPTION_POWER,
    ITEM_UNITS_OADR,
    ITEM_UNITS_POWER,
    POWER_ATTRIBUTES,
    PULSE_FACTOR,
    SI_SCALE_CODE,
    VOLTAGE_ATTR,
    oadr,
    power,
)

SubElement = etree.SubElement

_POWER_NS_KINDS = frozenset(
    {
        ItemKind.POWER_REAL,
        ItemKind.POWER_APPARENT,
        ItemKind.POWER_REACTIVE,
        ItemKind.ENERGY_REAL,
        ItemKind.ENERGY_APPARENT,
        ItemKind.ENERGY_REACTIVE,
        ItemKind.VOLTAGE,
    }
)
KIND_TAGS: Final = {
    kind: (power(kind.value) if kind in _POWER_NS_KINDS else oadr(kind.value)) for kind in ItemKind
}
"""ItemKind -> the Clark tag of its element."""
ITEM_BASE_TAGS: Final = {tag: kind for kind, tag in KIND_TAGS.items()}
"""Clark tag -> ItemKind; a child whose tag is in here is a unit (emix:itemBase)."""
_GREEN_BUTTON_ITEM = oadr("oadrGBDataDescription")


def is_item_base(tag: str) -> bool:
    """True when `tag` is one of the elements that substitute for emix:itemBase."""
    return tag in ITEM_BASE_TAGS or tag == _GREEN_BUTTON_ITEM


def read_item_base(element: etree._Element) -> ItemBase:
    """A unit element -> ItemBase."""
    kind = ITEM_BASE_TAGS.get(element.tag)
    if kind is None:
        raise NotRecognized(f"unsupported unit element {element.tag!r}")
    description = units = ""
    scale: SiScaleCode | None = None
    attributes = pulse_factor = None
    for child in element:
        tag = child.tag
        if tag in (ITEM_DESCRIPTION_POWER, ITEM_DESCRIPTION_OADR):
            description = child.text or ""
        elif tag in (ITEM_UNITS_POWER, ITEM_UNITS_OADR):
            units = child.text or ""
        elif tag == SI_SCALE_CODE:
            scale = SiScaleCode.parse(child.text or "")
        elif tag == POWER_ATTRIBUTES:
            attributes = PowerAttributes(
                hertz=read_float(child[0].text),
                voltage=read_float(child[1].text),
                ac=read_bool(child[2].text),
            )
        elif tag == PULSE_FACTOR:
            pulse_factor = read_float(child.text)
    return ItemBase(
        kind=kind,
        item_description=description,
        item_units=units,
        scale=scale,
        power_attributes=attributes,
        pulse_factor=pulse_factor,
    )


def write_item_base(parent: etree._Element, item: ItemBase) -> etree._Element:
    """Append the unit element for `item` to `parent`; return it."""
    element = SubElement(parent, KIND_TAGS[item.kind])
    if item.kind in _POWER_NS_KINDS:
        SubElement(element, ITEM_DESCRIPTION_POWER).text = item.item_description
        SubElement(element, ITEM_UNITS_POWER).text = item.item_units
    else:
        SubElement(element, ITEM_DESCRIPTION_OADR).text = item.item_description
        SubElement(element, ITEM_UNITS_OADR).text = item.item_units
    if item.pulse_factor is not None:
        SubElement(element, PULSE_FACTOR).text = write_float(item.pulse_factor)
    if item.scale is not None:
        SubElement(element, SI_SCALE_CODE).text = item.scale.value
    if item.power_attributes is not None:
        attributes = SubElement(element, POWER_ATTRIBUTES)
        SubElement(attributes, HERTZ).text = write_decimal(item.power_attributes.hertz)
        SubElement(attributes, VOLTAGE_ATTR).text = write_decimal(item.power_attributes.voltage)
        SubElement(attributes, AC).text = write_bool(item.power_attributes.ac)
    return element
