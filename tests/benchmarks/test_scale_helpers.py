"""The scale, push fan-out and soak benchmarks' helpers: seeding, routing, the soak's verdict."""

from __future__ import annotations

import asyncio
from pathlib import Path

from common.clock import SystemClock
from tests.benchmarks import _pgseed
from tests.benchmarks.__main__ import OPT_IN
from tests.benchmarks._scalegen import SpreadPool
from tests.benchmarks.bench_soak import slope, verdict
from vtn.storage import open_store


def test_seeded_vens_read_back_through_the_storage_api(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'vtn.sqlite'}"

    async def run() -> tuple:
        await _pgseed.seed(url, "pull-", 1500, 60.0)  # more than one INSERT of 1,000 rows
        await _pgseed.seed(url, "push-", 3, 60.0, "http://127.0.0.1:9/ven")
        store = await open_store(url, clock=SystemClock())
        try:
            return await store.vens.list(), await store.vens.get("push-00002")
        finally:
            await store.close()

    vens, push = asyncio.run(run())
    assert len(vens) == 1503
    pull = next(v for v in vens if v.ven_id == "pull-01499")
    assert not pull.push and pull.transport_address is None
    assert pull.poll_frequency.total_seconds() == 60
    assert push.push and push.transport_address == "http://127.0.0.1:9/ven/push-00002"


def test_fresh_postgres_refuses_a_database_not_named_bench() -> None:
    try:
        _pgseed.fresh_postgres("test")
    except ValueError as exc:
        assert "refusing" in str(exc)
    else:
        raise AssertionError("fresh_postgres('test') did not refuse")


def test_spread_pool_sends_each_ven_to_the_same_server_in_turn() -> None:
    pool = SpreadPool(["http://127.0.0.1:1001/a", "http://127.0.0.1:1002/a"], 4, 1.0)
    requests = [pool.request("/a/OadrPoll", f"ven {i}".encode()) for i in range(5)]
    ports = [pool.server_of(r).port for r in requests]
    assert ports == [1001, 1002, 1001, 1002, 1001]
    assert b"Host: 127.0.0.1:1002" in requests[1]


def test_slope_is_the_least_squares_fit() -> None:
    assert slope([0, 1, 2, 3], [1, 3, 5, 7]) == 2.0
    assert slope([0, 1, 2], [4, 4, 4]) == 0.0
    assert slope([5], [1]) == 0.0


def _sample(minute: int, rss_mib: float, fds: int, p99: float, errors: int = 0) -> dict:
    return {"minute": minute, "t": minute * 60.0, "rss_kib": rss_mib * 1024, "fds": fds,
            "errors": errors, "unsent": 0, "p99_ms": p99}


def test_the_soak_verdict_tells_flat_from_growing() -> None:
    flat = verdict([_sample(m, 100 + (m % 2) * 0.5, 40 + m % 3, 5.0) for m in range(1, 12)])
    assert all("NOT" not in line for line in flat), flat
    growing = verdict([_sample(m, 100 + 3 * m, 40 + 2 * m, 5.0 * m, errors=m == 5)
                       for m in range(1, 12)])
    assert [line.split(":")[0] for line in growing if "NOT" in line] == [
        "RSS", "open files", "errors (a reply not HTTP 200 + responseCode 200, or no reply)",
        "p99"]


def test_the_long_benchmarks_run_only_when_named() -> None:
    assert set(OPT_IN) == {"bench_energy", "bench_scale", "bench_push_fanout", "bench_soak"}
    for name in OPT_IN:
        assert Path(__file__).with_name(f"{name}.py").exists()
