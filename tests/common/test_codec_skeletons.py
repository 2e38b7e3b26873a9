"""Whole-message skeletons (common.xml.skeletons): the same bytes as the codec's own writer."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from common.messages.enums import DataQuality, ExtensionValue, ReportName
from common.messages.report import (
    LoadControlState,
    LoadControlStateValue,
    Report,
    ReportPayload,
    ResourceStatus,
    UpdateReport,
)
from common.messages.types import Interval, Message
from common.xml import decode, encode, registry, skeletons, to_element, validate
from common.xml.registry import CODECS_BY_TYPE
from tests.support.report_messages import (
    CEST,
    CREATED,
    MESSAGES,
    QUARTER,
    T0,
    full_status,
    usage_descriptions,
)

UPDATE = CODECS_BY_TYPE[UpdateReport]


@pytest.fixture(autouse=True)
def _fresh_skeletons():
    skeletons.clear()
    yield
    skeletons.clear()


def plain(message: Message) -> bytes:
    """What encode gave before skeletons: the codec's writer, element by element."""
    root = registry._write_element(CODECS_BY_TYPE[type(message)], message)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def key_of(message: UpdateReport) -> tuple[str, object]:
    flat = UPDATE.flatten(message)  # type: ignore[misc]
    assert flat is not None
    return UPDATE.tag, flat[0]


# ---- messages of many shapes, and the same shapes with other content -------------------------


def report(intervals: tuple[Interval[ReportPayload], ...] = (), **fields: object) -> Report:
    values: dict[str, object] = {
        "report_request_id": "rr-1",
        "report_specifier_id": "spec-1",
        "created_date_time": CREATED,
    }
    values.update(fields)
    return Report(intervals=intervals, **values)  # type: ignore[arg-type]


def update(*reports: Report, ven_id: str | None = "ven-123") -> UpdateReport:
    return UpdateReport(request_id="upd-s", reports=reports, ven_id=ven_id)


def quarter(index: int, *payloads: ReportPayload, uid: str | None = None) -> Interval:
    return Interval(dtstart=T0 + index * QUARTER, duration=QUARTER, uid=uid, payloads=payloads)


STATUSES = (
    full_status(),
    ResourceStatus(online=False, manual_override=True),
    ResourceStatus(online=True, manual_override=False, load_control_state=LoadControlState()),
    ResourceStatus(
        online=True,
        manual_override=True,
        load_control_state=LoadControlState(
            level_offset=LoadControlStateValue(current=2.0, max=4.0),
            set_point=LoadControlStateValue(current=21.5, min=16.0, normal=21.0),
        ),
    ),
)

SHAPES: dict[str, UpdateReport] = {
    **{name: m for name, m in MESSAGES.items() if isinstance(m, UpdateReport)},
    "no-reports-no-ven": update(ven_id=None),
    "zero-intervals": update(report(report_id="r0", dtstart=T0, duration=QUARTER)),
    "bare-report": update(report(), ven_id=None),
    "one-interval": update(
        report(
            (quarter(0, ReportPayload(r_id="kw", value=1.5)),),
            report_id="r1",
            report_name=ReportName.TELEMETRY_USAGE,
            dtstart=T0,
            duration=QUARTER,
        )
    ),
    "one-bare-interval": update(report((Interval(payloads=(ReportPayload(r_id="", value=0.0),)),))),
    "uid-only-interval": update(
        report((Interval(uid="u", payloads=(ReportPayload(r_id="a", value=2.0, accuracy=0.1),)),))
    ),
    "status-payloads": update(
        report(
            (
                *(
                    quarter(i, ReportPayload(r_id=f"st-{i}", value=status, confidence=i))
                    for i, status in enumerate(STATUSES)
                ),
                Interval(
                    payloads=tuple(
                        ReportPayload(
                            r_id=f"res-{i}",
                            value=s,
                            data_quality=DataQuality.NO_NEW_VALUE_PREVIOUS_VALUE_USED,
                        )
                        for i, s in enumerate(STATUSES)
                    )
                ),
            ),
            report_name=ReportName.TELEMETRY_STATUS,
        )
    ),
    "mixed-payloads": update(
        report(
            tuple(
                quarter(
                    i,
                    ReportPayload(r_id="a", value=float(i), accuracy=0.5 if i % 2 else None),
                    ReportPayload(r_id="b", value=STATUSES[1], confidence=i % 3 or None),
                    ReportPayload(
                        r_id="c",
                        value=-1e-9 * i,
                        data_quality=ExtensionValue("x-estimated") if i % 3 else None,
                    ),
                    uid=str(i) if i % 2 else None,
                )
                for i in range(6)
            )
        )
    ),
    "special-floats": update(
        report(
            tuple(
                quarter(i, ReportPayload(r_id="x", value=v, accuracy=abs(v)))
                for i, v in enumerate([float("inf"), float("-inf"), 1e300, -0.0, 123456789.125])
            )
        )
    ),
    "odd-times": update(
        report(
            tuple(
                Interval(
                    # across midnight, sub-second, non-UTC zones: every datetime text path
                    dtstart=(
                        datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
                        + i * QUARTER
                        + timedelta(microseconds=250_000 * (i % 2))
                    ).astimezone(CEST if i % 3 == 0 else UTC),
                    duration=timedelta(days=1, seconds=i) if i % 2 else QUARTER,
                    payloads=(ReportPayload(r_id="t", value=i * 0.1),),
                )
                for i in range(6)
            ),
            dtstart=datetime(2026, 7, 1, 23, 30, 0, 1, tzinfo=CEST),
            created_date_time=CREATED.astimezone(CEST),
        )
    ),
    "several-reports": update(
        report((quarter(0, ReportPayload(r_id="a", value=1.0)),), report_id="one"),
        report(),
        report(
            tuple(quarter(i, ReportPayload(r_id="b", value=2.0, confidence=50)) for i in range(3)),
            report_name=ExtensionValue("x-private"),
        ),
    ),
}


