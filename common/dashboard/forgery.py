"""The dashboards' CSRF rule, as a pure function of what a POST carries.

A POST may proceed only if its ``Origin`` (or, lacking one, its ``Referer``) is the dashboard's
own origin AND its form's CSRF field equals the browser's CSRF cookie (constant-time).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

__all__ = ["forgery_problem"]


def forgery_problem(*, own_origin: str, origin: str | None, referer: str | None,
                    expected: str | None, submitted: str | None) -> str | None:
    """Why a POST must be refused as a possible forgery, or ``None`` if it may proceed.

    `own_origin` is ``scheme://host[:port]`` of the dashboard, `expected` the CSRF cookie's
    value and `submitted` the form's CSRF field.
    """
    if origin is None:
        if referer is None:
            return "the request names no Origin nor Referer"
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own_origin:
        return f"the request comes from another origin ({origin})"
    if not expected or not submitted or not hmac.compare_digest(
            submitted.encode("utf-8", "replace"), expected.encode("utf-8", "replace")):
        return "the form's CSRF token is missing or wrong; reload the page and try again"
    return None
