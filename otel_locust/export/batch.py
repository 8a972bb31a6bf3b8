"""SDK-style batching: spans (``--otel-delivery batch``) and log records leave through batch queues.

An instrumented agent app does not send whole traces. Each span is handed to the OpenTelemetry SDK's
``BatchSpanProcessor`` when it ends; the processor's worker exports the queue in batches of spans from many
traces, children before parents, the root last. :class:`RealTimeScheduler` replays a planned trace's timeline on
the wall clock (optionally faster) and hands each span over at its end time; :class:`BatchSpanQueue` is the
processor. Log records (profiles that put content in logs) go through :class:`BatchLogQueue`, the SDK's
``BatchLogRecordProcessor``, in both delivery modes: one logs request carries the records of many traces.
Both are :class:`BatchProcessor`, with the SDK's semantics (opentelemetry-sdk 1.45 ``_shared_internal
.BatchProcessor``, which both SDK processors share) and each its own defaults:

* a bounded queue (2048); when it is full the *oldest* item is dropped (``deque(maxlen)``), counted
  ``dropped`` with reason ``queue_full``;
* one worker that wakes every schedule delay (spans 5 s, log records 1 s), or as soon as the queue holds a full
  batch (512);
* on a timer it exports at least one batch, on a wake-up while the queue holds a full batch; exports are
  serial (one batch in flight at a time, the worker and a flush share a lock), oldest items first;
* ``force_flush`` exports everything.

The test ``tests/test_batch_reference.py`` drives the real SDK processor and this one with the same spans and
compares the batches they produce. Batches are split to respect the platform's request limit, like traces are.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

import gevent
import gevent.event
import gevent.lock

from otel_locust.encoding.instrument import EncodedTrace, Instrumentation
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.exporter import BATCH_NAME, Exporter, LogShipment, Portion, Shipment

T = TypeVar("T")


@dataclass(frozen=True)
class BatchSettings:
    """A batch processor's knobs, in the units of the ``OTEL_BSP_*`` / ``OTEL_BLRP_*`` variables (the
    defaults are the span processor's; :data:`LOG_BATCH_DEFAULTS` has the log record processor's)."""

    max_queue_size: int = 2048
    max_export_batch_size: int = 512
    schedule_delay_ms: float = 5000.0
    export_timeout_ms: float = 30000.0


LOG_BATCH_DEFAULTS = BatchSettings(schedule_delay_ms=1000.0)  #: the SDK's BatchLogRecordProcessor defaults


@dataclass(slots=True, eq=False)
class EndedSpan:
    """One encoded span waiting to be exported, and the trace it belongs to."""

    chunks: list[bytes]
    size: int
    ticket: TraceTicket


class BatchProcessor(Generic[T]):
    """A batch processor of one process: bounded queue, one worker greenlet, serial exports. Subclasses say how
    a batch is exported (``_export_batch``, which waits for the export) and how a dropped item is settled."""

    def __init__(self, settings: BatchSettings) -> None:
        self.settings = settings
        self._queue: deque[T] = deque()
        self._awake = gevent.event.Event()
        self._export_lock = gevent.lock.Semaphore()  # the worker and a flush never export at once (as the SDK)
        self._closed = False
        self._worker = gevent.spawn(self._work)

    def __len__(self) -> int:
        return len(self._queue)

    def emit(self, item: T) -> None:
        """An item ended: queue it (dropping the oldest when the queue is full)."""
        if self._closed:
            self._dropped(item, "stop")
            return
        if len(self._queue) >= self.settings.max_queue_size:
            self._dropped(self._queue.pop(), "queue_full")
        self._queue.appendleft(item)
        if len(self._queue) >= self.settings.max_export_batch_size and not self._awake.is_set():
            self._awake.set()

    def _work(self) -> None:
        while not self._closed:
            woken = self._awake.wait(self.settings.schedule_delay_ms / 1000)
            if self._closed:
                break
            self._export(at_least_one=not woken)
            self._awake.clear()

    def _export(self, at_least_one: bool = False, everything: bool = False) -> None:
        iteration = 0
        batch_size = self.settings.max_export_batch_size
        with self._export_lock:  # the condition is read once the lock is held: the other exporter may have run
            while self._queue and (len(self._queue) >= batch_size or everything or (at_least_one and iteration == 0)):
                iteration += 1
                self._export_batch([self._queue.pop() for _ in range(min(batch_size, len(self._queue)))])

    def _export_batch(self, batch: list[T]) -> None:
        raise NotImplementedError

    def _dropped(self, item: T, reason: str) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Export everything queued now, as ``force_flush`` does (waits for the exports)."""
        self._export(everything=True)

    def close(self) -> None:
        """Stop the worker; items still queued are settled as dropped (reason stop)."""
        self._closed = True
        self._awake.set()
        self._worker.kill(block=False)
        while self._queue:
            self._dropped(self._queue.pop(), "stop")


class BatchSpanQueue(BatchProcessor[EndedSpan]):
    """The BatchSpanProcessor: ended spans of many traces, exported in batches, each trace's share accounted."""

    def __init__(
        self, exporter: Exporter, instrumentation: Instrumentation, settings: BatchSettings, request_limit: int = 0
    ) -> None:
        self._exporter = exporter
        self._instrumentation = instrumentation
        self._request_limit = request_limit
        super().__init__(settings)

    def _export_batch(self, batch: list[EndedSpan]) -> None:
        self._exporter.submit(self.shipments(batch)).join()

    def _dropped(self, item: EndedSpan, reason: str) -> None:
        item.ticket.settle("dropped", 1, reason)

    def shipments(self, batch: list[EndedSpan]) -> list[Shipment]:
        """The requests for one batch, each no larger than the request limit, with each trace's share."""
        requests = self._instrumentation.pack([s.chunks for s in batch], [s.size for s in batch], self._request_limit)
        shipments, position = [], 0
        for request in requests:
            portions: list[Portion] = []
            for span in batch[position : position + request.spans]:
                if portions and portions[-1].ticket is span.ticket:
                    portions[-1].spans += 1
                    portions[-1].nbytes += span.size
                else:
                    portions.append(Portion(span.ticket, 1, span.size))
            position += request.spans
            shipments.append(Shipment(request, portions))
        return shipments


