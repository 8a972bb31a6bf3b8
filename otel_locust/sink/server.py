"""The sink: an OTLP/HTTP trace receiver that decodes every request and checks each trace arrived whole.

A trace is *complete* when the number of spans received equals ``otel_locust.trace.span_count`` on its root,
it has exactly one root, and every parent id resolves inside the trace. Spans of one trace may arrive over
several requests in any order (split exports, SDK-style batches that mix traces, children before parents, root
last); partial traces wait in memory (bounded) until their last span arrives.

Reassembly report (in ``/stats``): ``traces_whole`` arrived complete in one request, ``traces_reassembled``
complete from several requests, ``traces_child_first`` had a span arrive before its parent, ``traces_root_last``
got their root in their last request, ``traces_pending`` are still partial, ``traces_evicted`` were dropped
from the bounded pending set before completing.

Read-back: ``GET /traces/{32 hex}`` answers what arrived of one trace (spans, complete, first/last arrival,
and the CRC-32 of its largest ``gen_ai.input.messages`` value, which read-back compares with what was sent).
The sink keeps a bounded LRU record of recent traces for this (``--record-traces``, default 200,000; evictions
are ``records_evicted`` in ``/stats``); an evicted or unknown trace answers 404.

It runs in its own process (plain threads, no gevent): embedded, started by the plugin for ``--otel-platform
sink``, or standalone as ``otel-locust-sink``. ``GET /stats`` returns the counts as JSON. It takes OTLP/HTTP
protobuf and JSON (by Content-Type), and OTLP/gRPC with ``--grpc-port`` (:mod:`otel_locust.sink.grpc`); with
``--tls-cert``/``--tls-key`` both listeners serve TLS. With ``--parent-pid`` it exits when that process goes
away (the embedded sink never outlives Locust, even a SIGKILLed one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from otel_locust.encoding import otlp_json
from otel_locust.sink import logs
from otel_locust.sink.logs import LOGS_PATH

TRACES_PATH = "/v1/traces"
MAX_BODY_BYTES = 64_000_000  # 64 MB (10^6 bytes, as every MB in this project)
MAX_PENDING_TRACES = 100_000
RECORD_TRACES = 200_000  # traces remembered for GET /traces/{id} (LRU)
PROBE_KEY = "gen_ai.input.messages"  # read-back checks the largest value of this attribute per trace
DRAIN_LIMIT = 256 * 1024 * 1024  # read and discard up to this much of a refused body so the client sees the 413
PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")
JSON_TYPE = "application/json"


class _Pending:
    """What arrived of one trace so far; after it settles, the same object is its lookup record."""

    __slots__ = (
        "child_first",
        "expected",
        "first",
        "last",
        "parents",
        "probe",
        "received",
        "requests",
        "root_last",
        "roots",
        "scenario",
        "span_ids",
        "state",
    )

    def __init__(self, now: float) -> None:
        self.expected = 0
        self.received = 0
        self.span_ids: set[bytes] = set()
        self.parents: list[bytes] = []
        self.roots = 0
        self.scenario = ""
        self.first = self.last = now
        self.requests = 0
        self.child_first = False
        self.root_last = False
        self.probe: tuple[int, bytes, int] | None = None  # (length, span id, crc32) of the largest probe value
        self.state = "partial"

    def lookup(self, trace_id: bytes) -> dict[str, Any]:
        """The JSON answer of ``GET /traces/{id}``."""
        probe = None
        if self.probe is not None:
            length, span_id, crc = self.probe
            probe = {"key": PROBE_KEY, "span_id": span_id.hex(), "length": length, "crc32": crc}
        return {
            "trace_id": trace_id.hex(),
            "scenario": self.scenario,
            "spans": self.received,
            "expected": self.expected,
            "state": self.state,
            "complete": self.state == "complete",
            "requests": self.requests,
            "first_arrival": self.first,
            "last_arrival": self.last,
            "probe": probe,
        }


def _probe(span: Any) -> tuple[int, bytes, int] | None:
    """(length, span id, crc32) of a model span's input messages; None for other spans."""
    if not span.name.startswith("chat "):
        return None
    for attr in span.attributes:
        if attr.key == PROBE_KEY:
            raw = attr.value.string_value.encode()
            return len(raw), span.span_id, zlib.crc32(raw)
    return None


