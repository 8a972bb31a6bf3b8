"""Export: ship OTLP requests over a transport, retry by the rules, account every span, report to Locust.

Every request fires one event through ``fire`` (Locust's ``request`` event), covering all its attempts:
``request_type="OTLP"``, ``name`` = the scenario of its spans (``batch`` when it carries several scenarios),
``response_time`` (first attempt to final answer, backoff included, in ms), ``response_length`` (bytes of one
attempt on the wire) and ``exception`` when the receiver finally refused it or never answered. Retries are
counted in :class:`~otel_locust.export.accounting.TraceStats`, not as Locust failures.

A :class:`Shipment` is one request body plus the share of each trace it carries (:class:`Portion`), so the same
code settles one-request-per-trace exports, traces split to fit a size limit, and batches that mix traces.

Log records (profiles that put content in logs) go to the logs path over their own transport as a
:class:`LogShipment`, with the same retry rules; each request fires ``request_type="OTLP-LOGS"`` and is counted
in the log records' own account (``TraceStats.logs``). They never change a trace's outcome.

Exports run in greenlets tracked in a group. At the end of a test they are drained; what is still in flight when
the drain times out is settled then: spans already on the wire are ``unconfirmed``, spans not yet sent are
``dropped`` with reason ``stop``. Nothing is lost without being counted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gevent
from gevent.pool import Group

from otel_locust.encoding.instrument import OtlpRequest
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.retry import RetryPolicy
from otel_locust.export.transport import Reply, Transport, Verdict

BATCH_NAME = "batch"
LOGS_REQUEST_TYPE = "OTLP-LOGS"


class ExportError(Exception):
    """The receiver refused a request, rejected part of it, or never answered."""


@dataclass(slots=True)
class Portion:
    """The spans of one trace inside one request: how many, and how many encoded bytes they take."""

    ticket: TraceTicket
    spans: int
    nbytes: int


@dataclass(slots=True)
class Shipment:
    """One request body and the traces it carries, portions in the order of its spans."""

    request: OtlpRequest
    portions: list[Portion]

    @property
    def name(self) -> str:
        scenarios = {p.ticket.scenario for p in self.portions}
        return scenarios.pop() if len(scenarios) == 1 else BATCH_NAME

    def halves(self) -> list[Shipment]:
        """Two shipments with half the spans each (empty for a single span): portions split at the same span."""
        halves = self.request.halves()
        if not halves:
            return []
        first, second, cut = [], [], halves[0].spans
        for portion in self.portions:
            if cut >= portion.spans:
                first.append(portion)
            elif cut <= 0:
                second.append(portion)
            else:
                share = portion.nbytes * cut // portion.spans
                first.append(Portion(portion.ticket, cut, share))
                second.append(Portion(portion.ticket, portion.spans - cut, portion.nbytes - share))
            cut -= portion.spans
        return [Shipment(halves[0], first), Shipment(halves[1], second)]


@dataclass(slots=True)
class LogShipment:
    """One ExportLogsServiceRequest: its body, how many records, and how to rebuild a body from some of them
    (``envelope``, e.g. ``Instrumentation.log_request``) when the receiver asks for smaller requests."""

    body: bytes
    records: int
    name: str
    envelope: Callable[[list[bytes]], bytes]

    def halves(self) -> list[LogShipment]:
        from otel_locust.encoding.logs import split_records

        if self.records < 2:
            return []
        records = split_records(self.body)
        middle = len(records) // 2
        return [
            LogShipment(self.envelope(part), len(part), self.name, self.envelope)
            for part in (records[:middle], records[middle:])
        ]


class Exporter:
    """Per-process export machinery: retries, splitting, accounting, request events and the in-flight exports."""

    def __init__(
        self,
        fire: Callable[..., Any],
        stats: TraceStats,
        transport: Transport,
        policy: RetryPolicy | None = None,
        request_limit: int = 0,
        logs_transport: Transport | None = None,
    ) -> None:
        self._fire = fire
        self._stats = stats
        self.transport = transport
        self.logs_transport = logs_transport  #: None: log records are not sent (nor counted)
        self.policy = policy or RetryPolicy()
        self.request_limit = request_limit  # the platform's limit, for the 413 message
        self.in_flight = Group()
        self._rng = random.Random()

    def submit(self, shipments: Sequence[Shipment]) -> gevent.Greenlet:
        """Start sending ``shipments`` one after another in a tracked greenlet."""
        return self.in_flight.spawn(self._ship, shipments)

    def close(self) -> None:
        self.transport.close()
        if self.logs_transport is not None:
            self.logs_transport.close()

    def drain(self, timeout: float) -> int:
        """Let in-flight exports finish for up to ``timeout`` s; the rest are killed and settled. Returns how many
        exports were cut short."""
        try:
            self.in_flight.join(timeout=timeout)
        finally:  # also when the wait is interrupted (a second Ctrl-C): what is cut short is settled, not lost
            left = len(self.in_flight)
            self.in_flight.kill(block=True, timeout=2)
        return left

    def _ship(self, shipments: Sequence[Shipment]) -> None:
        current = 0
        state = _InPost()
        try:
            for current, shipment in enumerate(shipments):  # noqa: B007 - read in the except clause
                self._deliver(shipment, state)
        except _STOPS:
            for index, shipment in enumerate(shipments[current:]):
                on_wire = index == 0 and state.posting
                for portion in shipment.portions:
                    portion.ticket.settle(
                        "unconfirmed" if on_wire else "dropped", portion.spans, "" if on_wire else "stop"
                    )
            raise

    def ship_logs(self, logs: LogShipment) -> gevent.Greenlet:
        """Start sending a batch of log records (already accounted as generated) in a tracked greenlet."""
        assert self.logs_transport is not None, "log records are batched only when the platform ingests them"
        return self.in_flight.spawn(self._ship_logs, logs)

    def _ship_logs(self, logs: LogShipment) -> None:
        """Send one batch's log records; a kill leaves what is on the wire unconfirmed."""
        state, settled = _InPost(), [0]
        try:
            self._deliver_logs(logs, state, settled)
        except _STOPS:
            left = logs.records - settled[0]
            self._stats.logs_settled(
                "unconfirmed" if state.posting else "dropped", left, "" if state.posting else "stop"
            )
            raise

    def _deliver_logs(self, logs: LogShipment, state: _InPost, settled: list[int]) -> None:
        assert self.logs_transport is not None
        wire = self.logs_transport.wire(logs.body)
        start, t0 = time.time(), time.perf_counter()
        reply, attempt = self._attempts(self.logs_transport, wire, state)
        if reply.verdict is Verdict.TOO_LARGE and logs.records > 1:
            self._stats.logs_request(len(wire) * attempt, False, attempt - 1)
            for half in logs.halves():
                self._deliver_logs(half, state, settled)
            return
        exception = self._exception(reply, len(wire), logs.records, "log records")
        self._stats.logs_request(len(wire) * attempt, exception is None, attempt - 1)
        self._fire(
            request_type=LOGS_REQUEST_TYPE,
            name=logs.name,
            start_time=start,
            response_time=(time.perf_counter() - t0) * 1000,
            response_length=len(wire),
            response=reply.body,
            exception=exception,
            context={"records": logs.records, "attempts": attempt},
        )
        if reply.verdict is Verdict.OK:
            lost = min(reply.rejected, logs.records)
            self._stats.logs_settled("failed", lost, "partial_success")
            self._stats.logs_settled("delivered", logs.records - lost)
        else:
            outcome, reason = _OUTCOME.get(reply.verdict, ("failed", "refused"))
            self._stats.logs_settled(outcome, logs.records, reason)
        settled[0] += logs.records

    def _deliver(self, shipment: Shipment, state: _InPost) -> None:
        """Send ``shipment`` (splitting it when it is too large) and settle its spans."""
        reply = self._send(shipment, state)
        if reply.verdict is Verdict.TOO_LARGE and shipment.request.spans > 1:
            for half in shipment.halves():
                self._deliver(half, state)
            return
        if reply.verdict is Verdict.OK:
            _settle_accepted(shipment.portions, reply.rejected)
            return
        outcome, reason = _OUTCOME.get(reply.verdict, ("failed", "refused"))
        for portion in shipment.portions:
            portion.ticket.settle(outcome, portion.spans, reason)

    def _attempts(self, transport: Transport, wire: bytes, state: _InPost) -> tuple[Reply, int]:
        """Post ``wire`` until it is answered for good or the retry policy gives up: (last reply, attempts)."""
        t0 = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            state.posting = True
            reply = transport.post(wire)
            state.posting = False
            if reply.verdict is not Verdict.RETRY or attempt >= self.policy.max_attempts:
                return reply, attempt
            delay = self.policy.delay(attempt, reply.retry_after, self._rng)
            if time.perf_counter() + delay - t0 > self.policy.max_elapsed:
                return reply, attempt
            gevent.sleep(delay)

    def _send(self, shipment: Shipment, state: _InPost) -> Reply:
        """One request event covering every attempt of ``shipment``."""
        wire = self.transport.wire(shipment.request.body)
        start, t0 = time.time(), time.perf_counter()
        reply, attempt = self._attempts(self.transport, wire, state)
        exception = self._exception(reply, len(wire), shipment.request.spans)
        self._stats.request(_byte_shares(shipment.portions, len(wire) * attempt), exception is None, attempt - 1)
        self._fire(
            request_type="OTLP",
            name=shipment.name,
            start_time=start,
            response_time=(time.perf_counter() - t0) * 1000,
            response_length=len(wire),
            response=reply.body,
            exception=exception,
            context={"spans": shipment.request.spans, "attempts": attempt},
        )
        return reply

    def _exception(self, reply: Reply, size: int, spans: int, what: str = "spans") -> Exception | None:
        if reply.verdict is Verdict.OK:
            if not reply.rejected:
                return None
            return ExportError(f"partial success: {reply.rejected} of {spans} {what} rejected")
        if reply.verdict is Verdict.TOO_LARGE:
            limit = f"{self.request_limit} bytes" if self.request_limit else "not documented; see --otel-max-request-mb"
            then = "resent in two halves" if spans > 1 else "a single span cannot be split: failed (too_large)"
            label = reply.message.partition(":")[0] or "too large"
            return ExportError(f"{label}: request of {size} bytes refused (platform limit: {limit}); {then}")
        return ExportError(reply.message or reply.verdict.value)


