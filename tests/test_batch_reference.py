"""The batch queue against the real thing: opentelemetry-sdk's BatchSpanProcessor, fed the same spans ending in
the same order, must produce the same batches (composition and order) and drop the same spans on overflow.

Both sides are driven step by step and compared by content (which spans went out together), never by how long
anything took, so the test holds on a busy machine. The only waits are for an export to have happened. The SDK
side runs in a fresh interpreter (``python -m tests.test_batch_reference CASE``): other tests import Locust, whose
gevent monkey-patching would turn the SDK's worker thread into a greenlet.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_locust.encoding.dialects import GenAI
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.batch import BatchSettings, BatchSpanQueue, EndedSpan
from otel_locust.export.exporter import Exporter
from otel_locust.export.transport import Reply, Verdict
from otel_locust.testing.capture import decode_spans

SPANS = 12
FOREVER_MS = 3_600_000.0


# -- the SDK side ------------------------------------------------------------------------------------------


class RecordingExporter(SpanExporter):
    """Keeps each batch as the list of span names; the first export may be held back."""

    def __init__(self, hold_first: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        if not hold_first:
            self.release.set()

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.started.set()
        self.release.wait(30)
        self.batches.append([span.name for span in spans])
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing to release."""


def _sdk(settings: BatchSettings, hold_first: bool) -> tuple[Callable[[int], None], RecordingExporter, Any]:
    exporter = RecordingExporter(hold_first)
    processor = BatchSpanProcessor(
        exporter,
        max_queue_size=settings.max_queue_size,
        schedule_delay_millis=settings.schedule_delay_ms,
        max_export_batch_size=settings.max_export_batch_size,
    )
    provider = TracerProvider()  # private: the global provider is never touched
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("reference")
    return (lambda i: tracer.start_span(f"s{i}").end()), exporter, processor


def _wait(condition: Callable[[], bool], what: str, sleep: Callable[[float], None] = time.sleep) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        sleep(0.01)


# -- the plugin side ---------------------------------------------------------------------------------------


class RecordingTransport:
    """Accepts every request and keeps its spans' names; the first post may be held back."""

    def __init__(self, names: dict[bytes, str], hold_first: bool) -> None:
        self.batches: list[list[str]] = []
        self.release = gevent.event.Event()
        self.started = gevent.event.Event()
        self._names = names
        if not hold_first:
            self.release.set()

    def wire(self, body: bytes) -> bytes:
        return body

    def post(self, wire: bytes) -> Reply:
        self.started.set()
        self.release.wait(30)
        self.batches.append([self._names[span.span_id] for span in decode_spans(wire)])
        return Reply(Verdict.OK, 200)

    def close(self) -> None:
        """Nothing to release."""


def _plugin(
    settings: BatchSettings, hold_first: bool, planner: Any, scenarios: dict[str, Any]
) -> tuple[Callable[[int], None], RecordingTransport, BatchSpanQueue, TraceTicket]:
    instrumentation = Instrumentation([GenAI()])
    encoded = instrumentation.encode(planner.plan(scenarios["multi_service_complex"]))
    assert len(encoded.spans) >= SPANS
    names = {}
    for index, chunks in enumerate(encoded.spans[:SPANS]):
        span_id = decode_spans(instrumentation.pack([list(chunks)], [encoded.sizes[index]])[0].body)[0].span_id
        names[span_id] = f"s{index}"
    stats = TraceStats()
    transport = RecordingTransport(names, hold_first)
    queue = BatchSpanQueue(Exporter(lambda **_: None, stats, transport), instrumentation, settings)
    ticket = TraceTicket(stats, "reference", SPANS)

    def end(i: int) -> None:
        queue.emit(EndedSpan(list(encoded.spans[i]), encoded.sizes[i], ticket))

    return end, transport, queue, ticket


# -- the comparisons ---------------------------------------------------------------------------------------


