"""oadrReportDescription: the metadata of one data point a VEN offers (its report registration)."""

from __future__ import annotations

from lxml import etree

from common.messages.enums import ReadingType, ReportType
from common.messages.report import ReportDescription, SamplingRate
from common.xml.lexical import read_bool, read_duration, write_bool, write_duration
from common.xml.names import MARKET_CONTEXT
from common.xml.report.names import (
    OADR_MAX_PERIOD,
    OADR_MIN_PERIOD,
    OADR_ON_CHANGE,
    OADR_REPORT_DESCRIPTION,
    OADR_SAMPLING_RATE,
    R_ID,
    READING_TYPE,
    REPORT_DATA_SOURCE,
    REPORT_SUBJECT,
    REPORT_TYPE,
)
from common.xml.targets import read_target, write_target
from common.xml.units import is_item_base, read_item_base, write_item_base

SubElement = etree.SubElement


def read_description(element: etree._Element) -> ReportDescription:
    r_id = ""
    report_type = reading_type = None
    subject = source = item_base = market_context = sampling = None
    for child in element:
        tag = child.tag
        if tag == R_ID:
            r_id = child.text or ""
        elif tag == REPORT_TYPE:
            report_type = ReportType.parse(child.text or "")
        elif tag == READING_TYPE:
            reading_type = ReadingType.parse(child.text or "")
        elif tag == REPORT_DATA_SOURCE:
            source = read_target(child)
        elif tag == REPORT_SUBJECT:
            subject = read_target(child)
        elif tag == MARKET_CONTEXT:
            market_context = (child.text or "").strip()
        elif tag == OADR_SAMPLING_RATE:
            sampling = SamplingRate(
                min_period=read_duration(child[0].text),
                max_period=read_duration(child[1].text),
                on_change=read_bool(child[2].text),
            )
        elif is_item_base(tag):
            item_base = read_item_base(child)
    return ReportDescription(
        r_id=r_id,
        report_type=report_type,  # type: ignore[arg-type]
        reading_type=reading_type,  # type: ignore[arg-type]
        report_subject=subject,
        report_data_source=source,
        item_base=item_base,
        market_context=market_context,
        sampling_rate=sampling,
    )


def write_description(parent: etree._Element, value: ReportDescription) -> None:
    element = SubElement(parent, OADR_REPORT_DESCRIPTION)
    SubElement(element, R_ID).text = value.r_id
    if value.report_subject is not None:
        write_target(element, REPORT_SUBJECT, value.report_subject)
    if value.report_data_source is not None:
        write_target(element, REPORT_DATA_SOURCE, value.report_data_source)
    SubElement(element, REPORT_TYPE).text = value.report_type.value
    if value.item_base is not None:
        write_item_base(element, value.item_base)
    SubElement(element, READING_TYPE).text = value.reading_type.value
    if value.market_context is not None:
        SubElement(element, MARKET_CONTEXT).text = value.market_context
    rate = value.sampling_rate
    if rate is not None:
        rate_element = SubElement(element, OADR_SAMPLING_RATE)
        SubElement(rate_element, OADR_MIN_PERIOD).text = write_duration(rate.min_period)
        SubElement(rate_element, OADR_MAX_PERIOD).text = write_duration(rate.max_period)
        SubElement(rate_element, OADR_ON_CHANGE).text = write_bool(rate.on_change)
