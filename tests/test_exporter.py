"""The exporter over a scripted transport: retries, Retry-After, 413 halving, partial success, unconfirmed
answers, draining, and every outcome of SPEC §5, in milliseconds and without a network."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import gevent
import gevent.event
import pytest

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.exporter import Exporter, Portion, Shipment
from otel_locust.export.retry import RetryPolicy
from otel_locust.export.transport import Reply, Verdict
from otel_locust.testing.capture import decode_spans

FAST = RetryPolicy(max_elapsed=5.0, initial_backoff=0.001, max_backoff=0.002)


class ScriptedTransport:
    """Answers each post with the next scripted reply (the last one repeats); records what was posted."""

    def __init__(self, replies: Iterable[Reply | str]) -> None:
        self.replies = list(replies)
        self.posted: list[bytes] = []
        self.hold = gevent.event.Event()
        self.hold.set()

    def wire(self, body: bytes) -> bytes:
        return body

    def post(self, wire: bytes) -> Reply:
        self.posted.append(wire)
        self.hold.wait()
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if reply == "413-if-large":
            return Reply(Verdict.TOO_LARGE, 413, message="HTTP 413") if len(decode_spans(wire)) > 2 else ok()
        assert isinstance(reply, Reply)
        return reply

    def close(self) -> None:
        """Nothing to release."""


def ok(rejected: int = 0) -> Reply:
    return Reply(Verdict.OK, 200, rejected=rejected)


@pytest.fixture
def trace_bytes(planner: Any, scenarios: dict[str, Any]) -> tuple[Instrumentation, Any]:
    instrumentation = Instrumentation([GenAI()])
    return instrumentation, instrumentation.encode(planner.plan(scenarios["delegated_booking"]))


def _run(
    replies: Iterable[Reply | str],
    trace_bytes: tuple[Instrumentation, Any],
    max_bytes: int = 0,
    events: list[dict[str, Any]] | None = None,
) -> tuple[TraceStats, ScriptedTransport]:
    instrumentation, encoded = trace_bytes
    stats, transport = TraceStats(), ScriptedTransport(replies)
    exporter = Exporter(lambda **kw: (events if events is not None else []).append(kw), stats, transport, FAST)
    ticket = TraceTicket(stats, "s", len(encoded.spans))
    requests = instrumentation.requests(encoded, max_bytes)
    exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests]).join()
    return stats, transport


def test_a_throttled_request_is_retried_after_the_servers_delay_and_delivered(trace_bytes):
    events: list[dict[str, Any]] = []
    stats, transport = _run(
        [Reply(Verdict.RETRY, 429, retry_after=0.01), Reply(Verdict.RETRY, 503), ok()], trace_bytes, events=events
    )
    entry = stats.scenarios["s"]
    assert len(transport.posted) == 3 and entry["retries"] == 2 and entry["traces"]["delivered"] == 1
    assert len(events) == 1 and events[0]["exception"] is None, "one event covers every attempt"
    assert events[0]["context"]["attempts"] == 3


def test_refused_and_exhausted_requests_fail_with_their_reason(trace_bytes):
    stats, transport = _run([Reply(Verdict.REFUSED, 400, message="HTTP 400: bad")], trace_bytes)
    assert len(transport.posted) == 1, "4xx is never retried"
    assert stats.scenarios["s"]["failed_by_reason"] == {"refused": 1}
    stats, transport = _run([Reply(Verdict.RETRY, 503)], trace_bytes)
    assert len(transport.posted) == FAST.max_attempts
    assert stats.scenarios["s"]["failed_by_reason"] == {"retries_exhausted": 1}


def test_a_request_that_timed_out_is_unconfirmed_and_not_resent(trace_bytes):
    events: list[dict[str, Any]] = []
    stats, transport = _run([Reply(Verdict.UNCONFIRMED, message="no answer in time")], trace_bytes, events=events)
    entry = stats.scenarios["s"]
    assert len(transport.posted) == 1 and entry["traces"]["unconfirmed"] == 1
    assert entry["spans"]["unconfirmed"] == len(trace_bytes[1].spans) and entry["spans"]["delivered"] == 0
    assert "no answer in time" in str(events[0]["exception"])


def test_a_413_halves_the_request_until_it_fits_and_the_trace_is_delivered_once(trace_bytes):
    events: list[dict[str, Any]] = []
    stats, transport = _run(["413-if-large"], trace_bytes, events=events)
    entry = stats.scenarios["s"]
    spans = len(trace_bytes[1].spans)
    delivered = [decode_spans(body) for body in transport.posted if len(decode_spans(body)) <= 2]
    assert sum(map(len, delivered)) == spans and entry["spans"]["delivered"] == spans
    assert entry["traces"] == {"generated": 0, "delivered": 1, "failed": 0, "dropped": 0, "unconfirmed": 0}
    assert any("413" in str(e["exception"]) and "two halves" in str(e["exception"]) for e in events)


def test_a_single_span_over_the_limit_fails_as_too_large(trace_bytes):
    stats, _ = _run([Reply(Verdict.TOO_LARGE, 413, message="HTTP 413")], trace_bytes, max_bytes=1)
    entry = stats.scenarios["s"]
    assert entry["traces"]["failed"] == 1 and entry["failed_by_reason"] == {"too_large": 1}
    assert entry["spans"]["failed"] == len(trace_bytes[1].spans)


def test_partial_success_fails_the_trace_and_counts_the_rejected_spans(trace_bytes):
    stats, _ = _run([ok(rejected=3)], trace_bytes)
    entry = stats.scenarios["s"]
    assert entry["traces"]["failed"] == 1 and entry["failed_by_reason"] == {"partial_success": 1}
    assert entry["spans"]["failed"] == 3 and entry["spans"]["delivered"] == len(trace_bytes[1].spans) - 3


def test_partial_success_in_a_request_mixing_traces_fails_every_trace_in_it(trace_bytes):
    instrumentation, encoded = trace_bytes
    stats, transport = TraceStats(), ScriptedTransport([ok(rejected=1)])
    a, b = TraceTicket(stats, "a", 2), TraceTicket(stats, "b", 2)
    request = instrumentation.pack(encoded.spans[:4], encoded.sizes[:4])[0]
    shipment = Shipment(request, [Portion(a, 2, sum(encoded.sizes[:2])), Portion(b, 2, sum(encoded.sizes[2:4]))])
    Exporter(lambda **_: None, stats, transport, FAST).submit([shipment]).join()
    assert stats.scenarios["a"]["traces"]["failed"] == stats.scenarios["b"]["traces"]["failed"] == 1
    assert stats.total()["spans"]["failed"] == 1 and stats.total()["spans"]["delivered"] == 3
    assert stats.total()["bytes_sent"] == len(request.body), "bytes are shared, not double counted"


def test_a_drain_settles_what_is_on_the_wire_as_unconfirmed_and_the_rest_as_dropped(trace_bytes):
    instrumentation, encoded = trace_bytes
    stats, transport = TraceStats(), ScriptedTransport([ok()])
    transport.hold.clear()  # the first request never gets an answer
    exporter = Exporter(lambda **_: None, stats, transport, FAST)
    ticket = TraceTicket(stats, "s", len(encoded.spans))
    requests = instrumentation.requests(encoded, max_bytes=sum(encoded.sizes) // 3)
    assert len(requests) >= 3
    exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests])
    gevent.sleep(0.01)
    assert exporter.drain(0.05) == 1
    entry = stats.scenarios["s"]
    assert entry["traces"]["dropped"] == 1 and entry["dropped_by_reason"] == {"stop": 1}
    assert entry["spans"]["unconfirmed"] == requests[0].spans
    assert entry["spans"]["dropped"] == len(encoded.spans) - requests[0].spans
    assert entry["dropped_loss"] == 0, "a stop is not the backend's loss"


def test_an_interrupt_raised_inside_an_export_still_settles_its_trace(trace_bytes):
    """Ctrl-C raised in the export's own greenlet (a locustfile's signal handling may route it there): the
    request on the wire is unconfirmed, the rest dropped (stop); the interrupt still reaches the caller."""
    instrumentation, encoded = trace_bytes
    stats, transport = TraceStats(), ScriptedTransport([ok()])
    transport.hold.clear()
    exporter = Exporter(lambda **_: None, stats, transport, FAST)
    ticket = TraceTicket(stats, "s", len(encoded.spans))
    requests = instrumentation.requests(encoded, max_bytes=sum(encoded.sizes) // 3)
    export = exporter.submit([Shipment(r, [Portion(ticket, r.spans, len(r.body))]) for r in requests])
    gevent.sleep(0.01)
    with pytest.raises(KeyboardInterrupt):  # gevent forwards it to the main greenlet, as with a real Ctrl-C
        export.throw(KeyboardInterrupt)  # what a greenlet gets when SIGINT lands while it runs
        gevent.sleep(0.01)
    entry = stats.scenarios["s"]
    assert entry["traces"]["dropped"] == 1 and entry["dropped_by_reason"] == {"stop": 1}
    assert entry["spans"]["unconfirmed"] == requests[0].spans