def vary_value(value: float | ResourceStatus) -> float | ResourceStatus:
    if not isinstance(value, ResourceStatus):
        return value * 3 + 0.25
    state = value.load_control_state
    if state is not None:
        state = LoadControlState(
            **{
                field.name: None
                if v is None
                else LoadControlStateValue(
                    current=v.current + 1,
                    min=None if v.min is None else v.min - 1,
                    max=None if v.max is None else v.max + 2,
                    normal=None if v.normal is None else v.normal + 0.5,
                )
                for field in dataclasses.fields(state)
                for v in [getattr(state, field.name)]
            }
        )
    return ResourceStatus(
        online=not value.online,
        manual_override=not value.manual_override,
        load_control_state=state,
    )


def vary(message: UpdateReport) -> UpdateReport:
    """Another message of the same shape: every text differs."""
    shift = timedelta(days=1, minutes=7, seconds=3)

    def payload(p: ReportPayload) -> ReportPayload:
        return ReportPayload(
            r_id=p.r_id + "-v",
            value=vary_value(p.value),
            confidence=None if p.confidence is None else (p.confidence + 1) % 101,
            accuracy=None if p.accuracy is None else p.accuracy * 2 + 1,
            data_quality=None
            if p.data_quality is None
            else (
                DataQuality.QUALITY_GOOD_NON_SPECIFIC
                if p.data_quality != DataQuality.QUALITY_GOOD_NON_SPECIFIC
                else ExtensionValue("x-other")
            ),
        )

    def interval(i: Interval[ReportPayload]) -> Interval[ReportPayload]:
        return Interval(
            payloads=tuple(payload(p) for p in i.payloads),
            dtstart=None if i.dtstart is None else i.dtstart + shift,
            duration=None if i.duration is None else i.duration + timedelta(minutes=1),
            uid=None if i.uid is None else i.uid + "-v",
        )

    def one(r: Report) -> Report:
        return dataclasses.replace(
            r,
            report_request_id=r.report_request_id + "-v",
            report_specifier_id=r.report_specifier_id + "-v",
            created_date_time=r.created_date_time + shift,
            report_id=None if r.report_id is None else r.report_id + "-v",
            report_name=None
            if r.report_name is None
            else (
                ReportName.HISTORY_USAGE
                if r.report_name != ReportName.HISTORY_USAGE
                else ReportName.TELEMETRY_USAGE
            ),
            dtstart=None if r.dtstart is None else r.dtstart + shift,
            duration=None if r.duration is None else r.duration * 2,
            intervals=tuple(interval(i) for i in r.intervals),
        )

    return UpdateReport(
        request_id=message.request_id + "-v",
        reports=tuple(one(r) for r in message.reports),
        ven_id=None if message.ven_id is None else message.ven_id + "-v",
    )


# ---- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("message", SHAPES.values(), ids=SHAPES.keys())
def test_skeleton_gives_the_writers_bytes_for_every_content_of_a_shape(message: UpdateReport):
    other = vary(message)
    key = key_of(message)
    assert key_of(other) == key  # same shape…
    first = encode(message)  # seeds the skeleton (built by the writer)
    assert skeletons.has_skeleton(key)
    assert first == plain(message)
    second = encode(other)  # …copied from the skeleton, other texts
    assert second == plain(other)
    assert decode(second) == other  # (decode validates against the XSD)
    validate(to_element(other))
    again = encode(message)  # and back: no text of `other` left behind
    assert again == first
    assert decode(again) == message


