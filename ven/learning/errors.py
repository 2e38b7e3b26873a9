"""The error of bad learning input (a CSV or telemetry the fit or forecast cannot use)."""

from __future__ import annotations

from common.errors import OadrError


class LearningInputError(OadrError, ValueError):
    """The history given to a fit or a forecast is unusable; the message says why and where
    (file, row, column)."""
