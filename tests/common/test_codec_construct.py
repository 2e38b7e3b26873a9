"""The fast constructors the readers use (common.xml.construct) and the parser's cheaper checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import MalformedXml
from common.messages import event, opt, poll, registration, report, types
from common.messages.enums import ExtensionValue
from common.messages.examples import all_messages
from common.xml import decode, encode, parse
from common.xml.construct import maker
from common.xml.lexical import read_datetime

MODULES = (event, opt, poll, registration, report, types)
CLASSES = sorted(
    {
        cls
        for module in MODULES
        for cls in vars(module).values()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and cls.__module__ == module.__name__
    },
    key=lambda cls: cls.__name__,
)


def _instances(value: object, found: dict[type, object]) -> None:
    """Every dataclass instance reachable from `value`, one per class."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found.setdefault(type(value), value)
        for field in dataclasses.fields(value):
            _instances(getattr(value, field.name), found)
    elif isinstance(value, tuple):
        for item in value:
            _instances(item, found)


SAMPLES: dict[type, object] = {}
for _message in all_messages():
    _instances(_message, SAMPLES)
_instances(
    report.UpdateReport(
        request_id="r",
        reports=(
            report.Report(
                report_request_id="rr",
                report_specifier_id="spec",
                created_date_time=datetime(2026, 7, 1, tzinfo=UTC),
                intervals=(
                    types.Interval(
                        payloads=(report.ReportPayload(r_id="a", value=1.5, confidence=90),),
                        dtstart=datetime(2026, 7, 1, tzinfo=UTC),
                        duration=timedelta(minutes=15),
                    ),
                ),
            ),
        ),
    ),
    SAMPLES,
)


@pytest.mark.parametrize("cls", [c for c in CLASSES if c in SAMPLES], ids=lambda c: c.__name__)
def test_made_objects_equal_constructed_ones(cls):
    sample = SAMPLES[cls]
    values = [getattr(sample, f.name) for f in dataclasses.fields(cls)]
    made = maker(cls)(*values)
    built = cls(**{f.name: v for f, v in zip(dataclasses.fields(cls), values, strict=True)})
    assert type(made) is cls
    assert made == built == sample
    assert repr(made) == repr(built)
    assert hash(made) == hash(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(dataclasses.fields(cls)[0].name, None)


def test_the_samples_cover_the_classes_the_readers_make():
    for name in ("Interval", "ReportPayload", "EventDescriptor", "EventSignal", "EiEvent",
                 "OadrEvent", "DistributeEvent", "Period", "Target"):  # fmt: skip
        assert name in {cls.__name__ for cls in SAMPLES}


def test_maker_needs_every_field_and_refuses_post_init_classes():
    make = maker(types.Interval)
    with pytest.raises(TypeError):
        make((1.0,))  # no defaults: a reader must pass every field
    with pytest.raises(TypeError, match="__post_init__"):
        maker(ExtensionValue)
    with pytest.raises(TypeError, match="slotted dataclass"):
        maker(dict)


def test_read_datetime_accepts_surrounding_whitespace_and_zones():
    expected = datetime(2026, 7, 1, 17, tzinfo=UTC)
    for text in (
        "2026-07-01T17:00:00Z",
        " 2026-07-01T17:00:00Z\n",
        "2026-07-01T17:00:00+00:00",
        "2026-07-01T19:00:00+02:00",
        "2026-07-01T17:00:00",
    ):
        value = read_datetime(text)
        assert value == expected and value.tzinfo is UTC
    assert read_datetime("2026-07-01T17:00:00.5Z") == expected + timedelta(microseconds=500000)


def test_bang_in_text_or_comment_is_fine_but_a_doctype_is_not():
    data = encode(poll.Poll(ven_id="ven-1!"))
    assert decode(data) == poll.Poll(ven_id="ven-1!")
    commented = data.replace(b"<oadr:oadrSignedObject", b"<!-- hi! --><oadr:oadrSignedObject", 1)
    assert decode(commented) == poll.Poll(ven_id="ven-1!")
    doctype = data.replace(b"?>", b"?><!DOCTYPE x>", 1)
    with pytest.raises(MalformedXml, match="DTD"):
        parse(doctype)


def test_depth_is_checked_on_large_bodies_too():
    data = encode(poll.Poll(ven_id="x" * 4000))  # over the size below which '<' are counted
    inner = b"<a>" * 40 + b"</a>" * 40
    deep = data.replace(b"</ei:venID>", b"</ei:venID>" + inner, 1)
    with pytest.raises(MalformedXml, match="deeper"):
        parse(deep)
