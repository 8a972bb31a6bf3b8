"""The OTLP/JSON re-encoder, checked against the official proto3 JSON parser and the OTLP JSON rules."""

from __future__ import annotations

import json
import random
import time

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otel_locust.encoding import otlp_json
from otel_locust.encoding.dialects import DIALECTS
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.scenarios import CONTENT as TRAVEL


def _parse(document: bytes) -> ExportTraceServiceRequest:
    """What a receiver decodes: hex ids back to bytes, then the official parser."""
    return json_format.ParseDict(otlp_json.ids_to_base64(json.loads(document)), ExportTraceServiceRequest())


def _bodies(scenarios, count: int = 12, timing: list[float] | None = None) -> list[bytes]:
    instrumentation = Instrumentation([DIALECTS[name]() for name in DIALECTS])  # every dialect's attribute types
    planner = Planner(pools_for(TRAVEL, 5), random.Random(5))
    names = sorted(scenarios)
    traces = [planner.plan(scenarios[names[i % len(names)]], f"c{i}", "u") for i in range(count)]
    t0 = time.perf_counter()
    bodies = [instrumentation.requests(instrumentation.encode(trace))[0].body for trace in traces]
    if timing is not None:
        timing.append(time.perf_counter() - t0)
    return bodies


def test_generated_requests_decode_to_the_same_message(scenarios):
    for body in _bodies(scenarios):
        assert _parse(otlp_json.to_json(body)) == ExportTraceServiceRequest.FromString(body)


def test_the_otlp_json_rules_hold():
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.parent_span_id = bytes(range(16)), b"\x01" * 8, b"\xff" * 8
    span.name, span.kind, span.start_time_unix_nano = "chat gpt", Span.SPAN_KIND_CLIENT, 2**63 + 5
    span.flags = 0x101
    span.status.code = 2
    values = {
        "s": ("string_value", 'é\n"x"'),
        "i": ("int_value", -3),
        "b": ("bool_value", True),
        "d": ("double_value", float("inf")),
        "y": ("bytes_value", b"\x00\xfe"),
    }
    for key, (field, value) in values.items():
        attribute = span.attributes.add()
        attribute.key = key
        setattr(attribute.value, field, value)
    nested = span.attributes.add()
    nested.key = "list"
    nested.value.array_value.values.add().string_value = ""
    link = span.links.add()
    link.trace_id, link.span_id = b"\xab" * 16, b"\xcd" * 8
    body = request.SerializeToString()
    document = json.loads(otlp_json.to_json(body))
    out = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert out["traceId"] == "000102030405060708090a0b0c0d0e0f" and out["parentSpanId"] == "ff" * 8
    assert out["links"][0] == {"traceId": "ab" * 16, "spanId": "cd" * 8}
    assert out["kind"] == 3 and out["status"] == {"code": 2} and out["flags"] == 0x101, "enums as integers"
    assert out["startTimeUnixNano"] == str(2**63 + 5), "64-bit integers as strings"
    attributes = {a["key"]: a["value"] for a in out["attributes"]}
    assert attributes["s"] == {"stringValue": 'é\n"x"'} and attributes["i"] == {"intValue": "-3"}
    assert attributes["b"] == {"boolValue": True} and attributes["d"] == {"doubleValue": "Infinity"}
    assert attributes["y"] == {"bytesValue": "AP4="}, "bytes other than ids stay base64"
    assert attributes["list"] == {"arrayValue": {"values": [{"stringValue": ""}]}}, "an empty oneof stays"
    assert _parse(otlp_json.to_json(body)) == request


def test_malformed_bodies_are_refused():
    with pytest.raises(otlp_json.JsonMappingError):
        otlp_json.to_json(b"\x0a\x05\x12")
    with pytest.raises(otlp_json.JsonMappingError):
        otlp_json.to_json(b"\x0b")  # wire type 3 (groups) is not OTLP


def test_json_responses_say_how_many_spans_were_rejected():
    assert otlp_json.rejected_spans(b'{"partialSuccess":{"rejectedSpans":"7","errorMessage":"x"}}') == 7
    assert otlp_json.rejected_spans(b'{"partialSuccess":{"rejectedSpans":3}}') == 3
    assert otlp_json.rejected_spans(b"{}") == otlp_json.rejected_spans(b"") == otlp_json.rejected_spans(b"[1]") == 0


@pytest.mark.slow
def test_reencoding_cost_is_printed_beside_the_official_mapping(scenarios):
    """Figures, not a threshold: the walker against FromString + MessageToDict on the same bodies, and against
    the protobuf encoding that made them."""
    timing: list[float] = []
    bodies = _bodies(scenarios, 40, timing)
    t0 = time.perf_counter()
    for body in bodies:
        otlp_json.to_json(body)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for body in bodies:
        json.dumps(json_format.MessageToDict(ExportTraceServiceRequest.FromString(body)))
    official = time.perf_counter() - t0
    megabytes = sum(map(len, bodies)) / 1e6
    print(
        f"\nOTLP/JSON re-encoding of {megabytes:.1f} MB protobuf: walker {megabytes / ours:.0f} MB/s, "
        f"json_format {megabytes / official:.0f} MB/s; the protobuf encoding itself {megabytes / timing[0]:.0f} MB/s"
    )
