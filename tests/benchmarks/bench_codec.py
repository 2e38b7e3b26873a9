"""Codec benchmark: our decode/encode (with XSD validation) against openleadr's message layer.

For each case it times, on the same document:
- decode: ``common.xml.decode`` (hardened parse + XSD validation + typed objects) vs
  ``openleadr.messaging.parse_message`` (xmltodict + normalisation; it does not validate);
- encode: ``common.xml.encode`` vs ``openleadr.messaging.create_message`` (preflight + jinja).
Signed variants (when ``common.security.signing`` exists) sign with a freshly generated test RSA
key on both sides; signed decode is parse + validation + typing only (no signature check) on
our side and parse_message on openleadr's. Each figure is the best of several repeats of a
calibrated loop [µs/op].

"signed + verified" rows (decode column only) time what a receiver really does with a signed
message, on both sides, over the same N distinct documents (N = VERIFIED_DOCUMENTS), signed by
our Signer with the real clock just before each repeat (untimed), each verified once per repeat:
- ours: ``parse`` (hardening + XSD validation) + ``Verifier.verify`` (certificate fingerprint,
  signature and both references, timestamp window, nonce recorded in a real
  ``InMemoryNonceStore``, new for each repeat) + ``from_element``. ``verify`` is a coroutine
  whose store never suspends; it is driven with ``send(None)`` instead of an event loop, so no
  loop overhead is counted;
- openleadr: ``validate_xml_schema`` + ``validate_xml_signature`` (fingerprint, signature,
  ReplayProtect against its global NONCE_CACHE with a 5 s window) + ``parse_message``.
  NONCE_CACHE is cleared before each repeat (untimed); within a repeat it holds up to N entries,
  which its expiry sweep walks on every call, as it would with N messages in 5 s.

Adding a case is one entry in ``cases()``.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from openleadr import messaging as ol

from common.clock import SystemClock
from common.messages import examples
from common.messages.poll import Poll
from common.messages.types import Message
from common.xml import decode, encode

REPEATS = 7
TARGET_SECONDS = 0.04  # per repeat
VERIFIED_DOCUMENTS = 24  # distinct signed documents per "signed + verified" repeat


@dataclass(frozen=True)
class Case:
    """One benchmark row: our message and the same content in openleadr's payload shape."""

    name: str
    message: Message
    ol_type: str
    ol_payload: dict[str, Any]
    signed_too: bool = False
    verified_too: bool = False


def _ol_event(event: Any) -> dict[str, Any]:
    """openleadr's dict for one of our (minimal-shape) OadrEvents."""
    e = event.event
    d = e.event_descriptor
    return {
        "event_descriptor": {
            "event_id": d.event_id,
            "modification_number": d.modification_number,
            "market_context": d.market_context,
            "event_status": d.event_status.value,
            "created_date_time": d.created_date_time,
            "priority": d.priority,
            "test_event": False,
        },
        "active_period": {"dtstart": e.active_period.dtstart, "duration": e.active_period.duration},
        "event_signals": [
            {
                "intervals": [
                    {"duration": i.duration, "signal_payload": i.payloads[0], "uid": i.uid}
                    for i in s.intervals
                ],
                "signal_name": s.signal_name.value,
                "signal_type": s.signal_type.value,
                "signal_id": s.signal_id,
                **({} if s.current_value is None else {"current_value": s.current_value}),
            }
            for s in e.event_signals
        ],
        "targets": [{"ven_id": v} for v in e.target.ven_ids],
        "response_required": event.response_required.value,
    }


def _distribute_case(events: int, *, signed_too: bool = False, verified_too: bool = False) -> Case:
    message = examples.distribute_event(events, intervals=4, full=False)
    payload = {
        "request_id": message.request_id,
        "vtn_id": message.vtn_id,
        "events": [_ol_event(e) for e in message.events],
    }
    name = f"oadrDistributeEvent {events} ev x 4 iv"
    return Case(name, message, "oadrDistributeEvent", payload, signed_too, verified_too)


