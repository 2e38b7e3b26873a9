"""Event input of the admin API beyond the common signals: an event baseline (E1_1027), an
``x-`` signal (E1_1070), and LOAD_DISPATCH's default type ``setpoint`` (certification)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.messages.enums import ExtensionValue, SignalType
from tests.support.admin_api import T0, Admin, simple_event


async def test_load_dispatch_defaults_to_setpoint_and_delta_stays_selectable(admin: Admin):
    body = simple_event(signal_name="LOAD_DISPATCH", kw=40)
    del body["level"]
    made = await admin.call("POST", "/events", status=201, json=body)
    assert made["signals"][0]["signal_type"] == "setpoint"
    made = await admin.call("POST", "/events", status=201, json=body | {"signal_type": "delta"})
    assert made["signals"][0]["signal_type"] == "delta"


async def test_an_event_with_a_baseline(admin: Admin):
    body = simple_event(baseline={"kw": [120, 110, 100, 90], "name": "CBL",
                                  "resource_ids": ["meter-1"]})
    made = await admin.call("POST", "/events", status=201, json=body)
    assert made["baseline"]["name"] == "CBL"
    assert [i["value"] for i in made["baseline"]["intervals"]] == [120, 110, 100, 90]
    event = await admin.store.events.get(made["event_id"])
    baseline = event.request.baseline
    assert baseline is not None and baseline.baseline_name == "CBL"
    assert baseline.start == event.request.start and baseline.duration == timedelta(hours=1)
    assert [i.duration for i in baseline.intervals] == [timedelta(minutes=15)] * 4
    assert baseline.item_base is not None and baseline.item_base.item_units == "W"
    assert baseline.resource_ids == ("meter-1",)
    # modifying the event keeps the baseline
    changed = await admin.call("PATCH", f"/events/{made['event_id']}", json={"level": 3})
    assert [i["value"] for i in changed["baseline"]["intervals"]] == [120, 110, 100, 90]
    # one value for the whole event, over its own window
    one = await admin.call("POST", "/events", status=201, json=simple_event(baseline={
        "kw": 80, "start": T0.isoformat(), "duration": "2h", "intervals": 2}))
    assert [i["duration"] for i in one["baseline"]["intervals"]] == ["PT1H", "PT1H"]


@pytest.mark.parametrize(("baseline", "field"), [
    ({"kw": [1, 2]}, "baseline.kw"),  # 2 values for 4 intervals
    ({}, "baseline.kw"),
    ({"kw": 1, "colour": "red"}, "baseline.colour"),
    ({"kw": 1, "duration": "0s"}, "baseline.duration"),
    ({"kw": "lots"}, "baseline.kw"),
    ("100", "baseline"),
])
async def test_a_bad_baseline_names_its_field(admin: Admin, baseline, field):
    bad = await admin.call("POST", "/events", status=400, json=simple_event(baseline=baseline))
    assert bad["error"]["field"] == field, bad


async def test_an_x_signal(admin: Admin):
    body = simple_event(signal_name="x-loadShedCount", signal_type="level", level=7)
    made = await admin.call("POST", "/events", status=201, json=body)
    assert made["signals"][0]["signal_name"] == "x-loadShedCount"
    event = await admin.store.events.get(made["event_id"])
    (signal,) = event.request.signals
    assert signal.signal_name == ExtensionValue("x-loadShedCount")
    assert signal.signal_type is SignalType.LEVEL
    changed = await admin.call("PATCH", f"/events/{made['event_id']}", json={"level": 5})
    assert changed["signals"][0]["intervals"][0]["value"] == 5
    bad = await admin.call("POST", "/events", status=400,
                           json=simple_event(signal_name="x-", signal_type="level"))
    assert bad["error"]["field"] == "signal_name"
    bad = await admin.call("POST", "/events", status=400,
                           json=simple_event(signal_name="x-custom"))
    assert bad["error"]["field"] == "signal_type"
    bad = await admin.call("POST", "/events", status=400,
                           json=simple_event(signal_name="x-custom", signal_type="nonsense"))
    assert bad["error"]["field"] == "signal_type"