class TraceVerifier:
    """Counts what arrived and verifies completeness per trace. Thread-safe."""

    def __init__(self, record_traces: int = RECORD_TRACES) -> None:
        self._lock = threading.Lock()
        self.record_traces = record_traces
        self.reset()

    def reset(self) -> None:
        self._pending: OrderedDict[bytes, _Pending] = OrderedDict()
        self._records: OrderedDict[bytes, _Pending] = OrderedDict()  # settled traces, for look-ups (LRU)
        self.counts = {
            "requests": 0,
            "bytes_received": 0,
            "spans_received": 0,
            "traces_received": 0,
            "traces_complete": 0,
            "traces_broken": 0,
            "traces_evicted": 0,
            "orphan_spans": 0,
            "rejected_requests": 0,
            "traces_whole": 0,
            "traces_reassembled": 0,
            "traces_child_first": 0,
            "traces_root_last": 0,
            "records_evicted": 0,
            "spans_after_settled": 0,
        }
        self.scenarios: dict[str, dict[str, int]] = {}
        self.started = time.time()

    def ingest(self, request: ExportTraceServiceRequest, wire_bytes: int) -> int:
        """Account one decoded request; returns its span count."""
        groups: dict[bytes, list[Any]] = {}
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    tid = span.trace_id
                    group = groups.get(tid)
                    if group is None:
                        groups[tid] = [span]
                    else:
                        group.append(span)
        total = sum(len(g) for g in groups.values())
        with self._lock:
            counts = self.counts
            counts["requests"] += 1
            counts["bytes_received"] += wire_bytes
            counts["spans_received"] += total
            for tid, spans in groups.items():
                self._add(tid, spans)
        return total

    def _add(self, trace_id: bytes, spans: list[Any]) -> None:
        now = time.time()
        state = self._pending.get(trace_id)
        if state is None:
            late = self._records.get(trace_id)
            if late is not None:  # spans of a trace already settled (duplicates or more than it announced)
                late.received += len(spans)
                late.last = now
                self.counts["spans_after_settled"] += len(spans)
                return
            state = _Pending(now)
            self._pending[trace_id] = state
            self.counts["traces_received"] += 1
            if len(self._pending) > MAX_PENDING_TRACES:
                evicted_id, evicted = self._pending.popitem(last=False)
                self.counts["traces_evicted"] += 1
                evicted.state = "evicted"
                self._remember(evicted_id, evicted)
        state.requests += 1
        state.last = now
        ids, parents = state.span_ids, state.parents
        has_root = False
        for span in spans:
            parent = span.parent_span_id
            if parent:
                parents.append(parent)
                if parent not in ids and not state.child_first:
                    state.child_first = True
            else:
                has_root = True
                state.roots += 1
                for attr in span.attributes:
                    if attr.key == "otel_locust.trace.span_count":
                        state.expected = attr.value.int_value
                    elif attr.key == "otel_locust.scenario":
                        state.scenario = attr.value.string_value
            ids.add(span.span_id)
            probe = _probe(span)
            if probe is not None and (state.probe is None or probe[:2] > state.probe[:2]):
                state.probe = probe
        state.received += len(spans)
        if state.expected and state.received >= state.expected:
            state.root_last = has_root and state.requests > 1
            self._finish(trace_id, state)

    def _finish(self, trace_id: bytes, state: _Pending) -> None:
        del self._pending[trace_id]
        orphans = sum(1 for p in state.parents if p not in state.span_ids)
        whole = state.roots == 1 and orphans == 0 and state.received == state.expected == len(state.span_ids)
        counts = self.counts
        counts["orphan_spans"] += orphans
        counts["traces_complete" if whole else "traces_broken"] += 1
        if whole:
            counts["traces_whole" if state.requests == 1 else "traces_reassembled"] += 1
        counts["traces_child_first"] += state.child_first
        counts["traces_root_last"] += state.root_last
        entry = self.scenarios.setdefault(state.scenario or "(unknown)", {"traces_complete": 0, "spans": 0})
        entry["traces_complete"] += whole
        entry["spans"] += state.received
        state.state = "complete" if whole else "broken"
        self._remember(trace_id, state)

    def _remember(self, trace_id: bytes, state: _Pending) -> None:
        """Keep a settled (or evicted) trace's lookup record; its span ids are freed."""
        state.span_ids = set()
        state.parents = []
        self._records[trace_id] = state
        if len(self._records) > self.record_traces:
            self._records.popitem(last=False)
            self.counts["records_evicted"] += 1

    def lookup(self, trace_id: bytes) -> dict[str, Any] | None:
        """What arrived of one trace, or None when it never arrived (or its record was evicted)."""
        with self._lock:
            state = self._pending.get(trace_id) or self._records.get(trace_id)
            return None if state is None else state.lookup(trace_id)

    def reject(self) -> None:
        self.count("rejected_requests")

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """Counts as JSON-ready data; traces still waiting for spans are ``traces_pending``."""
        with self._lock:
            pending = len(self._pending)
            pending_orphans = sum(sum(1 for p in s.parents if p not in s.span_ids) for s in self._pending.values())
            child_first_pending = sum(s.child_first for s in self._pending.values())
            return {
                **self.counts,
                "traces_pending": pending,
                "orphan_spans_pending": pending_orphans,
                "traces_child_first_pending": child_first_pending,
                "traces_recorded": len(self._records),
                "scenarios": {k: dict(v) for k, v in self.scenarios.items()},
                "uptime_s": round(time.time() - self.started, 3),
            }