def cases() -> list[Case]:
    """The benchmark rows (a report case is added here once report codecs exist)."""
    rows = [
        Case("oadrPoll", Poll(ven_id="ven-123"), "oadrPoll", {"ven_id": "ven-123"}, True),
        _distribute_case(1, signed_too=True, verified_too=True),
        _distribute_case(10),
    ]
    report_case = _update_report_case()
    if report_case is not None:
        rows.append(report_case)
    return rows


def _update_report_case() -> Case | None:
    """oadrUpdateReport with one report of 96 15-minute intervals, once report messages exist."""
    if importlib.util.find_spec("common.messages.report") is None:
        return None
    from common.messages.enums import ReportName
    from common.messages.report import Report, ReportPayload, UpdateReport
    from common.messages.types import Interval

    step = timedelta(minutes=15)
    start = examples.START
    values = [round(40.0 + (i % 12) * 1.25, 2) for i in range(96)]
    report = Report(
        report_id="report-1",
        report_request_id="rr-1",
        report_specifier_id="telemetry-1",
        report_name=ReportName.TELEMETRY_USAGE,
        created_date_time=examples.CREATED,
        dtstart=start,
        duration=step * 96,
        intervals=tuple(
            Interval(
                payloads=(ReportPayload(r_id="meter-kw", value=v, confidence=100),),
                dtstart=start + i * step,
                duration=step,
            )
            for i, v in enumerate(values)
        ),
    )
    message = UpdateReport(request_id="req-update", reports=(report,), ven_id="ven-123")
    ol_report = {
        "report_id": "report-1",
        "report_request_id": "rr-1",
        "report_specifier_id": "telemetry-1",
        "report_name": "TELEMETRY_USAGE",
        "created_date_time": examples.CREATED,
        "dtstart": start,
        "duration": step * 96,
        "intervals": [
            {
                "dtstart": start + i * step,
                "duration": step,
                "report_payload": {"r_id": "meter-kw", "value": v, "confidence": 100},
            }
            for i, v in enumerate(values)
        ],
    }
    payload = {"request_id": "req-update", "reports": [ol_report], "ven_id": "ven-123"}
    return Case("oadrUpdateReport 96 iv", message, "oadrUpdateReport", payload, True, True)


def best_us(fn: Callable[[], object]) -> float:
    """Best time per call over REPEATS calibrated loops [µs]."""
    fn()  # warm-up
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(TARGET_SECONDS / once))
    best = float("inf")
    gc.collect()
    gc.disable()  # as timeit does: collector pauses are noise, not codec cost
    try:
        for _ in range(REPEATS):
            start = time.perf_counter()
            for _ in range(loops):
                fn()
            best = min(best, (time.perf_counter() - start) / loops)
    finally:
        gc.enable()
    return best * 1e6


