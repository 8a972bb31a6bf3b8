"""A capturing OTLP/HTTP receiver: keeps every request body for inspection (tests, ``benchmarks/shapes.py``).

Unlike the sink it verifies nothing and keeps everything in memory: use it for bounded runs only. It decodes
with the official ``opentelemetry-proto`` classes, independently of the plugin's encoder.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def decode_spans(body: bytes) -> list[Any]:
    """All spans of one OTLP request body."""
    request = ExportTraceServiceRequest.FromString(body)
    return [span for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


class CaptureReceiver(ThreadingHTTPServer):
    """Serves on 127.0.0.1 (a free port) in a background thread; answers every POST with 200."""

    daemon_threads = True

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.arrivals: list[float] = []  # time.time() when each body arrived
        self.headers_seen: list[dict[str, str]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _CaptureHandler)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def keep(self, body: bytes, headers: dict[str, str]) -> None:
        """Store one received body (a subclass may measure it and drop it instead, for long runs)."""
        with self.lock:
            self.arrivals.append(time.time())
            self.bodies.append(body)
            self.headers_seen.append(headers)

    def traces(self) -> dict[bytes, list[Any]]:
        """Spans grouped by trace id, over every body received."""
        grouped: dict[bytes, list[Any]] = defaultdict(list)
        for body in self.bodies:
            for span in decode_spans(body):
                grouped[span.trace_id].append(span)
        return grouped


class _CaptureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CaptureReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.keep(body, dict(self.headers.items()))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""