def test_a_message_of_each_shape_in_turn_reuses_its_skeleton(monkeypatch: pytest.MonkeyPatch):
    for message in SHAPES.values():
        encode(message)
    built: list[object] = []
    real = registry._write_element

    def counting(codec: object, message: Message) -> object:
        built.append(message)
        return real(codec, message)  # type: ignore[arg-type]

    monkeypatch.setattr(registry, "_write_element", counting)
    for message in SHAPES.values():
        other = vary(message)
        assert encode(other) == plain(other)
    assert len(built) == len(SHAPES)  # only plain(): every encode copied a skeleton


def test_reports_with_descriptions_are_written_element_by_element():
    message = update(report(report_descriptions=usage_descriptions()))
    assert UPDATE.flatten(message) is None  # type: ignore[misc]
    assert encode(message) == plain(message)
    assert decode(encode(message)) == message


def test_changing_a_returned_tree_leaves_the_skeleton_alone():
    message = SHAPES["update-status"]
    encode(message)
    root = to_element(message)  # a copy of the skeleton
    for node in root.iter():
        node.text = "tampered"
    root.append(etree.Element("extra"))  # (what a signer does to the tree it is given)
    assert encode(message) == plain(message)


def test_a_flatten_that_disagrees_with_its_writer_stays_on_the_plain_path():
    calls: list[int] = []

    def build() -> etree._Element:
        calls.append(1)
        root = etree.Element("root")
        etree.SubElement(root, "a").text = "right"
        return root

    for _ in range(3):
        tree = skeletons.element("key", ["wrong"], build)
        assert etree.tostring(tree) == b"<root><a>right</a></root>"
    assert calls == [1, 1, 1]
    assert not skeletons.has_skeleton("key")


def test_cache_is_bounded_per_thread_and_least_recently_used_goes_first():
    def shape(n: int) -> UpdateReport:
        return update(
            report(tuple(quarter(i, ReportPayload(r_id="a", value=1.0)) for i in range(n)))
        )

    for n in range(skeletons.MAX_SHAPES + 5):
        message = shape(n)
        assert encode(message) == plain(message)
        if n == 10:
            encode(shape(0))  # shape 0 becomes the most recently used
    assert len(skeletons._cache()) == skeletons.MAX_SHAPES
    assert skeletons.has_skeleton(key_of(shape(0)))
    assert not skeletons.has_skeleton(key_of(shape(1)))
    assert skeletons.has_skeleton(key_of(shape(skeletons.MAX_SHAPES + 4)))

    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(skeletons.has_skeleton(key_of(shape(0)))))
    worker.start()
    worker.join()
    assert seen == [False]  # another thread has its own (empty) cache


def test_very_long_messages_are_not_cached():
    count = skeletons.MAX_SLOTS // 4 + 1  # dtstart, duration, rID, value: 4 texts per interval
    message = update(
        report(tuple(quarter(i, ReportPayload(r_id="a", value=1.0)) for i in range(count)))
    )
    assert encode(message) == plain(message)
    assert not skeletons.has_skeleton(key_of(message))


def test_several_threads_encoding_the_same_shapes():
    from concurrent.futures import ThreadPoolExecutor

    messages = [m for base in SHAPES.values() for m in (base, vary(base), vary(vary(base)))]
    expected = {id(m): plain(m) for m in messages}

    def check(message: UpdateReport) -> bool:
        return encode(message) == expected[id(message)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(check, messages * 4))


def test_datetimes_of_every_kind_are_written_as_write_datetime_does():
    from common.xml.lexical import write_datetime

    times = [
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(2026, 1, 1, 1, tzinfo=CEST),
    ]
    message = update(report(tuple(Interval(dtstart=t, payloads=()) for t in times)))
    texts = UPDATE.flatten(message)[1]  # type: ignore[misc]
    for t in times:
        assert write_datetime(t) in texts


def test_cache_holds_a_bounded_number_of_slots():
    def long(n: int) -> UpdateReport:  # 4 texts per interval
        return update(
            report(tuple(quarter(i, ReportPayload(r_id="a", value=1.0)) for i in range(n)))
        )

    sizes = range(1500, 1507)
    for n in sizes:
        encode(long(n))
    cache = skeletons._cache()
    held = sum(len(entry[1]) for entry in cache.values() if entry is not None)
    assert held == skeletons._LOCAL.slots <= skeletons.MAX_CACHED_SLOTS
    assert len(cache) == skeletons.MAX_CACHED_SLOTS // (4 * 1500 + 10)
    assert skeletons.has_skeleton(key_of(long(sizes[-1])))
    assert not skeletons.has_skeleton(key_of(long(sizes[0])))
    message = long(1500)
    assert encode(message) == plain(message)
