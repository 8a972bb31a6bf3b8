"""The sink: verification of whole, split and broken traces; refusal of bad requests; it keeps serving."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
from collections.abc import Iterator

import pytest

from otel_locust.sink.server import SinkServer


@pytest.fixture
def sink() -> Iterator[SinkServer]:
    server = SinkServer("127.0.0.1", 0, max_body=2_000_000)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _post(server: SinkServer, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(
            "POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _stats(server: SinkServer) -> dict:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/stats")
    return json.loads(conn.getresponse().read())


def test_whole_and_split_traces_are_verified(sink, scenarios, planner, instrumentation):
    for name in ("simple_query", "multi_service_complex"):
        encoded = instrumentation.encode(planner.plan(scenarios[name]))
        for request in instrumentation.requests(encoded, 30_000):
            assert _post(sink, request.body)[0] == 200
    stats = _stats(sink)
    assert stats["traces_received"] == stats["traces_complete"] == 2
    assert stats["requests"] > 2 and stats["orphan_spans"] == 0 and stats["traces_pending"] == 0
    assert set(stats["scenarios"]) == {"simple_query", "multi_service_complex"}


def test_missing_spans_leave_a_trace_pending_with_orphans(sink, scenarios, planner, instrumentation):
    trace = planner.plan(scenarios["delegated_booking"])
    lost = next(i for i, s in enumerate(trace.spans) if i and any(c.parent == i for c in trace.spans))
    encoded = instrumentation.encode(trace)
    kept = [chunks for i, chunks in enumerate(encoded.spans) if i != lost]  # lose a span that has children
    body = instrumentation._body(kept, sum(encoded.sizes) - encoded.sizes[lost])
    assert _post(sink, body)[0] == 200
    stats = _stats(sink)
    assert stats["traces_complete"] == 0 and stats["traces_pending"] == 1
    assert stats["orphan_spans_pending"] >= 1


def test_gzip_body_is_accepted(sink, scenarios, planner, instrumentation):
    body = instrumentation.requests(instrumentation.encode(planner.plan(scenarios["simple_query"])))[0].body
    assert _post(sink, gzip.compress(body), {"Content-Encoding": "gzip"})[0] == 200
    assert _stats(sink)["traces_complete"] == 1


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\xff\xff\xff not protobuf", {}, 400),
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b'{"resourceSpans": 3}', {"Content-Type": "application/json"}, 400),
        (b"text", {"Content-Type": "text/plain"}, 415),
        (b"x" * 2_100_000, {}, 413),
        (gzip.compress(b"\x00" * 50_000_000), {"Content-Encoding": "gzip"}, 413),  # a decompression bomb
        (b"not gzip", {"Content-Encoding": "gzip"}, 400),
        (b"", {"Content-Encoding": "br"}, 415),
    ],
    ids=["malformed", "bad-json", "wrong-json", "text", "oversized", "gzip-bomb", "bad-gzip", "brotli"],
)
def test_bad_requests_are_refused_and_the_sink_keeps_serving(
    sink, body, headers, status, scenarios, planner, instrumentation
):
    assert _post(sink, body, headers)[0] == status
    good = instrumentation.requests(instrumentation.encode(planner.plan(scenarios["simple_query"])))[0].body
    assert _post(sink, good)[0] == 200
    stats = _stats(sink)
    assert stats["rejected_requests"] == 1 and stats["traces_complete"] == 1


def test_many_concurrent_clients(sink, scenarios, planner, instrumentation):
    bodies = [
        instrumentation.requests(instrumentation.encode(planner.plan(scenarios["single_service_search"])))[0].body
        for _ in range(40)
    ]
    results: list[int] = []
    threads = [threading.Thread(target=lambda b=b: results.append(_post(sink, b)[0])) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 40 and _stats(sink)["traces_complete"] == 40


def _get(server: SinkServer, path: str) -> tuple[int, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, json.loads(body) if body.startswith(b"{") else {}


def test_lookup_answers_spans_state_and_the_probe_checksum(sink, scenarios, planner, instrumentation):
    encoded = instrumentation.encode(planner.plan(scenarios["delegated_booking"]))
    assert _post(sink, instrumentation.requests(encoded)[0].body)[0] == 200
    status, found = _get(sink, f"/traces/{encoded.trace_id.hex()}")
    length, crc = encoded.probe_crc32()
    assert status == 200 and found["complete"] and found["spans"] == found["expected"] == len(encoded.spans)
    assert found["probe"] == {
        "key": "gen_ai.input.messages",
        "span_id": encoded.probe_span.hex(),
        "length": length,
        "crc32": crc,
    }
    assert found["first_arrival"] <= found["last_arrival"]
    assert _get(sink, "/traces/" + "0" * 32)[0] == 404
    assert _get(sink, "/traces/xyz")[0] == 400


def test_batches_mixing_traces_children_first_root_last_are_reassembled(sink, scenarios, planner, instrumentation):
    """SDK-style delivery: spans of two traces interleaved, in reverse order (children first, root last)."""
    traces = [instrumentation.encode(planner.plan(scenarios["single_service_search"])) for _ in range(2)]
    spans = [(t, i) for i in reversed(range(max(len(t.spans) for t in traces))) for t in traces if i < len(t.spans)]
    for start in range(0, len(spans), 7):
        batch = spans[start : start + 7]
        body = instrumentation._body([t.spans[i] for t, i in batch], sum(t.sizes[i] for t, i in batch))
        assert _post(sink, body)[0] == 200
    partial = instrumentation.encode(planner.plan(scenarios["simple_query"]))
    body = instrumentation._body(partial.spans[1:], sum(partial.sizes[1:]))  # never gets its root
    assert _post(sink, body)[0] == 200
    stats = _stats(sink)
    assert stats["traces_complete"] == stats["traces_reassembled"] == 2 and stats["traces_whole"] == 0
    assert stats["traces_child_first"] == stats["traces_root_last"] == 2
    assert stats["traces_pending"] == 1 and stats["orphan_spans"] == 0
    assert _get(sink, f"/traces/{partial.trace_id.hex()}")[1]["state"] == "partial"


def test_the_lookup_record_is_bounded_and_evictions_are_reported(scenarios, planner, instrumentation):
    server = SinkServer("127.0.0.1", 0, record_traces=3)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        ids = []
        for _ in range(5):
            encoded = instrumentation.encode(planner.plan(scenarios["simple_query"]))
            ids.append(encoded.trace_id.hex())
            assert _post(server, instrumentation.requests(encoded)[0].body)[0] == 200
        stats = _stats(server)
        assert stats["records_evicted"] == 2 and stats["traces_recorded"] == 3 and stats["traces_complete"] == 5
        assert _get(server, f"/traces/{ids[0]}")[0] == 404 and _get(server, f"/traces/{ids[-1]}")[0] == 200
    finally:
        server.shutdown()
