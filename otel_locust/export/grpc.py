"""OTLP/gRPC transport (``--otel-protocol grpc``): ``TraceService/Export`` over grpcio, cooperative with gevent.

grpcio's C core cannot be monkey-patched: without ``grpc.experimental.gevent.init_gevent()`` a receiver that
accepts and never answers freezes the whole process for the full deadline, and a worker misses its heartbeats
(shared/reference/locust.md §5). This module calls it when imported, and the runtime imports it only when gRPC
is selected, before any channel exists. Bodies go out as the encoder made them (raw bytes, no protobuf
objects); grpcio's own retries are off so every attempt goes through the exporter's retry loop.

Status codes, as the OTLP specification ("OTLP/gRPC Throttling" and "Failures") says: UNAVAILABLE, CANCELLED,
ABORTED, OUT_OF_RANGE and DATA_LOSS are retried; RESOURCE_EXHAUSTED is retried only when the server sends a
``google.rpc.RetryInfo`` (its delay is honoured, like ``Retry-After``), and when it reports a message over its
size limit (4 MiB by default) it is ``TOO_LARGE`` and split like an HTTP 413. DEADLINE_EXCEEDED is
``UNCONFIRMED``: the request was sent, the receiver may have stored it, a resend could store it twice. Every
other code is final.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

import grpc
from grpc.experimental import gevent as grpc_gevent

from otel_locust.encoding import otlp
from otel_locust.export.transport import Reply, Verdict

grpc_gevent.init_gevent()  # before any channel: the process's gRPC I/O becomes greenlet-friendly

EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024  # gRPC's default receive limit, which collectors keep (4 MiB)
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.DATA_LOSS,
    }
)
STATUS_DETAILS_KEY = "grpc-status-details-bin"
RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"


def target(endpoint: str) -> tuple[str, bool]:
    """``host:port`` of an ``http(s)://host:port`` endpoint, and whether it wants TLS (https)."""
    parts = urllib.parse.urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 4317)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    return f"{host}:{port}", parts.scheme == "https"


class OtlpGrpcTransport:
    """One gRPC channel (HTTP/2, multiplexed) to an OTLP/gRPC receiver, shared by a process's users."""

    def __init__(
        self, endpoint: str, headers: dict[str, str], compression: str, timeout: float, ca_file: str = ""
    ) -> None:
        address, secure = target(endpoint)
        options = [
            ("grpc.enable_retries", 0),
            ("grpc.max_send_message_length", -1),
            ("grpc.max_receive_message_length", DEFAULT_MAX_MESSAGE),
        ]
        gzip = grpc.Compression.Gzip if compression == "gzip" else grpc.Compression.NoCompression
        if secure:
            roots = _read(ca_file) if ca_file else None
            self._channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(roots), options, gzip)
        else:
            self._channel = grpc.insecure_channel(address, options, gzip)
        # no serializers: bytes in, bytes out
        self._export: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self._channel.unary_unary(EXPORT_METHOD)
        self._metadata = tuple((name.lower(), value) for name, value in headers.items())
        self._timeout = timeout

    def wire(self, body: bytes) -> bytes:
        """The body itself: gRPC frames and compresses it (``response_length`` is the uncompressed message)."""
        return body

    def post(self, wire: bytes) -> Reply:
        try:
            response, _call = self._export.with_call(wire, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
            details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            trailers = exc.trailing_metadata() if isinstance(exc, grpc.Call) else ()
            return classify(code, details or "", trailers or (), len(wire))
        body = bytes(response or b"")
        return Reply(Verdict.OK, grpc.StatusCode.OK.value[0], body, rejected=otlp.rejected_spans(body))

    def close(self) -> None:
        self._channel.close()


def classify(code: grpc.StatusCode, details: str, trailers: Sequence[tuple[str, str | bytes]], size: int) -> Reply:
    """The verdict for a failed call (see the module docstring for the rules)."""
    status = code.value[0]
    message = f"gRPC {code.name}: {details.strip().replace(chr(10), ' ')[:160] or '(no details)'}"
    delay = retry_delay(trailers)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return Reply(Verdict.UNCONFIRMED, status, message=f"{message}; unconfirmed")
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        if delay is not None:
            return Reply(Verdict.RETRY, status, retry_after=delay, message=message)
        if "larger than max" in details or size > DEFAULT_MAX_MESSAGE:
            return Reply(Verdict.TOO_LARGE, status, message=message)
        return Reply(Verdict.REFUSED, status, message=message)
    verdict = Verdict.RETRY if code in RETRYABLE else Verdict.REFUSED
    return Reply(verdict, status, retry_after=delay, message=message)


def retry_delay(trailers: Sequence[tuple[str, str | bytes]]) -> float | None:
    """Seconds of the ``google.rpc.RetryInfo`` in a call's status details, if the server sent one."""
    raw = next((value for key, value in trailers if key == STATUS_DETAILS_KEY), None)
    if not isinstance(raw, bytes):
        return None
    from google.protobuf.message import DecodeError  # gRPC runs only: the protobuf runtime may load here
    from google.rpc import error_details_pb2, status_pb2

    try:
        status = status_pb2.Status.FromString(raw)
        for detail in status.details:
            if detail.type_url == RETRY_INFO_TYPE:
                info = error_details_pb2.RetryInfo.FromString(detail.value)
                return max(0.0, info.retry_delay.seconds + info.retry_delay.nanos / 1e9)
    except DecodeError:
        return None
    return None


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
