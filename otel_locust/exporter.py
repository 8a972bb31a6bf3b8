"""Export: ship a trace's OTLP requests and report each one to Locust as a request event.

Every request fires one event, covering all its attempts: ``request_type="OTLP"``, ``name=<scenario>``,
``response_time`` (from the first attempt to the final answer, backoff included, in ms), ``response_length``
(bytes of one attempt on the wire) and ``exception`` when the receiver finally rejected it or never answered.
Retries are counted in :class:`~otel_locust.stats.TraceStats`, not as Locust failures, so a run whose traces
all arrived after throttling passes Locust's own exit-code rule. Each trace then ends in exactly one outcome.

Exports run in their own greenlets, tracked in a group, and the user waits for them. When Locust stops a test
it kills user greenlets; the exports they were waiting on keep going and are drained in ``test_stop``, so a
trace in flight is delivered, failed, or (if the drain times out) counted as dropped, never silently lost.
"""

from __future__ import annotations

from locust.event import EventHook

import gzip
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import gevent
from gevent.pool import Group
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL

from otel_locust import otlp
from otel_locust.instrument import OtlpRequest
from otel_locust.retry import RetryPolicy, parse_retry_after
from otel_locust.stats import TraceStats


class ExportError(Exception):
    """The receiver answered with a non-success status, or rejected part of a request."""


@dataclass(slots=True)
class Answer:
    """What one attempt got back."""

    status: int | None
    body: bytes = b""
    retry_after: str | None = None
    error: BaseException | None = None
    rejected: int = 0  # partial_success.rejected_spans of a 2xx answer


class OtlpHttpClient:
    """One keep-alive connection to an OTLP/HTTP receiver (one per Locust user, as one per agent process)."""

    def __init__(self, url: str, headers: dict[str, str], compression: str, timeout: float) -> None:
        parsed = URL(url)
        self._client = HTTPClient.from_url(parsed, concurrency=1, connection_timeout=timeout,
                                           network_timeout=timeout)
        self._path = parsed.request_uri
        self._gzip = compression == "gzip"
        self._headers = {"Content-Type": "application/x-protobuf", **headers}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"

    def wire(self, body: bytes) -> bytes:
        """The bytes actually sent for ``body``."""
        return gzip.compress(body, compresslevel=1) if self._gzip else body

    def post(self, wire: bytes) -> Answer:
        response = self._client.request("POST", self._path, body=wire, headers=self._headers)
        try:
            retry_after = response.get("retry-after")
            return Answer(response.status_code, response.read(), retry_after if isinstance(retry_after, str) else None)
        finally:
            response.release()

    def close(self) -> None:
        self._client.close()


class ConsoleClient:
    """Stands in for a receiver with ``--otel-platform console``: every request succeeds (the runtime prints the
    trace tree, which it still has; the encoded body no longer says what the tree was)."""

    def wire(self, body: bytes) -> bytes:
        return body

    def post(self, wire: bytes) -> Answer:
        return Answer(200)

    def close(self) -> None:
        """Nothing to release."""


Client = OtlpHttpClient | ConsoleClient


class TraceExporter:
    """Per-process export machinery: the request event, retries, accounting and the in-flight exports."""

    def __init__(self, request_event: EventHook, stats: TraceStats) -> None:
        self._request_event = request_event
        self._stats = stats
        self.policy = RetryPolicy()
        self.request_limit = 0  # the platform's limit, for the 413 message
        self.in_flight = Group()
        self._rng = random.Random()

    def submit(self, client: Client, scenario: str, requests: Sequence[OtlpRequest]) -> gevent.Greenlet:
        """Start sending one trace's requests in a tracked greenlet; the caller joins it."""
        return self.in_flight.spawn(self._ship, client, scenario, requests)

    def drain(self, timeout: float) -> int:
        """Let in-flight exports finish for up to ``timeout`` s; the rest are killed and count as dropped."""
        self.in_flight.join(timeout=timeout)
        left = len(self.in_flight)
        self.in_flight.kill(block=True, timeout=1)
        return left

    def _ship(self, client: Client, scenario: str, requests: Sequence[OtlpRequest]) -> None:
        settled = delivered = 0
        outcome = "delivered"
        try:
            for request in requests:
                ok_spans = self._deliver(client, scenario, request)
                settled += request.spans
                delivered += ok_spans
                if ok_spans < request.spans:
                    outcome = "failed"
        except gevent.GreenletExit:
            outcome = "dropped"
            raise
        finally:
            unsent = sum(r.spans for r in requests) - settled
            self._stats.finished(scenario, outcome, delivered, settled - delivered, unsent)

    def _deliver(self, client: Client, scenario: str, request: OtlpRequest) -> int:
        """Send ``request`` (splitting it on 413); returns how many of its spans the receiver accepted."""
        answer = self._send(client, scenario, request)
        if answer.status == 413 and request.spans > 1:
            return sum(self._deliver(client, scenario, half) for half in request.halves())
        if answer.error is None and answer.status is not None and 200 <= answer.status < 300:
            return request.spans - answer.rejected
        return 0

    def _send(self, client: Client, scenario: str, request: OtlpRequest) -> Answer:
        """One request event covering every attempt of ``request``."""
        wire = client.wire(request.body)
        start, t0 = time.time(), time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            answer = self._attempt(client, wire)
            if not self.policy.should_retry(answer.status, answer.error) or attempt >= self.policy.max_attempts:
                break
            delay = self.policy.delay(attempt, parse_retry_after(answer.retry_after), self._rng)
            if time.perf_counter() + delay - t0 > self.policy.max_elapsed:
                break
            gevent.sleep(delay)
        if answer.status is not None and 200 <= answer.status < 300:
            answer.rejected = otlp.rejected_spans(answer.body)
        exception = answer.error or self._rejection(answer, len(wire), request.spans)
        self._stats.request(scenario, len(wire) * attempt, exception is None, retries=attempt - 1)
        self._request_event.fire(request_type="OTLP", name=scenario, start_time=start,
                                 response_time=(time.perf_counter() - t0) * 1000, response_length=len(wire),
                                 response=answer.body, exception=exception,
                                 context={"spans": request.spans, "attempts": attempt})
        return answer

    @staticmethod
    def _attempt(client: Client, wire: bytes) -> Answer:
        try:
            return client.post(wire)
        except gevent.GreenletExit:
            raise
        except Exception as exc:
            return Answer(None, error=exc)

    def _rejection(self, answer: Answer, size: int, spans: int) -> Exception | None:
        status = answer.status or 0
        if 200 <= status < 300:
            return ExportError(f"partial success: {answer.rejected} of {spans} spans rejected: "
                               f"{_excerpt(answer.body)}") if answer.rejected else None
        if status == 413:
            limit = f"{self.request_limit} bytes" if self.request_limit else "not documented; see --otel-max-request-mb"
            then = "resent in two halves" if spans > 1 else "a single span cannot be split"
            return ExportError(f"HTTP 413: request of {size} bytes refused (platform limit: {limit}); {then}")
        return ExportError(f"HTTP {status}: {_excerpt(answer.body)}")


def _excerpt(body: bytes | None, limit: int = 120) -> str:
    text = (body or b"").decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:limit] or "(empty body)"