@dataclass
class Faults:
    """Injected receiver faults, to rehearse a failing backend (and to test the exporter's rules).

    Rates are per request, drawn from a seeded generator. The outage window counts seconds from the first
    trace request. Faulty requests are never ingested, so the sink's counts stay the truth of what was stored.
    """

    fail_rate: float = 0.0
    fail_status: int = 503
    retry_after: float | None = None
    latency_ms: float = 0.0
    outage: tuple[float, float] | None = None
    reset_rate: float = 0.0
    partial_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._first: float | None = None

    def decide(self) -> str:
        """``ok``, ``reset``, ``fail`` (fail_status), ``outage`` (503) or ``partial`` for the next request."""
        with self._lock:
            now = time.monotonic()
            if self._first is None:
                self._first = now
            if self.outage and self.outage[0] <= now - self._first < self.outage[1]:
                return "outage"
            draw = self._rng.random()
            for action, rate in (("reset", self.reset_rate), ("fail", self.fail_rate), ("partial", self.partial_rate)):
                if draw < rate:
                    return action
                draw -= rate
            return "ok"


class SinkHandler(BaseHTTPRequestHandler):
    """OTLP/HTTP protobuf on ``/v1/traces``; ``GET /stats``; ``GET /traces/{hex id}``; ``POST /reset``."""

    protocol_version = "HTTP/1.1"
    server: SinkServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: at hundreds of requests a second it would dominate the sink's CPU."""

    json_request = False  # this request is OTLP/JSON: answer in JSON

    def _reply(self, status: int, body: bytes = b"", content_type: str = "application/x-protobuf") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fail(self, status: int, message: str, unread: int = 0) -> None:
        """Refuse the request; ``unread`` body bytes are drained (bounded) so the client can read the answer."""
        self.server.verifier.reject()
        if unread:
            self.close_connection = True
            if unread <= DRAIN_LIMIT:
                while unread > 0:
                    chunk = self.rfile.read(min(unread, 1 << 20))
                    if not chunk:
                        break
                    unread -= len(chunk)
        self._reply(status, message.encode(), "text/plain")

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/stats":
            stats = {**self.server.verifier.snapshot(), "logs": self.server.logs.snapshot()}
            self._reply(200, json.dumps(stats).encode(), "application/json")
        elif path.startswith("/traces/"):
            self._trace(path[len("/traces/") :])
        else:
            self._reply(404, b"not found", "text/plain")

    def _trace(self, hex_id: str) -> None:
        try:
            trace_id = bytes.fromhex(hex_id)
        except ValueError:
            trace_id = b""
        if len(trace_id) != 16:
            self._reply(400, b"trace id must be 32 hex digits", "text/plain")
            return
        found = self.server.verifier.lookup(trace_id)
        if found is None:
            self._reply(404, b'{"error":"trace not found"}', "application/json")
        else:
            self._reply(200, json.dumps(found).encode(), "application/json")

    def do_POST(self) -> None:
        if self.path.rstrip("/") == "/reset":
            self.server.verifier.reset()
            self.server.logs.reset()
            self._reply(200, b"{}", "application/json")
            return
        if self.path.split("?")[0] == LOGS_PATH:
            logs.handle(self, self.server.logs)
            return
        if self.path.split("?")[0] != TRACES_PATH:
            self._reply(404, b"not found", "text/plain")
            return
        action = self.server.faults.decide()
        if self.server.faults.latency_ms:
            time.sleep(self.server.faults.latency_ms / 1000)
        if action == "reset":
            self._reset()
            return
        body = self._read_body()
        if body is None:
            return
        if action in ("fail", "outage"):
            self._inject(503 if action == "outage" else self.server.faults.fail_status)
            return
        try:
            request = decode_json(body) if self.json_request else ExportTraceServiceRequest.FromString(body)
        except (DecodeError, json_format.ParseError, ValueError) as exc:
            self._fail(400, f"malformed {'JSON' if self.json_request else 'protobuf'}: {exc}")
            return
        if action == "partial":
            self._partial(request)
            return
        self.server.verifier.ingest(request, int(self.headers.get("Content-Length", 0)))
        self._answer(ExportTraceServiceResponse())  # empty: full success

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no answer."""
        self.server.verifier.count("injected_resets")
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _inject(self, status: int) -> None:
        self.server.verifier.count("injected_failures")
        self.send_response(status)
        if self.server.faults.retry_after is not None:
            self.send_header("Retry-After", f"{self.server.faults.retry_after:g}")
        self.send_header("Content-Type", "text/plain")
        message = b"injected fault"
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    def _partial(self, request: ExportTraceServiceRequest) -> None:
        """Accept the request but reject every span in it, as a partial_success response."""
        spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        self.server.verifier.count("injected_partial")
        response = ExportTraceServiceResponse()
        response.partial_success.rejected_spans = spans
        response.partial_success.error_message = "injected partial rejection"
        self._answer(response)

    def _answer(self, response: ExportTraceServiceResponse) -> None:
        """A 200 with ``response`` in the request's encoding."""
        if self.json_request:
            self._reply(200, json_format.MessageToJson(response, indent=None).encode(), JSON_TYPE)
        else:
            self._reply(200, response.SerializeToString())

    def _read_body(self) -> bytes | None:
        """The decompressed body, or None after replying with the reason it was refused."""
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length = int(self.headers.get("Content-Length") or 0)
        self.json_request = content_type == JSON_TYPE
        if content_type not in PROTOBUF_TYPES and not self.json_request:
            self._fail(
                415, f"unsupported content type {content_type!r}; send application/x-protobuf or {JSON_TYPE}", length
            )
            return None
        limit = self.server.max_body
        if length > limit:
            self._fail(413, f"body of {length} bytes exceeds the limit of {limit} bytes", length)
            return None
        raw = self.rfile.read(length)
        encoding = self.headers.get("Content-Encoding", "identity").lower()
        if encoding == "identity":
            return raw
        if encoding not in ("gzip", "deflate"):
            self._fail(415, f"unsupported content encoding {encoding!r}")
            return None
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            self._fail(400, f"bad {encoding} body: {exc}")
            return None
        if len(body) > limit or inflater.unconsumed_tail:
            self._fail(413, f"{encoding} body inflates past the limit of {limit} bytes")
            return None
        return body


class SinkServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        host: str,
        port: int,
        max_body: int = MAX_BODY_BYTES,
        faults: Faults | None = None,
        record_traces: int = RECORD_TRACES,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.verifier = TraceVerifier(record_traces)
        self.logs = logs.LogVerifier()  # /v1/logs (sink/logs.py)
        self.max_body = max_body
        self.faults = faults or Faults()
        self.tls = tls
        super().__init__((host, port), SinkHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """With TLS, the handshake happens here, in the connection's thread (not in the accepting loop)."""
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                self.verifier.count("tls_handshake_failures")
                return
        super().finish_request(request, client_address)

    @property
    def url(self) -> str:
        host, port = cast("tuple[str, int]", self.server_address[:2])  # AF_INET/AF_INET6: the host is a str
        return f"{'https' if self.tls else 'http'}://{host}:{port}{TRACES_PATH}"


def decode_json(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/JSON request: hex ids made base64 for the proto3 JSON parser, unknown fields ignored (as the
    OTLP specification asks of receivers)."""
    document = json.loads(body)
    try:
        otlp_json.ids_to_base64(document)
    except (AttributeError, TypeError):
        raise ValueError("not an OTLP/JSON ExportTraceServiceRequest (an object of resourceSpans)") from None
    return json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context for ``--tls-cert``/``--tls-key`` (PEM files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _format(snapshot: dict[str, Any]) -> str:
    s = snapshot
    return (
        f"requests={s['requests']} spans={s['spans_received']} traces={s['traces_received']} "
        f"complete={s['traces_complete']} broken={s['traces_broken']} pending={s['traces_pending']} "
        f"orphans={s['orphan_spans']} rejected={s['rejected_requests']} MB={s['bytes_received'] / 1e6:.1f}"
    )


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _window(text: str) -> tuple[float, float]:
    start, sep, end = text.partition("-")
    try:
        window = (float(start), float(end))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not START-END in seconds") from None
    if not sep or window[0] >= window[1]:
        raise argparse.ArgumentTypeError(f"{text!r} is not START-END with START < END")
    return window


def _watch_parent(pid: int, interval: float = 0.5) -> None:
    """Exit the process as soon as ``pid`` is no longer our parent: Locust died (SIGKILL included) and nobody
    will ever stop us. Polling getppid() works wherever the parent dies, with no signal to miss."""
    while os.getppid() == pid:
        time.sleep(interval)
    print("otel-locust-sink: parent process gone, exiting", file=sys.stderr, flush=True)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    """``otel-locust-sink``: receive OTLP/HTTP traces, verify them, print what arrived."""
    parser = argparse.ArgumentParser(prog="otel-locust-sink", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4318, help="port to bind, 0 for any free port (default 4318)")
    parser.add_argument(
        "--max-body-mb",
        type=float,
        default=MAX_BODY_BYTES / 1e6,
        help="largest accepted body, after decompression (default 64)",
    )
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between progress lines; 0 for none")
    parser.add_argument("--json", action="store_true", help="print the final counts as JSON")
    parser.add_argument(
        "--record-traces",
        type=int,
        default=RECORD_TRACES,
        help="recent traces remembered for GET /traces/{id} (read-back), LRU (default 200000)",
    )
    parser.add_argument(
        "--parent-pid", type=int, default=0, help="exit when this process is gone (the embedded sink watches Locust)"
    )
    faults = parser.add_argument_group("fault injection (per request; faulty requests are not stored)")
    faults.add_argument("--fail-rate", type=_fraction, default=0.0, help="share of requests answered --fail-status")
    faults.add_argument("--fail-status", type=int, default=503, help="status of injected failures (default 503)")
    faults.add_argument("--retry-after", type=float, default=None, help="Retry-After seconds on injected failures")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="added delay before every answer")
    faults.add_argument(
        "--outage",
        type=_window,
        default=None,
        metavar="START-END",
        help="answer 503 to everything between START and END seconds after the first request",
    )
    faults.add_argument("--reset-rate", type=_fraction, default=0.0, help="share of connections reset, no answer")
    faults.add_argument(
        "--partial-rate",
        type=_fraction,
        default=0.0,
        help="share of requests answered 200 with partial_success rejecting all their spans",
    )
    faults.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")
    parser.add_argument(
        "--grpc-port",
        type=int,
        default=None,
        help="also receive OTLP/gRPC on this port (0: any free port); default: off",
    )
    parser.add_argument("--tls-cert", default="", help="serve TLS with this certificate chain (PEM file)")
    parser.add_argument("--tls-key", default="", help="the private key of --tls-cert (PEM file)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.fail_rate + args.reset_rate + args.partial_rate > 1:
        parser.error("--fail-rate + --reset-rate + --partial-rate must not exceed 1")
    fault_plan = Faults(
        args.fail_rate,
        args.fail_status,
        args.retry_after,
        args.latency_ms,
        args.outage,
        args.reset_rate,
        args.partial_rate,
        args.fault_seed,
    )
    try:
        tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        server = SinkServer(
            args.host, args.port, int(args.max_body_mb * 1e6), fault_plan, max(1, args.record_traces), tls
        )
    except ssl.SSLError as exc:
        print(f"otel-locust-sink: --tls-cert/--tls-key: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"otel-locust-sink: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"otel-locust-sink listening on {server.url}", flush=True)
    grpc_server = _start_grpc(args, server) if args.grpc_port is not None else None
    if args.grpc_port is not None and grpc_server is None:
        server.server_close()
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid,), daemon=True).start()
    while not stop.wait(args.interval or None):
        print(_format(server.verifier.snapshot()), flush=True)
    server.shutdown()
    if grpc_server:
        grpc_server.stop(grace=1).wait()
    final = server.verifier.snapshot()
    print(json.dumps(final) if args.json else f"final: {_format(final)}", flush=True)
    return 0


def _start_grpc(args: argparse.Namespace, server: SinkServer) -> Any:
    """The gRPC listener beside the HTTP one (same verifier and faults); None after printing why it failed."""
    from otel_locust.sink.grpc import serve

    tls = None
    if args.tls_cert:
        with open(args.tls_cert, "rb") as cert, open(args.tls_key, "rb") as key:
            tls = (cert.read(), key.read())
    try:
        grpc_server, url = serve(args.host, args.grpc_port, server.verifier, server.faults, server.max_body, tls)
    except RuntimeError as exc:
        print(f"otel-locust-sink: gRPC: {exc}", file=sys.stderr)
        return None
    print(f"otel-locust-sink gRPC listening on {url}", flush=True)
    return grpc_server


if __name__ == "__main__":
    sys.exit(main())
