"""The hand-written encoder, checked against the official opentelemetry-proto decoder."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_locust.encoding import otlp
from otel_locust.testing.conformance import attributes

from .conftest import decode


@pytest.mark.parametrize("n", [0, 1, 127, 128, 16383, 16384, 2**32, 2**63 - 1])
def test_varint_matches_protobuf(n):
    from google.protobuf.internal.encoder import _VarintBytes

    assert otlp.varint(n) == _VarintBytes(n)
    assert otlp.varint_len(n) == len(_VarintBytes(n))


def _request(span_chunks: list[bytes], resource_attrs: bytes = b"") -> bytes:
    size = sum(len(c) for c in span_chunks)
    wrapped = otlp.wrap_span(list(span_chunks), size)
    return otlp.export_request(otlp.resource(resource_attrs), otlp.scope("s", "1.2"), [wrapped], size + len(wrapped[0]))


def test_span_fields_and_attribute_types_round_trip():
    trace_id, span_id, parent = bytes(range(16)), b"\x01" * 8, b"\x02" * 8
    head = otlp.span_head(trace_id, span_id, parent, otlp.span_name("chat gpt-4.1"), otlp.KIND_CLIENT, 5, 2**62)
    attrs = (
        otlp.attr_str("s", "héllo")
        + otlp.attr_int("i", 42)
        + otlp.attr_int("neg", -7)
        + otlp.attr_double("d", 0.25)
        + otlp.attr_bool("b", True)
        + otlp.attr_str_array("a", ["x", "yz"])
    )
    pieces: list[bytes] = []
    size = otlp.attr_str_pieces(pieces, "big", [b"[", b"x" * 20000, b"]"], 20002)
    assert size == sum(len(p) for p in pieces)
    event = otlp.span_event("exception", 9, otlp.attr_str("exception.type", "Timeout", b"\x1a"))
    status = otlp.span_status(otlp.STATUS_ERROR, "boom")
    body = _request([head, attrs, *pieces, event, status], otlp.attr_str("service.name", "svc", b"\x0a"))
    request = ExportTraceServiceRequest.FromString(body)
    assert request.resource_spans[0].resource.attributes[0].value.string_value == "svc"
    assert request.resource_spans[0].scope_spans[0].scope.version == "1.2"
    (span,) = decode(body)
    assert (span.trace_id, span.span_id, span.parent_span_id) == (trace_id, span_id, parent)
    assert (span.name, span.kind, span.start_time_unix_nano, span.end_time_unix_nano) == ("chat gpt-4.1", 3, 5, 2**62)
    assert span.flags == 0x101
    assert attributes(span) == {
        "s": "héllo",
        "i": 42,
        "neg": -7,
        "d": 0.25,
        "b": True,
        "a": ["x", "yz"],
        "big": "[" + "x" * 20000 + "]",
    }
    assert span.events[0].name == "exception" and span.events[0].time_unix_nano == 9
    assert span.events[0].attributes[0].value.string_value == "Timeout"
    assert (span.status.code, span.status.message) == (2, "boom")


def test_root_span_has_no_parent_field():
    head = otlp.span_head(b"\x00" * 16, b"\x03" * 8, None, otlp.span_name("root"), otlp.KIND_INTERNAL, 1, 2)
    (span,) = decode(_request([head]))
    assert span.parent_span_id == b"" and span.kind == 1


def test_requests_split_under_the_limit_and_keep_every_span(scenarios, planner, instrumentation):
    encoded = instrumentation.encode(planner.plan(scenarios["multi_service_complex"]))
    whole = instrumentation.requests(encoded)
    assert len(whole) == 1 and whole[0].spans == len(encoded.spans)
    limit = 40_000
    parts = instrumentation.requests(encoded, limit)
    assert len(parts) > 3
    assert all(len(r.body) <= limit for r in parts if r.spans > 1), "only a lone oversized span may exceed it"
    ids = [s.span_id for r in parts for s in decode(r.body)]
    assert len(ids) == len(set(ids)) == len(encoded.spans) == sum(r.spans for r in parts)


def test_a_request_splits_in_halves_until_single_spans(scenarios, planner, instrumentation):
    (request,) = instrumentation.requests(instrumentation.encode(planner.plan(scenarios["delegated_booking"])))
    halves = request.halves()
    assert len(halves) == 2 and sum(h.spans for h in halves) == request.spans
    assert {s.span_id for h in halves for s in decode(h.body)} == {s.span_id for s in decode(request.body)}
    single = halves[0]
    while single.spans > 1:
        single = single.halves()[0]
    assert single.halves() == []


def test_rejected_spans_are_read_from_a_partial_success_answer():
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    answer = ExportTraceServiceResponse()
    answer.partial_success.rejected_spans = 37
    answer.partial_success.error_message = "too many attributes"
    assert otlp.rejected_spans(answer.SerializeToString()) == 37
    message_only = ExportTraceServiceResponse()
    message_only.partial_success.error_message = "warning only"
    assert otlp.rejected_spans(message_only.SerializeToString()) == 0
    assert otlp.rejected_spans(b"") == otlp.rejected_spans(b"\xff\xff") == otlp.rejected_spans(b"not protobuf") == 0


def test_the_generator_process_never_loads_the_protobuf_runtime():
    import subprocess
    import sys

    code = "import otel_locust.plugin.user, sys; print(any(m.startswith('google.protobuf') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
    assert out == "False", "importing protobuf into the Locust process slows generation by about 20%"
