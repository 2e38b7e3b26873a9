"""Codecs of the EiReport service: oadr(Register|Create|Update|Cancel)(ed)Report.

One module per part: ``registration`` (oadrRegister(ed)Report), ``requests``
(oadrReportRequest, oadrCreate(d)Report, oadrCancel(ed)Report), ``update``
(oadrUpdate(d)Report), ``reports`` (oadrReport), ``descriptions`` (oadrReportDescription),
``intervals`` and ``payloads`` (report data), ``parts`` (venID, oadrPendingReports, the
acknowledgement) and ``names`` (element names).
"""

from __future__ import annotations

from typing import Any, Final

from common.messages.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)
from common.xml.codec import Codec
from common.xml.names import BASIC_NSMAP
from common.xml.report.names import (
    OADR_CANCEL_REPORT,
    OADR_CANCELED_REPORT,
    OADR_CREATE_REPORT,
    OADR_CREATED_REPORT,
    OADR_REGISTER_REPORT,
    OADR_REGISTERED_REPORT,
    OADR_UPDATE_REPORT,
    OADR_UPDATED_REPORT,
)
from common.xml.report.registration import (
    read_register_report,
    read_registered_report,
    write_register_report,
    write_registered_report,
)
from common.xml.report.requests import (
    read_cancel_report,
    read_canceled_report,
    read_create_report,
    read_created_report,
    write_cancel_report,
    write_canceled_report,
    write_create_report,
    write_created_report,
)
from common.xml.report.update import (
    flatten_update_report,
    read_update_report,
    read_updated_report,
    write_update_report,
    write_updated_report,
)

__all__ = ["CODECS"]

CODECS: Final[tuple[Codec[Any], ...]] = (
    Codec(OADR_REGISTER_REPORT, RegisterReport, read_register_report, write_register_report),
    Codec(
        OADR_REGISTERED_REPORT, RegisteredReport, read_registered_report, write_registered_report
    ),
    Codec(OADR_CREATE_REPORT, CreateReport, read_create_report, write_create_report),
    Codec(
        OADR_CREATED_REPORT,
        CreatedReport,
        read_created_report,
        write_created_report,
        BASIC_NSMAP,
    ),
    Codec(
        OADR_UPDATE_REPORT,
        UpdateReport,
        read_update_report,
        write_update_report,
        flatten=flatten_update_report,
    ),
    Codec(
        OADR_UPDATED_REPORT,
        UpdatedReport,
        read_updated_report,
        write_updated_report,
        BASIC_NSMAP,
    ),
    Codec(OADR_CANCEL_REPORT, CancelReport, read_cancel_report, write_cancel_report, BASIC_NSMAP),
    Codec(
        OADR_CANCELED_REPORT,
        CanceledReport,
        read_canceled_report,
        write_canceled_report,
        BASIC_NSMAP,
    ),
)
"""The payloads whose elements are all in the oadr, ei and pyld namespaces declare only those."""
