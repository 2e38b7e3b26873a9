"""Clark names of the EiReport service's elements (payload roots and report parts)."""

from __future__ import annotations

from typing import Final

from common.xml.names import ei, oadr, pyld

# payload roots
OADR_REGISTER_REPORT: Final = oadr("oadrRegisterReport")
OADR_REGISTERED_REPORT: Final = oadr("oadrRegisteredReport")
OADR_CREATE_REPORT: Final = oadr("oadrCreateReport")
OADR_CREATED_REPORT: Final = oadr("oadrCreatedReport")
OADR_UPDATE_REPORT: Final = oadr("oadrUpdateReport")
OADR_UPDATED_REPORT: Final = oadr("oadrUpdatedReport")
OADR_CANCEL_REPORT: Final = oadr("oadrCancelReport")
OADR_CANCELED_REPORT: Final = oadr("oadrCanceledReport")

# report parts
OADR_REPORT: Final = oadr("oadrReport")
OADR_REPORT_DESCRIPTION: Final = oadr("oadrReportDescription")
OADR_REPORT_REQUEST: Final = oadr("oadrReportRequest")
OADR_PENDING_REPORTS: Final = oadr("oadrPendingReports")
OADR_SAMPLING_RATE: Final = oadr("oadrSamplingRate")
OADR_MIN_PERIOD: Final = oadr("oadrMinPeriod")
OADR_MAX_PERIOD: Final = oadr("oadrMaxPeriod")
OADR_ON_CHANGE: Final = oadr("oadrOnChange")
OADR_REPORT_PAYLOAD: Final = oadr("oadrReportPayload")
OADR_DATA_QUALITY: Final = oadr("oadrDataQuality")
OADR_PAYLOAD_RESOURCE_STATUS: Final = oadr("oadrPayloadResourceStatus")
OADR_ONLINE: Final = oadr("oadrOnline")
OADR_MANUAL_OVERRIDE: Final = oadr("oadrManualOverride")
OADR_LOAD_CONTROL_STATE: Final = oadr("oadrLoadControlState")
OADR_CAPACITY: Final = oadr("oadrCapacity")
OADR_LEVEL_OFFSET: Final = oadr("oadrLevelOffset")
OADR_PERCENT_OFFSET: Final = oadr("oadrPercentOffset")
OADR_SET_POINT: Final = oadr("oadrSetPoint")
OADR_MIN: Final = oadr("oadrMin")
OADR_MAX: Final = oadr("oadrMax")
OADR_CURRENT: Final = oadr("oadrCurrent")
OADR_NORMAL: Final = oadr("oadrNormal")
EI_REPORT_ID: Final = ei("eiReportID")
REPORT_REQUEST_ID: Final = ei("reportRequestID")
REPORT_SPECIFIER_ID: Final = ei("reportSpecifierID")
REPORT_NAME: Final = ei("reportName")
REPORT_SPECIFIER: Final = ei("reportSpecifier")
REPORT_BACK_DURATION: Final = ei("reportBackDuration")
REPORT_INTERVAL: Final = ei("reportInterval")
SPECIFIER_PAYLOAD: Final = ei("specifierPayload")
R_ID: Final = ei("rID")
REPORT_SUBJECT: Final = ei("reportSubject")
REPORT_DATA_SOURCE: Final = ei("reportDataSource")
REPORT_TYPE: Final = ei("reportType")
READING_TYPE: Final = ei("readingType")
CONFIDENCE: Final = ei("confidence")
ACCURACY: Final = ei("accuracy")
REPORT_TO_FOLLOW: Final = pyld("reportToFollow")
