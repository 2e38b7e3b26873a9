"""The request metrics counted in the process and handed to prometheus_client in batches give
the same exposition as one ``inc``/``observe`` per request."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from vtn.metrics import LATENCY_BUCKETS, VtnMetrics

REQUESTS = [("OadrPoll", 200, 200, s) for s in (0.0004, 0.001, 0.0011, 0.3, 12.0)] + [
    ("EiRegisterParty", 200, 452, 0.02), ("OadrPoll", 400, None, 0.0025)]


def _reference() -> bytes:
    registry = CollectorRegistry()
    requests = Counter("oadr_vtn_requests", "x", ["service", "http_status", "ei_code"],
                       registry=registry)
    latency = Histogram("oadr_vtn_request_duration_seconds", "x", ["service"],
                        buckets=LATENCY_BUCKETS, registry=registry)
    for service, status, code, seconds in REQUESTS:
        requests.labels(service, str(status), "none" if code is None else str(code)).inc()
        latency.labels(service).observe(seconds)
    return generate_latest(registry)


def _samples(text: bytes) -> set[str]:
    """The sample lines (no help text, no creation times)."""
    return {line for line in text.decode().splitlines()
            if line.startswith(("oadr_vtn_requests_total", "oadr_vtn_request_duration"))
            and "_created{" not in line}


def test_batched_counts_match_one_call_per_request_and_are_not_counted_twice() -> None:
    metrics = VtnMetrics()
    for service, status, code, seconds in REQUESTS:
        metrics.request(service, status, code, seconds)
    expected = _samples(_reference())
    assert 'oadr_vtn_request_duration_seconds_bucket{le="0.001",service="OadrPoll"} 2.0' in expected
    assert _samples(metrics.exposition()) == expected
    assert _samples(metrics.exposition()) == expected  # flushed once, not again
    metrics.request("OadrPoll", 200, 200, 0.0004)
    assert 'oadr_vtn_requests_total{ei_code="200",http_status="200",service="OadrPoll"} 6.0' in (
        _samples(metrics.exposition()))
