"""EiOpt revisions (P1_2030/2040): a revised opt schedule keeps its optID and replaces the old
schedule; an optID reused for another kind of opt is still 451."""

from __future__ import annotations

from datetime import timedelta

from common.messages.enums import OptReason, OptType
from common.messages.opt import CreateOpt
from common.messages.types import Period, QualifiedEventId
from tests.support.vtn_harness import START, Harness, add_event, fingerprint_of

FP = fingerprint_of(1)


def schedule(ven_id: str, hours: int, opt_type: OptType = OptType.OPT_OUT) -> CreateOpt:
    return CreateOpt(
        opt_id="sched-1", opt_type=opt_type, opt_reason=OptReason.PARTICIPATING, ven_id=ven_id,
        created_date_time=START, request_id=f"o{hours}",
        vavailability=(Period(dtstart=START + timedelta(days=1), duration=timedelta(hours=hours)),
                       Period(dtstart=START + timedelta(days=2), duration=timedelta(hours=1))))


async def test_a_revised_schedule_replaces_the_old_one(harness: Harness):
    h = harness
    ven_id = (await h.register(FP)).ven_id
    first = await h.post("EiOpt", schedule(ven_id, 4), fingerprint=FP)
    assert first.response.response_code == 200
    revised = await h.post("EiOpt", schedule(ven_id, 2, OptType.OPT_IN), fingerprint=FP)
    assert revised.response.response_code == 200 and revised.opt_id == "sched-1"
    [stored] = await h.store.opts.list(ven_id=ven_id)
    assert stored.opt_type is OptType.OPT_IN
    assert [p.duration for p in stored.availability] == [timedelta(hours=2), timedelta(hours=1)]


async def test_an_opt_id_reused_for_another_kind_of_opt_is_451(harness: Harness):
    h = harness
    ven_id = (await h.register(FP)).ven_id
    assert (await h.post("EiOpt", schedule(ven_id, 4), fingerprint=FP)).response.response_code \
        == 200
    event = await add_event(h.store)
    for_event = CreateOpt(
        opt_id="sched-1", opt_type=OptType.OPT_OUT, opt_reason=OptReason.ECONOMIC, ven_id=ven_id,
        created_date_time=START, request_id="e",
        qualified_event_id=QualifiedEventId(event_id=event.event_id, modification_number=0))
    assert (await h.post("EiOpt", for_event, fingerprint=FP)).response.response_code == 451