class BatchLogQueue(BatchProcessor[tuple[bytes, str]]):
    """The BatchLogRecordProcessor: encoded log records (with their trace's scenario) of many traces, exported
    in batches over the logs path. Records are accounted from :meth:`emit_records` on."""

    def __init__(
        self,
        exporter: Exporter,
        stats: TraceStats,
        instrumentation: Instrumentation,
        settings: BatchSettings = LOG_BATCH_DEFAULTS,
        request_limit: int = 0,
    ) -> None:
        self._exporter = exporter
        self._stats = stats
        self._envelope = instrumentation.log_request
        self._request_limit = request_limit
        self._overhead = len(instrumentation.resource) + len(instrumentation.scope) + 16  # as ``pack`` counts it
        super().__init__(settings)

    def emit_records(self, records: list[bytes], scenario: str) -> None:
        """One trace's log records were emitted (its model calls ended)."""
        self._stats.logs_generated(len(records))
        for record in records:
            self.emit((record, scenario))

    def _dropped(self, item: tuple[bytes, str], reason: str) -> None:
        self._stats.logs_settled("dropped", 1, reason)

    def _export_batch(self, batch: list[tuple[bytes, str]]) -> None:
        for part in self._parts(batch):
            records = [record for record, _ in part]
            scenarios = {scenario for _, scenario in part}
            name = scenarios.pop() if len(scenarios) == 1 else BATCH_NAME
            self._exporter.ship_logs(LogShipment(self._envelope(records), len(records), name, self._envelope)).join()

    def _parts(self, batch: list[tuple[bytes, str]]) -> list[list[tuple[bytes, str]]]:
        """The batch cut into requests no larger than the request limit (a record alone may exceed it)."""
        if not self._request_limit:
            return [batch]
        parts: list[list[tuple[bytes, str]]] = [[]]
        size = self._overhead
        for item in batch:
            if parts[-1] and size + len(item[0]) > self._request_limit:
                parts.append([])
                size = self._overhead
            parts[-1].append(item)
            size += len(item[0])
        return parts


class _Unfolding:
    """One trace's spans not ended yet, in end order (times on the monotonic clock, seconds)."""

    __slots__ = ("at", "ends", "spans")

    def __init__(self, ends: list[float], spans: list[EndedSpan]) -> None:
        self.ends, self.spans, self.at = ends, spans, 0


class RealTimeScheduler:
    """Hands each span of the traces it is given to the batch queue at the span's end time, on the wall clock.

    One greenlet and one heap for the whole process (not a greenlet per trace), with one heap entry per trace
    (its next span to end), so thousands of concurrent traces cost a heap entry each. At a wake-up, every span
    that has ended goes to the queue, trace by trace, each trace's in end order. ``scale`` > 1 runs the timelines
    faster (``--otel-time-scale``).
    """

    def __init__(self, queue: BatchSpanQueue, scale: float = 1.0) -> None:
        self._queue = queue
        self._scale = scale
        self._heap: list[tuple[float, int, _Unfolding]] = []
        self._seq = itertools.count()
        self._wake = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._idle.set()
        self._runner = gevent.spawn(self._run)

    def add(self, encoded: EncodedTrace, ends_ns: list[int], ticket: TraceTicket, started: float) -> None:
        """Schedule ``encoded``'s spans; ``ends_ns`` are their (scaled) end offsets, ``started`` the trace's
        start on the monotonic clock."""
        order = sorted(zip(ends_ns, encoded.spans, encoded.sizes, strict=True), key=_first)
        unfolding = _Unfolding(
            [started + end / 1e9 for end, _, _ in order], [EndedSpan(chunks, size, ticket) for _, chunks, size in order]
        )
        earliest = self._heap[0][0] if self._heap else float("inf")
        heapq.heappush(self._heap, (unfolding.ends[0], next(self._seq), unfolding))
        self._idle.clear()
        if unfolding.ends[0] < earliest:
            self._wake.set()

    def _run(self) -> None:
        heap, emit = self._heap, self._queue.emit
        while True:
            if not heap:
                self._idle.set()
                self._wake.wait()
                self._wake.clear()
                continue
            delay = heap[0][0] - time.monotonic()
            if delay > 0:
                self._wake.wait(delay)
                self._wake.clear()
                continue
            now = time.monotonic()
            while heap and heap[0][0] <= now:
                unfolding = heap[0][2]
                ends, spans, at = unfolding.ends, unfolding.spans, unfolding.at
                while at < len(ends) and ends[at] <= now:
                    emit(spans[at])
                    at += 1
                unfolding.at = at
                if at < len(ends):
                    heapq.heapreplace(heap, (ends[at], next(self._seq), unfolding))
                else:
                    heapq.heappop(heap)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every scheduled span has ended (or ``timeout``); True when none is left."""
        return self._idle.wait(timeout)

    def close(self) -> int:
        """Stop; spans not ended yet are settled as dropped (reason stop). Returns how many there were."""
        self._runner.kill(block=False)
        left = 0
        while self._heap:
            unfolding = heapq.heappop(self._heap)[2]
            for span in unfolding.spans[unfolding.at :]:
                span.ticket.settle("dropped", 1, "stop")
                left += 1
        return left


def _first(item: tuple[int, list[bytes], int]) -> int:
    return item[0]
