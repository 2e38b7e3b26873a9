"""Event forms -> the admin API's JSON input, and its errors back to the form's fields.

The dashboard does not validate events itself: it sends what was typed to ``POST /events``,
``PATCH /events/{id}`` or ``POST /events/{id}/cancel`` and shows the API's error next to the
field the error names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtn.admin.signals import SIGNALS

__all__ = ["SIGNAL_CHOICES", "create_input", "form_field", "modify_input"]

SIGNAL_CHOICES: tuple[tuple[str, str, str], ...] = tuple(
    (f"{name.value}|{kind.signal_type.value}", f"{name.value} {kind.signal_type.value} "
     f"({kind.payload})", kind.payload)
    for name, kinds in SIGNALS.items() for kind in kinds)
"""(option value, label, payload key) per supported signal name and type."""

_PAYLOAD = {value: payload for value, _, payload in SIGNAL_CHOICES}

_FIELDS = {"targets.ven_ids": "ven_ids", "targets.group_ids": "group_ids", "targets": "ven_ids",
           "signal_name": "signal", "signal_type": "signal", "level": "value", "kw": "value",
           "price": "value"}


def form_field(api_field: str | None) -> str:
    """The form field an API error about `api_field` belongs next to (``form`` if none)."""
    if not api_field:
        return "form"
    if api_field in _FIELDS:
        return _FIELDS[api_field]
    head = api_field.split("[", 1)[0].split(".", 1)[0]
    return _FIELDS.get(head, head)


def _words(raw: str) -> list[str]:
    return [w for w in raw.replace(",", " ").split() if w]


def _value(raw: str) -> object:
    """A number, a list of numbers (``1, 2, 2``), or the text as typed (the API says why)."""
    items = [w for w in raw.split(",") if w.strip()] if "," in raw else [raw]
    out: list[object] = []
    for item in items:
        try:
            out.append(float(item))
        except ValueError:
            out.append(item.strip())
    return out if "," in raw else out[0]


def _count(raw: str) -> object:
    return int(raw) if raw.strip().isdigit() else raw


def create_input(form: Mapping[str, str], ven_ids: list[str]) -> dict[str, Any]:
    """The ``POST /events`` body for the create form (`ven_ids`: the ticked VENs)."""
    signal = form.get("signal", "")
    name, _, kind = signal.partition("|")
    body: dict[str, Any] = {
        "targets": {"ven_ids": ven_ids, "group_ids": _words(form.get("group_ids", ""))},
        "signal_name": name or None, "signal_type": kind or None,
        "start": form.get("start", "").strip() or None,
        "duration": form.get("duration", "").strip() or None,
        "intervals": _count(form.get("intervals", "1") or "1"),
        "priority": _count(form.get("priority", "0") or "0"),
        "market_context": form.get("market_context", "").strip() or None,
        "vtn_comment": form.get("vtn_comment", "").strip() or None,
        "test_event": form.get("test_event") == "on",
    }
    raw = form.get("value", "").strip()
    if raw:
        body[_PAYLOAD.get(signal, "level")] = _value(raw)
    return body


def modify_input(form: Mapping[str, str], payload: str) -> dict[str, Any]:
    """The ``PATCH /events/{id}`` body: the fields filled in, the modification number the page
    showed (a stale page gets 409), and the reason."""
    body: dict[str, Any] = {}
    for name in ("start", "duration"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    if form.get("value", "").strip():
        body[payload] = _value(form["value"].strip())
    if form.get("reason", "").strip():
        body["reason"] = form["reason"].strip()
    expected = form.get("expected_modification_number", "")
    if expected.isdigit():
        body["expected_modification_number"] = int(expected)
    return body
