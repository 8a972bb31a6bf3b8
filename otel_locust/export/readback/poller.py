"""The read-back poller: after a trace is accepted, ask the backend's read API until it is visible and whole.

Runs in the process that exported the trace (a worker in distributed runs, the local runner otherwise), as gevent
greenlets: one scheduler and at most ``concurrency`` look-ups in flight. A trace is *accepted* when its last
request was answered (the moment its TraceTicket settles as ``delivered``, or ``unconfirmed`` after a timeout);
that is time zero of its visibility latency, which ends at the start of the poll that first saw it complete.

Polls back off from ``min_interval`` by 1.5x up to ``max_interval`` per trace, until the trace is complete or
``timeout`` seconds have passed since it was accepted (then: incomplete if it was seen short, missing if never
seen, unknown if the read API only ever failed). A 429 pauses every look-up for its ``Retry-After`` (or the
current backoff) and never counts as loss.

Stop: :meth:`finish` waits at most its bound for pending look-ups, then counts the rest ``pending_at_stop``.
A new test (:meth:`new_test`, the web UI's new run) drops pending look-ups of the old test unrecorded.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
from gevent.pool import Pool

from otel_locust.encoding.instrument import EncodedTrace
from otel_locust.export.accounting import TraceTicket
from otel_locust.export.readback.base import Lookup, Probe, ReadClient, State
from otel_locust.export.readback.stats import ReadbackStats

logger = logging.getLogger("otel_locust")


class ReadbackError(Exception):
    """A trace the backend did not show whole: missing, or incomplete (fewer spans, truncated attribute)."""


@dataclass(frozen=True)
class Pacing:
    """How hard to poll one backend."""

    concurrency: int = 8
    min_interval: float = 0.25
    max_interval: float = 2.0


@dataclass(eq=False)
class _Job:
    """One sampled trace being polled (hashed by identity)."""

    probe: Probe
    scenario: str
    origin: str
    accepted: float
    deadline: float
    generation: int
    attempt: int = 0
    seen: str = ""  # the last definitive answer: "", "missing" or "short" (fewer spans than sent)
    spans_seen: int = 0


class ReadbackPoller:
    """Samples accepted traces and polls a :class:`ReadClient` for them; results go to ``stats`` and ``fire``."""

    def __init__(
        self,
        client: ReadClient,
        stats: ReadbackStats,
        fire: Callable[..., Any],
        sample: float,
        timeout: float,
        pacing: Pacing | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.stats = stats
        self._fire = fire
        self.sample = sample
        self.timeout = timeout
        self.pacing = pacing or Pacing()
        self._rng = rng or random.Random()
        self._expected: dict[bytes, Probe] = {}
        self._heap: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._wake = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._idle.set()
        self._running: set[_Job] = set()
        self._paused_until = 0.0
        self.generation = 0
        self._pool = Pool(self.pacing.concurrency)
        self._scheduler: gevent.Greenlet | None = None

    # -- feeding --------------------------------------------------------------------------------------------

    def expect(self, encoded: EncodedTrace, spans: int) -> None:
        """A trace about to be exported: sample it, and keep what read-back compares (ids, span count, probe)."""
        if self.sample < 1.0 and self._rng.random() >= self.sample:
            return
        length, crc = encoded.probe_crc32()
        self._expected[encoded.trace_id] = Probe(encoded.trace_id.hex(), spans, encoded.probe_span.hex(), length, crc)

    def on_done(self, ticket: TraceTicket) -> None:
        """A trace settled (``Runtime.on_trace_done``): delivered and unconfirmed sampled traces are polled."""
        probe = self._expected.pop(ticket.trace_id, None)
        if probe is None or ticket.outcome not in ("delivered", "unconfirmed"):
            return
        now = time.time()
        self._push(_Job(probe, ticket.scenario, ticket.outcome, now, now + self.timeout, self.generation), now)

    def _push(self, job: _Job, due: float) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), job))
        self._idle.clear()
        self._wake.set()
        if self._scheduler is None or self._scheduler.dead:
            self._scheduler = gevent.spawn(self._schedule)

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._running)

    # -- polling --------------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        while True:
            if not self._heap:
                if not self._running:
                    self._idle.set()
                self._wake.clear()
                self._wake.wait()
                continue
            now = time.time()
            due = max(self._heap[0][0], self._paused_until)
            if due > now:
                self._wake.clear()
                self._wake.wait(due - now)
                continue
            job = heapq.heappop(self._heap)[2]
            self._running.add(job)
            self._pool.spawn(self._check, job)  # blocks while `concurrency` look-ups are in flight

    def _check(self, job: _Job) -> None:
        try:
            started = time.time()
            answer = self.client.lookup(job.probe)
            if job.generation == self.generation:
                self._judge(job, answer, started)
        finally:
            self._running.discard(job)
            if not self._heap and not self._running:
                self._idle.set()
            self._wake.set()

    def _judge(self, job: _Job, answer: Lookup, started: float) -> None:
        probe = job.probe
        if answer.state is State.FOUND:
            job.spans_seen = answer.spans
            if answer.spans >= probe.spans:
                truncated = probe.span_id and answer.probe_crc is not None and answer.probe_crc != probe.crc
                if truncated:
                    self._finish(
                        job,
                        "incomplete",
                        f"incomplete: {probe.span_id}'s {probe.length}-byte "
                        "gen_ai.input.messages came back different (truncated?)",
                    )
                else:
                    self._finish(job, "complete", latency=started - job.accepted)
                return
            job.seen = "short"
        elif answer.state is State.MISSING:
            job.seen = job.seen or "missing"
        elif answer.state is State.THROTTLED:
            self.stats.count(job.scenario, "throttled")
            self._paused_until = max(self._paused_until, time.time() + (answer.retry_after or self._backoff(job)))
        else:
            self.stats.count(job.scenario, "read_errors")
        self._again(job)

    def _backoff(self, job: _Job) -> float:
        return min(self.pacing.max_interval, self.pacing.min_interval * 1.5**job.attempt)

    def _again(self, job: _Job) -> None:
        now = time.time()
        if now >= job.deadline:
            self._expire(job)
            return
        due = min(now + self._backoff(job), job.deadline)
        job.attempt += 1
        self._push(job, due)

    def _expire(self, job: _Job) -> None:
        if job.seen == "short":
            self._finish(
                job,
                "incomplete",
                f"incomplete: {job.spans_seen} of {job.probe.spans} spans visible after {self.timeout:g} s",
            )
        elif job.seen == "missing":
            self._finish(job, "missing", f"missing: not visible {self.timeout:g} s after it was accepted")
        else:
            self.stats.record(job.scenario, job.origin, "unknown")

    def _finish(self, job: _Job, verdict: str, message: str = "", latency: float | None = None) -> None:
        latency_ms = None if latency is None else max(0.0, latency * 1000)
        self.stats.record(job.scenario, job.origin, verdict, latency_ms)
        self._fire(
            request_type="READBACK",
            name=job.scenario,
            start_time=job.accepted,
            response_time=latency_ms if latency_ms is not None else (time.time() - job.accepted) * 1000,
            response_length=job.spans_seen or job.probe.spans,
            exception=ReadbackError(message) if message else None,
            context={"trace_id": job.probe.trace_id, "origin": job.origin},
        )

    # -- stopping -------------------------------------------------------------------------------------------

    def finish(self, wait: float) -> int:
        """End of the run: wait up to ``wait`` s for pending look-ups; count what is left ``pending_at_stop``.
        Returns how many were left."""
        if self.pending:
            self._idle.wait(wait)
        left = [
            job for job in [*(entry[2] for entry in self._heap), *self._running] if job.generation == self.generation
        ]
        self._heap.clear()
        self.generation += 1  # answers still on their way are ignored
        self._pool.kill(block=True, timeout=2)
        self._running.clear()
        for job in left:
            self.stats.record(job.scenario, job.origin, "pending_at_stop")
        self._expected.clear()
        if left:
            logger.warning(
                "otel-locust: %d read-back(s) still pending at stop: counted pending_at_stop, not missing", len(left)
            )
        return len(left)

    def new_test(self) -> None:
        """A new test in the same process: look-ups of the old test are dropped, unrecorded."""
        self.generation += 1
        self._heap.clear()
        self._expected.clear()
        self._paused_until = 0.0
        self._wake.set()

    def close(self) -> None:
        self.new_test()
        if self._scheduler is not None:
            self._scheduler.kill(block=False)
        self._pool.kill(block=False)