#: what ends an export before its answer: a kill at the end of a drain, or an interrupt raised in the export's
#: greenlet (the plugin routes Ctrl-C to the main greenlet; a locustfile's own signal handling may not)
_STOPS = (gevent.GreenletExit, KeyboardInterrupt, SystemExit)

_OUTCOME = {
    Verdict.UNCONFIRMED: ("unconfirmed", ""),
    Verdict.TOO_LARGE: ("failed", "too_large"),
    Verdict.RETRY: ("failed", "retries_exhausted"),
}


class _InPost:
    """Whether a shipment's request is on the wire right now (a kill then leaves it unconfirmed, not dropped)."""

    __slots__ = ("posting",)

    def __init__(self) -> None:
        self.posting = False


def _settle_accepted(portions: list[Portion], rejected: int) -> None:
    """An accepted request: its spans are delivered, except ``rejected`` ones. partial_success does not say whose
    spans were rejected: they are taken from the portions in order, and every trace in the request counts failed."""
    if rejected:
        for portion in portions:
            portion.ticket.taint("failed", "partial_success")
    for portion in portions:
        lost = min(rejected, portion.spans)
        rejected -= lost
        portion.ticket.settle("failed", lost, "partial_success")
        portion.ticket.settle("delivered", portion.spans - lost)


def _byte_shares(portions: list[Portion], wire_bytes: int) -> dict[str, int]:
    """Bytes on the wire per scenario, shared by the encoded bytes of each scenario's spans."""
    total = sum(p.nbytes for p in portions) or 1
    shares: dict[str, int] = {}
    given = 0
    for portion in portions:
        share = wire_bytes * portion.nbytes // total
        shares[portion.ticket.scenario] = shares.get(portion.ticket.scenario, 0) + share
        given += share
    last = portions[-1].ticket.scenario
    shares[last] += wire_bytes - given  # rounding: the shares add up to what went on the wire
    return shares
