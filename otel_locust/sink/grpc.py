"""The sink's OTLP/gRPC receiver (``otel-locust-sink --grpc-port``): ``TraceService/Export`` into the same
:class:`~otel_locust.sink.server.TraceVerifier` as the HTTP receiver, with the same fault injection.

It runs in the sink process on grpcio's own thread pool (no gevent there). Its receive limit is gRPC's default
4 MiB, as collectors keep it (or ``--max-body-mb`` when smaller): a larger message is refused by grpcio with
RESOURCE_EXHAUSTED, which is what the exporter must split. Injected HTTP statuses map to the gRPC codes the
OTLP specification pairs them with; ``--retry-after`` travels as a ``google.rpc.RetryInfo``.
"""

from __future__ import annotations

import time
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

if TYPE_CHECKING:
    from otel_locust.sink.server import Faults, TraceVerifier

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024
STATUS_FOR_HTTP = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.UNIMPLEMENTED,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.UNAVAILABLE,
}


class TraceService:
    """The Export method: decode, inject the planned fault, verify."""

    def __init__(self, verifier: TraceVerifier, faults: Faults) -> None:
        self.verifier = verifier
        self.faults = faults

    def export(
        self, request: tuple[int, ExportTraceServiceRequest], context: grpc.ServicerContext
    ) -> ExportTraceServiceResponse:
        wire_bytes, message = request
        action = self.faults.decide()
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if action == "reset":
            self.verifier.count("injected_resets")
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected connection reset")
        if action in ("fail", "outage"):
            self._inject(context, 503 if action == "outage" else self.faults.fail_status)
        response = ExportTraceServiceResponse()
        if action == "partial":
            self.verifier.count("injected_partial")
            response.partial_success.rejected_spans = sum(
                len(ss.spans) for rs in message.resource_spans for ss in rs.scope_spans
            )
            response.partial_success.error_message = "injected partial rejection"
            return response
        self.verifier.ingest(message, wire_bytes)
        return response

    def _inject(self, context: grpc.ServicerContext, http_status: int) -> None:
        self.verifier.count("injected_failures")
        code = STATUS_FOR_HTTP.get(http_status, grpc.StatusCode.INTERNAL)
        if self.faults.retry_after is not None:
            info = error_details_pb2.RetryInfo(
                retry_delay=Duration(seconds=int(self.faults.retry_after), nanos=int(self.faults.retry_after % 1 * 1e9))
            )
            status = status_pb2.Status(code=getattr(code_pb2, code.name), message="injected fault")
            status.details.add().Pack(info)
            context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(code, "injected fault")


def _decode(raw: bytes) -> tuple[int, ExportTraceServiceRequest]:
    return len(raw), ExportTraceServiceRequest.FromString(raw)


def serve(
    host: str,
    port: int,
    verifier: TraceVerifier,
    faults: Faults,
    max_message: int = DEFAULT_MAX_MESSAGE,
    tls: tuple[bytes, bytes] | None = None,
) -> tuple[grpc.Server, str]:
    """Start the gRPC receiver; returns the server and its endpoint (``http(s)://host:port``).

    ``tls`` is (certificate chain PEM, private key PEM). Raises RuntimeError when the port cannot be bound.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        options=[("grpc.max_receive_message_length", min(max_message, DEFAULT_MAX_MESSAGE))],
    )
    service = TraceService(verifier, faults)
    handler: Any = grpc.unary_unary_rpc_method_handler(
        service.export, request_deserializer=_decode, response_serializer=ExportTraceServiceResponse.SerializeToString
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {"Export": handler}),))
    address = f"{host}:{port}"
    if tls is not None:
        bound = server.add_secure_port(address, grpc.ssl_server_credentials([(tls[1], tls[0])]))
    else:
        bound = server.add_insecure_port(address)
    if not bound:
        raise RuntimeError(f"cannot listen on {address}")
    server.start()
    return server, f"{'https' if tls else 'http'}://{host}:{bound}"