def _drive_full_batches(end: Callable[[int], None], batches: list[list[str]], sleep: Callable[[float], None]) -> None:
    """End spans one by one; whenever a full batch is queued, wait until it went out (the worker woke up)."""
    for i in range(SPANS - 2):
        end(i)
        if (i + 1) % 4 == 0:
            _wait(lambda n=(i + 1) // 4: len(batches) >= n, "a full batch to be exported", sleep)


FULL = BatchSettings(max_queue_size=16, max_export_batch_size=4, schedule_delay_ms=FOREVER_MS)
# long enough that all three spans are queued before the first timer fires, even on a stalled machine
TIMER = BatchSettings(max_queue_size=16, max_export_batch_size=8, schedule_delay_ms=2000)
OVERFLOW = BatchSettings(max_queue_size=4, max_export_batch_size=2, schedule_delay_ms=FOREVER_MS)


def _drive_overflow(
    end: Callable[[int], None],
    release: Any,
    batches: list[list[str]],
    exporting: Callable[[], bool],
    sleep: Callable[[float], None],
) -> None:
    end(0)
    end(1)
    _wait(exporting, "the first export to start", sleep)
    for i in range(2, 8):  # 6 spans into a queue of 4 while the first batch is stuck on the wire
        end(i)
    release.set()
    _wait(lambda: len(batches) >= 3, "the queue to drain", sleep)


def sdk_batches(case: str) -> list[list[str]]:
    """Run ``case`` through the real SDK processor (in this interpreter, which must not be monkey-patched)."""
    if case == "full":
        end, sdk, processor = _sdk(FULL, hold_first=False)
        _drive_full_batches(end, sdk.batches, time.sleep)
        processor.force_flush()
    elif case == "timer":
        end, sdk, processor = _sdk(TIMER, hold_first=False)
        for i in range(3):
            end(i)
        _wait(lambda: len(sdk.batches) >= 1, "the SDK's timer export")
    else:
        end, sdk, processor = _sdk(OVERFLOW, hold_first=True)
        _drive_overflow(end, sdk.release, sdk.batches, sdk.started.is_set, time.sleep)
    processor.shutdown()
    return sdk.batches


def _reference(case: str) -> list[list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.test_batch_reference", case],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_full_batches_go_out_as_soon_as_they_fill_and_a_flush_sends_the_rest(planner, scenarios):
    sdk = _reference("full")
    end, plugin, queue, _ = _plugin(FULL, False, planner, scenarios)
    _drive_full_batches(end, plugin.batches, gevent.sleep)
    queue.flush()
    queue.close()
    assert sdk == [["s0", "s1", "s2", "s3"], ["s4", "s5", "s6", "s7"], ["s8", "s9"]]
    assert plugin.batches == sdk


@pytest.mark.slow
def test_a_timer_sends_a_partial_batch(planner, scenarios):
    sdk = _reference("timer")
    end, plugin, queue, _ = _plugin(TIMER, False, planner, scenarios)
    for i in range(3):
        end(i)
    _wait(lambda: len(plugin.batches) >= 1, "the timer export", gevent.sleep)
    queue.close()
    assert sdk == plugin.batches == [["s0", "s1", "s2"]]


@pytest.mark.slow
def test_a_full_queue_drops_the_oldest_spans_while_an_export_is_stuck(planner, scenarios):
    sdk = _reference("overflow")
    end, plugin, queue, ticket = _plugin(OVERFLOW, True, planner, scenarios)
    _drive_overflow(end, plugin.release, plugin.batches, plugin.started.is_set, gevent.sleep)
    queue.close()
    assert sdk == [["s0", "s1"], ["s4", "s5"], ["s6", "s7"]], "the SDK drops the oldest queued spans"
    assert plugin.batches == sdk
    assert ticket.settle("dropped", SPANS - 8, "stop"), "the spans that never ended settle the trace"
    entry = ticket._stats.scenarios["reference"]
    assert entry["spans"]["dropped"] == 2 + (SPANS - 8) and entry["spans"]["delivered"] == 6
    assert entry["traces"]["dropped"] == 1 and entry["dropped_by_reason"] == {"queue_full": 1}


@pytest.mark.parametrize("limit_spans", [1, 3])
def test_a_batch_is_split_to_respect_the_request_limit(planner, scenarios, limit_spans):
    instrumentation = Instrumentation([GenAI()])
    encoded = instrumentation.encode(planner.plan(scenarios["simple_query"]))
    stats = TraceStats()
    limit = sum(sorted(encoded.sizes)[-limit_spans:]) + 1000  # the largest spans plus the envelope
    queue = BatchSpanQueue(
        Exporter(lambda **_: None, stats, RecordingTransport({}, False)),
        instrumentation,
        BatchSettings(schedule_delay_ms=FOREVER_MS),
        request_limit=limit,
    )
    ticket = TraceTicket(stats, "s", len(encoded.spans))
    batch = [EndedSpan(chunks, size, ticket) for chunks, size in zip(encoded.spans, encoded.sizes, strict=True)]
    shipments = queue.shipments(batch)
    queue.close()
    assert len(shipments) > 1 and all(len(s.request.body) <= limit for s in shipments)
    assert sum(s.request.spans for s in shipments) == len(batch)
    assert all(p.ticket is ticket for s in shipments for p in s.portions)


if __name__ == "__main__":
    print(json.dumps(sdk_batches(sys.argv[1])))


class _Clocked:
    """Stands in for the batch queue: notes when each span is handed over (pure scheduling logic)."""

    def __init__(self) -> None:
        self.handed: list[tuple[float, bytes]] = []

    def emit(self, span: EndedSpan) -> None:
        self.handed.append((time.monotonic(), span.chunks[0]))


def test_the_scheduler_hands_each_span_over_at_its_end_and_settles_the_rest_at_close():
    """Two traces with interleaved end times: no span leaves before its end, each trace's leave in end order,
    and a span still pending at close is settled dropped (reason stop)."""
    from otel_locust.encoding.instrument import EncodedTrace
    from otel_locust.export.batch import RealTimeScheduler

    queue, stats = _Clocked(), TraceStats()
    scheduler = RealTimeScheduler(queue)  # type: ignore[arg-type]  # only emit() is used
    started = time.monotonic()
    ends = {b"a1": 60, b"a2": 20, b"a3": 3_600_000, b"b1": 40, b"b2": 10}  # ms after the start
    tickets = {}
    for trace in (b"a", b"b"):
        names = [n for n in ends if n.startswith(trace)]
        encoded = EncodedTrace([[n] for n in names], [1] * len(names), trace * 16, len(names))
        tickets[trace] = TraceTicket(stats, "s", len(names))
        scheduler.add(encoded, [ends[n] * 1_000_000 for n in names], tickets[trace], started)
    _wait(lambda: len(queue.handed) == 4, "four spans to end", gevent.sleep)
    for at, name in queue.handed:
        assert at - started >= ends[name] / 1000, f"{name!r} left before its end"
    order = [name for _, name in queue.handed]
    assert order.index(b"a2") < order.index(b"a1") and order.index(b"b2") < order.index(b"b1")
    assert scheduler.close() == 1
    tickets[b"a"].settle("delivered", 2)  # what the queue would do with the two handed over
    assert stats.scenarios["s"]["spans"]["dropped"] == 1 and stats.scenarios["s"]["traces"]["dropped"] == 1