def _run(coroutine: Any) -> Any:
    """Drive a coroutine that never suspends (Verifier.verify with an in-memory nonce store)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the coroutine suspended; it needs an event loop")


def best_us_verified(
    sign_all: Callable[[], list[bytes]],
    before_repeat: Callable[[], Callable[[bytes], object]],
) -> float:
    """Best time per document [µs] over REPEATS passes over freshly signed distinct documents.

    Per repeat (untimed): `sign_all()` signs the documents with the real clock and
    `before_repeat()` resets the replay state and returns the function to time on each one.
    """
    best = float("inf")
    for _ in range(REPEATS + 1):  # the first pass is the warm-up
        documents = sign_all()
        verify = before_repeat()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for document in documents:
                verify(document)
            elapsed = (time.perf_counter() - start) / len(documents)
        finally:
            gc.enable()
        best = min(best, elapsed)
    return best * 1e6


def _verified_row(case: Case, signer: Any) -> tuple[str, float, float, float, float]:
    """The "signed + verified" decode row of `case` (encode columns are not applicable: NaN)."""
    from common.security import InMemoryNonceStore, Verifier
    from common.xml import from_element, parse

    clock = SystemClock()
    fingerprint = signer.fingerprint

    def sign_all() -> list[bytes]:
        return [encode(case.message, signer=signer) for _ in range(VERIFIED_DOCUMENTS)]

    def ours() -> Callable[[bytes], object]:
        verifier = Verifier(clock=clock, nonce_store=InMemoryNonceStore(clock=clock))

        def decode_verified(data: bytes) -> object:
            root = parse(data)
            _run(verifier.verify(root, expected_fingerprint=fingerprint))
            return from_element(root)

        return decode_verified

    def theirs() -> Callable[[bytes], object]:
        ol.NONCE_CACHE.clear()

        def decode_verified(data: bytes) -> object:
            tree = ol.validate_xml_schema(data)
            ol.validate_xml_signature(tree, cert_fingerprint=fingerprint)
            return ol.parse_message(data)

        return decode_verified

    sample = sign_all()[0]
    assert ours()(sample) == case.message
    theirs()(sample)  # openleadr accepts our signature
    nan = float("nan")
    return (
        case.name + " (signed + verified)",
        best_us_verified(sign_all, ours),
        best_us_verified(sign_all, theirs),
        nan,
        nan,
    )


def _signers() -> tuple[Any, bytes, bytes] | None:
    """(our Signer, cert PEM, key PEM) with a fresh test RSA key, or None if signing is absent."""
    if importlib.util.find_spec("common.security.signing") is None:
        return None
    from certs.pki import make_test_pki
    from common.security.signing import Signer

    folder = Path(tempfile.mkdtemp(prefix="bench-codec-"))
    pair = make_test_pki(folder).pair("vtn", "rsa")
    cert, key = pair.cert.read_bytes(), pair.key.read_bytes()
    return Signer(cert, key, clock=SystemClock()), cert, key


def main() -> None:
    """Time every case and print the table."""
    logging.getLogger("openleadr").setLevel(logging.ERROR)  # its preflight warns per call
    rows: list[tuple[str, float, float, float, float]] = []
    signing = _signers()
    for case in cases():
        data = encode(case.message)
        assert decode(data) == case.message
        rows.append(
            (
                case.name,
                best_us(lambda d=data: decode(d)),
                best_us(lambda d=data: ol.parse_message(d)),
                best_us(lambda m=case.message: encode(m)),
                best_us(lambda c=case: ol.create_message(c.ol_type, **c.ol_payload)),
            )
        )
        if signing is not None and case.signed_too:
            signer, cert, key = signing
            signed = encode(case.message, signer=signer)
            rows.append(
                (
                    case.name + " (signed)",
                    best_us(lambda d=signed: decode(d)),
                    best_us(lambda d=signed: ol.parse_message(d)),
                    best_us(lambda m=case.message, s=signer: encode(m, signer=s)),
                    best_us(
                        lambda c=case, ce=cert, k=key: ol.create_message(
                            c.ol_type, cert=ce, key=k, **c.ol_payload
                        )
                    ),
                )
            )
        if signing is not None and case.verified_too:
            rows.append(_verified_row(case, signing[0]))
    header = (
        f"{'case':<52} {'decode us':>10} {'openleadr':>10} {'ratio':>7}"
        f" {'encode us':>10} {'openleadr':>10} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, ours_d, theirs_d, ours_e, theirs_e in rows:
        encode_columns = (
            f" {ours_e:>10.1f} {theirs_e:>10.1f} {theirs_e / ours_e:>6.1f}x"
            if ours_e == ours_e  # (NaN: not applicable)
            else f" {'-':>10} {'-':>10} {'-':>7}"
        )
        print(
            f"{name:<52} {ours_d:>10.1f} {theirs_d:>10.1f} {theirs_d / ours_d:>6.1f}x"
            + encode_columns
        )
    print("decode: ours = parse + XSD validation + typed objects; openleadr = parse_message")
    print("(xmltodict, no validation). ratio = openleadr time / our time (higher is better).")
    print("(signed): the signature is not checked on decode by either side; encode signs.")
    print(f"(signed + verified), decode only: {VERIFIED_DOCUMENTS} distinct documents signed by")
    print("our Signer with the real clock before each repeat (untimed), each decoded once per")
    print("repeat. ours = parse + XSD + Verifier.verify (fingerprint, signature, references,")
    print("window, nonce into a real InMemoryNonceStore, new per repeat; coroutine driven")
    print("without an event loop) + from_element. openleadr = validate_xml_schema +")
    print("validate_xml_signature (its NONCE_CACHE cleared before each repeat, 5 s window) +")
    print("parse_message.")


if __name__ == "__main__":
    main()
