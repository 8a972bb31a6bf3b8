"""The sink's logs path: OTLP/HTTP protobuf on ``/v1/logs`` (profiles that put message content in log records).

Counts what arrived and checks each record is linked to a span: a 16-byte trace id and an 8-byte span id, both
non-zero (log records that carry content belong to a model call). Bodies are read and decompressed by the
traces handler's own ``_read_body`` (the same limits and errors); injected faults apply to traces only.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

LOGS_PATH = "/v1/logs"
_ZERO_TRACE, _ZERO_SPAN = bytes(16), bytes(8)


class _Handler(Protocol):
    def _read_body(self) -> bytes | None: ...

    def _fail(self, status: int, message: str, unread: int = 0) -> None: ...

    def _reply(self, status: int, body: bytes = b"", content_type: str = ...) -> None: ...


class LogVerifier:
    """Counts log requests and records, and records without a valid trace/span link. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.counts = {
                "requests": 0,
                "records_received": 0,
                "records_linked": 0,
                "records_unlinked": 0,
                "traces_with_logs": 0,
            }
            self._traces: set[bytes] = set()

    def ingest(self, request: ExportLogsServiceRequest) -> int:
        """Account one decoded request; returns its record count."""
        records = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
        linked = [
            r
            for r in records
            if len(r.trace_id) == 16 and r.trace_id != _ZERO_TRACE and len(r.span_id) == 8 and r.span_id != _ZERO_SPAN
        ]
        with self._lock:
            counts = self.counts
            counts["requests"] += 1
            counts["records_received"] += len(records)
            counts["records_linked"] += len(linked)
            counts["records_unlinked"] += len(records) - len(linked)
            if len(self._traces) < 1_000_000:  # bounded: a count of distinct traces, not a store
                self._traces.update(r.trace_id for r in linked)
            counts["traces_with_logs"] = len(self._traces)
        return len(records)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.counts)


def handle(handler: _Handler, verifier: LogVerifier) -> None:
    """Serve one ``POST /v1/logs``: decode, count, answer with an empty ExportLogsServiceResponse (full success)."""
    body = handler._read_body()
    if body is None:
        return
    try:
        request = ExportLogsServiceRequest.FromString(body)
    except DecodeError as exc:
        handler._fail(400, f"malformed protobuf: {exc}")
        return
    verifier.ingest(request)
    handler._reply(200)
