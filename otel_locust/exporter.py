"""Export: ship a trace's OTLP requests and report each one to Locust as a request event.

Every request fires ``request_type="OTLP"``, ``name=<scenario>``, ``response_time`` (the round trip in ms),
``response_length`` (bytes on the wire) and ``exception`` when the receiver rejected it or never answered. Each
trace then ends in exactly one outcome in :class:`~otel_locust.stats.TraceStats`.

Exports run in their own greenlets, tracked in a group, and the user waits for them. When Locust stops a test
it kills user greenlets; the exports they were waiting on keep going and are drained in ``test_stop``, so a
trace in flight is delivered, failed, or (if the drain times out) counted as dropped, never silently lost.
"""

from __future__ import annotations

from locust.event import EventHook

import gzip
import time
from collections.abc import Callable, Sequence

import gevent
from gevent.pool import Group
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL

from otel_locust.stats import TraceStats


class ExportError(Exception):
    """The receiver answered with a non-success status."""


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

    def post(self, wire: bytes) -> tuple[int, bytes]:
        response = self._client.request("POST", self._path, body=wire, headers=self._headers)
        try:
            return response.status_code, response.read()
        finally:
            response.release()

    def close(self) -> None:
        self._client.close()


class ConsoleClient:
    """Writes each trace to stdout instead of a network receiver (``--otel-platform console``)."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write

    def wire(self, body: bytes) -> bytes:
        return body

    def post(self, wire: bytes) -> tuple[int, bytes]:
        return 200, b""

    def close(self) -> None:
        """Nothing to release."""


Client = OtlpHttpClient | ConsoleClient


class TraceExporter:
    """Per-process export machinery: the request event, the accounting and the in-flight exports."""

    def __init__(self, request_event: EventHook, stats: TraceStats) -> None:
        self._request_event = request_event
        self._stats = stats
        self.in_flight = Group()

    def submit(self, client: Client, scenario: str, bodies: Sequence[tuple[bytes, int]]) -> gevent.Greenlet:
        """Start sending one trace's requests in a tracked greenlet; the caller joins it."""
        return self.in_flight.spawn(self._ship, client, scenario, bodies)

    def drain(self, timeout: float) -> int:
        """Let in-flight exports finish for up to ``timeout`` s; the rest are killed and count as dropped."""
        self.in_flight.join(timeout=timeout)
        left = len(self.in_flight)
        self.in_flight.kill(block=True, timeout=1)
        return left

    def _ship(self, client: Client, scenario: str, bodies: Sequence[tuple[bytes, int]]) -> None:
        sent = delivered = failed_spans = 0
        outcome = "delivered"
        try:
            for body, spans in bodies:
                ok = self._send(client, scenario, body, spans)
                sent += spans
                if ok:
                    delivered += spans
                else:
                    failed_spans += spans
                    outcome = "failed"
        except gevent.GreenletExit:
            outcome = "dropped"
            raise
        finally:
            unsent = sum(spans for _, spans in bodies) - sent
            self._stats.finished(scenario, outcome, delivered, failed_spans, unsent)

    def _send(self, client: Client, scenario: str, body: bytes, spans: int) -> bool:
        wire = client.wire(body)
        start = time.time()
        t0 = time.perf_counter()
        response: bytes | None = None
        exception: Exception | None = None
        try:
            status, response = client.post(wire)
            if not 200 <= status < 300:
                exception = ExportError(f"HTTP {status}: {_excerpt(response)}")
        except gevent.GreenletExit:
            raise
        except Exception as exc:
            exception = exc
        elapsed_ms = (time.perf_counter() - t0) * 1000
        self._stats.request(scenario, len(wire), exception is None)
        self._request_event.fire(request_type="OTLP", name=scenario, start_time=start, response_time=elapsed_ms,
                                 response_length=len(wire), response=response, exception=exception,
                                 context={"spans": spans})
        return exception is None


def _excerpt(body: bytes | None, limit: int = 120) -> str:
    text = (body or b"").decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:limit] or "(empty body)"
