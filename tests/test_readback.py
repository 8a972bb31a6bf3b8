"""Read-back: clients against canned read-API answers, the verdict arithmetic, and the poller's rules.

Langfuse, LangSmith, Braintrust, Jaeger and Tempo cannot run here (cloud services, no Docker engine): their clients
are tested against response examples shaped after each platform's API documentation (Jaeger query
``/api/traces/{id}``, Tempo ``/api/traces/{id}`` and ``/api/v2/traces/{id}``, Langfuse ``TraceWithFullDetails``,
LangSmith ``runs/query``, Braintrust BTQL ``/btql`` and ``/v1/project``), plus the shapes real MLflow 3.17 and
Phoenix 20.26 returned here. Live tests against the cloud services run when their keys are set (test_readback_live.py).
"""

from __future__ import annotations

import base64
import json
import random
import zlib

import gevent
import pytest

from otel_locust.encoding.instrument import EncodedTrace
from otel_locust.export.accounting import TraceStats, TraceTicket
from otel_locust.export.readback import client_for
from otel_locust.export.readback.base import Lookup, Probe, Response, State
from otel_locust.export.readback.clients import langsmith_uuid
from otel_locust.export.readback.poller import Pacing, ReadbackError, ReadbackPoller
from otel_locust.export.readback.stats import ReadbackStats, loss_verdict, percentile, public, wilson

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"
VALUE = '[{"role":"user","parts":[{"type":"text","content":"Book me a flight to Lisbon"}]}]'
PROBE = Probe(TRACE, 3, SPAN, len(VALUE), zlib.crc32(VALUE.encode()))


def canned(answers: dict[str, Response], calls: list[tuple[str, str, bytes | None]] | None = None):
    """A fetch that answers by URL substring; records (method, url, body)."""

    def fetch(method, url, headers, body):
        if calls is not None:
            calls.append((method, url, body))
        for part, response in answers.items():
            if part in url:
                return response
        return Response(404, b"", {})

    return fetch


def ok(data) -> Response:
    return Response(200, json.dumps(data).encode(), {})


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


# -- clients ------------------------------------------------------------------------------------------------


def test_sink_client_reads_spans_and_probe():
    answer = {
        "trace_id": TRACE,
        "spans": 3,
        "expected": 3,
        "state": "complete",
        "complete": True,
        "probe": {"key": "gen_ai.input.messages", "span_id": SPAN, "length": len(VALUE), "crc32": PROBE.crc},
    }
    client = client_for("sink", "http://127.0.0.1:9/v1/traces", {}, fetch=canned({f"/traces/{TRACE}": ok(answer)}))
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc)
    assert client_for("sink", "http://127.0.0.1:9/v1/traces", {}, fetch=canned({})).lookup(PROBE).state is State.MISSING


def _mlflow_span(span_id: str, value=None) -> dict:
    """MLflow 3.17 batchGet span: OTLP JSON with proto field names, base64 ids, JSON strings parsed."""
    attrs = [{"key": "gen_ai.operation.name", "value": {"string_value": "chat"}}]
    if value is not None:
        attrs.append({"key": "gen_ai.input.messages", "value": value})
    return {"trace_id": b64(TRACE), "span_id": b64(span_id), "name": "chat gpt-4.1", "attributes": attrs}


def _as_anyvalue(obj):
    if isinstance(obj, list):
        return {"array_value": {"values": [_as_anyvalue(v) for v in obj]}}
    if isinstance(obj, dict):
        return {"kvlist_value": {"values": [{"key": k, "value": _as_anyvalue(v)} for k, v in obj.items()]}}
    return {"string_value": obj}


def test_mlflow_client_maps_the_trace_id_and_recompacts_parsed_attributes():
    spans = [
        _mlflow_span("00000000000000a1"),
        _mlflow_span("00000000000000a2"),
        _mlflow_span(SPAN, _as_anyvalue(json.loads(VALUE))),
    ]
    calls: list = []
    client = client_for(
        "mlflow",
        "http://127.0.0.1:5000/v1/traces",
        {"x-mlflow-experiment-id": "3"},
        fetch=canned({"batchGet": ok({"traces": [{"trace_info": {}, "spans": spans}]})}, calls),
    )
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc)
    assert calls[0][1] == f"http://127.0.0.1:5000/api/3.0/mlflow/traces/batchGet?trace_ids=tr-{TRACE}"
    empty = client_for("mlflow", "http://h/v1/traces", {}, fetch=canned({"batchGet": ok({})}))
    assert empty.lookup(PROBE).state is State.MISSING


def test_phoenix_client_pages_through_spans_of_the_project():
    span = {"context": {"trace_id": TRACE, "span_id": SPAN}, "attributes": {"gen_ai.input.messages": VALUE}}
    other = {"context": {"trace_id": TRACE, "span_id": "00000000000000b1"}, "attributes": {}}
    pages = {
        "cursor=c2": ok({"data": [other], "next_cursor": None}),
        "/v1/projects/load%201/spans": ok({"data": [span, other], "next_cursor": "c2"}),
    }
    client = client_for("phoenix", "http://127.0.0.1:6006/v1/traces", {"x-project-name": "load 1"}, fetch=canned(pages))
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc)
    unknown_project = Response(404, b"Project with name x not found", {})
    assert (
        client_for("phoenix", "http://h/v1/traces", {}, fetch=canned({"spans": unknown_project})).lookup(PROBE).state
        is State.MISSING
    )


def test_jaeger_answer():
    """Jaeger query API ``GET /api/traces/{id}``: ``{"data": [{"traceID", "spans": [{"spanID", "tags"}]}]}``."""
    spans = [
        {
            "traceID": TRACE,
            "spanID": SPAN,
            "operationName": "chat gpt-4.1",
            "tags": [{"key": "gen_ai.input.messages", "type": "string", "value": VALUE}],
        },
        {"traceID": TRACE, "spanID": "00000000000000c1", "operationName": "invoke_agent", "tags": []},
        {"traceID": TRACE, "spanID": "00000000000000c2", "operationName": "execute_tool", "tags": []},
    ]
    body = {
        "data": [{"traceID": TRACE, "spans": spans, "processes": {}}],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }
    client = client_for("otlp", "http://c/v1/traces", {}, "http://jaeger:16686", fetch=canned({TRACE: ok(body)}))
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc)
    missing = Response(404, b'{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}', {})
    assert client_for("otlp", "", {}, "http://j", fetch=canned({TRACE: missing})).lookup(PROBE).state is State.MISSING


@pytest.mark.parametrize("wrap", ["batches", "v2"])
def test_tempo_answer(wrap):
    """Tempo ``/api/traces/{id}`` answers OTLP JSON ``{"batches": [...]}``; ``/api/v2`` wraps it in ``trace``."""
    spans = [
        {
            "traceId": b64(TRACE),
            "spanId": b64(SPAN),
            "name": "chat gpt-4.1",
            "attributes": [{"key": "gen_ai.input.messages", "value": {"stringValue": VALUE}}],
        },
        {"traceId": b64(TRACE), "spanId": b64("00000000000000d1"), "name": "x", "attributes": []},
        {"traceId": b64(TRACE), "spanId": b64("00000000000000d2"), "name": "y", "attributes": []},
    ]
    batches = [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "otel_locust"}, "spans": spans}]}]
    body = {"batches": batches} if wrap == "batches" else {"trace": {"resourceSpans": batches}}
    client = client_for("otlp", "", {}, "http://tempo:3200", fetch=canned({TRACE: ok(body)}))
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc)


def test_langfuse_counts_observations():
    """Langfuse ``GET /api/public/traces/{traceId}`` (TraceWithFullDetails): ``observations`` is a list."""
    body = {
        "id": TRACE,
        "timestamp": "2025-01-01T00:00:00.000Z",
        "name": "invoke_agent travel_assistant",
        "htmlPath": f"/project/p/traces/{TRACE}",
        "latency": 1.2,
        "totalCost": 0.0,
        "scores": [],
        "observations": [
            {"id": SPAN, "traceId": TRACE, "type": "GENERATION"},
            {"id": "00000000000000e1", "traceId": TRACE, "type": "SPAN"},
            {"id": "00000000000000e2", "traceId": TRACE, "type": "SPAN"},
        ],
    }
    client = client_for(
        "langfuse",
        "https://cloud.langfuse.com/api/public/otel/v1/traces",
        {"Authorization": "Basic x"},
        fetch=canned({f"/api/public/traces/{TRACE}": ok(body)}),
    )
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3)
    throttled = Response(429, b"", {"retry-after": "7"})
    assert client_for("langfuse", "https://h/api/public/otel/v1/traces", {}, fetch=canned({TRACE: throttled})).lookup(
        PROBE
    ) == Lookup(State.THROTTLED, retry_after=7.0, message="read API rate limit (429)")


def test_langsmith_queries_runs_by_trace_uuid_and_follows_the_cursor():
    """LangSmith ``POST /api/v1/runs/query``: ``{"runs": [...], "cursors": {"next": ...}}``; OTLP trace ids become
    UUIDs of the same 16 bytes."""
    calls: list = []
    pages = iter(
        [
            ok({"runs": [{"id": "a"}, {"id": "b"}], "cursors": {"next": "n1"}}),
            ok({"runs": [{"id": "c"}], "cursors": {"next": None}}),
        ]
    )
    client = client_for(
        "langsmith",
        "https://api.smith.langchain.com/otel/v1/traces",
        {"x-api-key": "k"},
        fetch=lambda m, u, h, b: calls.append((u, json.loads(b))) or next(pages),
    )
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3)
    assert calls[0][0] == "https://api.smith.langchain.com/api/v1/runs/query"
    assert calls[0][1]["trace"] == langsmith_uuid(TRACE) == "5b8efff7-9803-8103-d269-b633813fc60c"
    assert calls[1][1]["cursor"] == "n1"


def test_braintrust_resolves_the_project_and_queries_btql():
    """Braintrust ``GET /v1/project?project_name=`` -> ``{"objects": [{"id"}]}``; ``POST /btql`` -> ``{"data"}``."""
    calls: list = []
    answers = {
        "/v1/project": ok({"objects": [{"id": "p-123", "name": "otel-locust"}]}),
        "/btql": ok({"data": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "schema": {}}),
    }
    client = client_for(
        "braintrust",
        "https://api.braintrust.dev/otel/v1/traces",
        {"Authorization": "Bearer k", "x-bt-parent": "project_name:otel-locust"},
        fetch=canned(answers, calls),
    )
    assert client.lookup(PROBE) == Lookup(State.FOUND, spans=3)
    query = json.loads(calls[-1][2])["query"]
    assert "project_logs('p-123')" in query and f"root_span_id = '{TRACE}'" in query


def test_network_failures_are_errors_not_exceptions():
    def broken(*_):
        raise ConnectionRefusedError("refused")

    assert client_for("mlflow", "http://h/v1/traces", {}, fetch=broken).lookup(PROBE).state is State.ERROR
    assert (
        client_for("mlflow", "http://h/v1/traces", {}, fetch=canned({"batchGet": Response(503, b"", {})}))
        .lookup(PROBE)
        .state
        is State.ERROR
    )


# -- verdicts -----------------------------------------------------------------------------------------------


def test_stats_merge_exactly_and_give_percentiles():
    a, b, total = ReadbackStats(), ReadbackStats(), ReadbackStats()
    for i in range(100):
        (a if i % 2 else b).record("s", "delivered", "complete", float(i))
    a.record("s", "unconfirmed", "complete", 5.0)
    b.record("s", "unconfirmed", "missing")
    total.merge(a.take())
    total.merge(b.take())
    view = public(total.scenarios["s"])
    assert view["checked"] == 102 and view["complete"] == 101 and view["missing"] == 1
    assert view["unconfirmed"] == {"checked": 2, "stored": 1, "lost": 1}
    assert view["visibility_ms"]["p50"] == 49 and view["visibility_ms"]["max"] == 99
    assert percentile({"10": 1, "20": 1}, 0.99) == 20


def test_loss_verdict_resolves_unconfirmed_and_estimates_from_a_sample():
    stats = ReadbackStats()
    for _ in range(10):
        stats.record("s", "unconfirmed", "complete", 1.0)
    verdict = loss_verdict(stats.total(), {"generated": 110, "delivered": 100, "unconfirmed": 10, "failed": 0}, 0)
    assert verdict["estimate"] == 0.0 and verdict["strata"]["unconfirmed"]["rate_95"] == [0.0, 0.0]
    sample = ReadbackStats()
    for i in range(50):
        sample.record("s", "delivered", "missing" if i < 5 else "complete", 1.0)
    verdict = loss_verdict(sample.total(), {"generated": 1000, "delivered": 1000, "failed": 0}, 0)
    assert verdict["estimate"] == pytest.approx(0.1)
    assert verdict["low"] < 0.1 < verdict["high"]
    assert wilson(5, 50) == pytest.approx((0.0435, 0.2136), abs=1e-3)


# -- the poller ---------------------------------------------------------------------------------------------


class Script:
    """A client answering from a list, then repeating the last answer."""

    name = "script"

    def __init__(self, *answers: Lookup) -> None:
        self.answers = list(answers)
        self.calls = 0

    def lookup(self, probe: Probe) -> Lookup:
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _poll(client, outcome="delivered", timeout=30.0, wait=5.0):
    stats, events = ReadbackStats(), []
    poller = ReadbackPoller(
        client,
        stats,
        lambda **kw: events.append(kw),
        1.0,
        timeout,
        Pacing(concurrency=2, min_interval=0.001, max_interval=0.01),
        random.Random(1),
    )
    encoded = EncodedTrace(
        [], [], bytes.fromhex(TRACE), probe_span=bytes.fromhex(SPAN), probe_inside=VALUE[1:-1].encode()
    )
    poller.expect(encoded, 3)
    ticket = TraceTicket(TraceStats(), "s", 3, bytes.fromhex(TRACE), 1, poller.on_done)
    ticket.settle(outcome, 3)
    left = poller.finish(wait)
    return public(stats.total()), events, left


def test_poller_waits_through_missing_and_short_answers_until_complete():
    client = Script(
        Lookup(State.MISSING),
        Lookup(State.FOUND, spans=1),
        Lookup(State.THROTTLED, retry_after=0.01),
        Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc),
    )
    view, events, left = _poll(client)
    assert left == 0 and view["complete"] == 1 and view["throttled"] == 1 and client.calls == 4
    assert events[0]["request_type"] == "READBACK" and events[0]["exception"] is None


def test_truncated_probe_attribute_is_incomplete():
    view, events, _ = _poll(Script(Lookup(State.FOUND, spans=3, probe_crc=PROBE.crc ^ 1)))
    assert view["incomplete"] == 1 and isinstance(events[0]["exception"], ReadbackError)


def test_unseen_trace_is_missing_after_the_timeout_and_errors_are_unknown():
    view, events, _ = _poll(Script(Lookup(State.MISSING)), outcome="unconfirmed", timeout=0.05)
    assert view["missing"] == 1 and view["unconfirmed"]["lost"] == 1 and "missing" in str(events[0]["exception"])
    view, events, _ = _poll(Script(Lookup(State.ERROR)), timeout=0.05)
    assert view["unknown"] == 1 and view["checked"] == 0 and not events


def test_pending_at_stop_and_new_test():
    view, events, left = _poll(Script(Lookup(State.MISSING)), timeout=60, wait=0.05)
    assert left == 1 and view["pending_at_stop"] == 1 and view["missing"] == 0 and not events
    stats = ReadbackStats()
    poller = ReadbackPoller(Script(Lookup(State.MISSING)), stats, lambda **kw: None, 1.0, 60, Pacing(1, 0.001, 0.01))
    poller.expect(EncodedTrace([], [], bytes.fromhex(TRACE)), 3)
    TraceTicket(TraceStats(), "s", 3, bytes.fromhex(TRACE), 1, poller.on_done).settle("delivered", 3)
    gevent.sleep(0.02)
    poller.new_test()
    assert poller.finish(0.05) == 0 and not stats.scenarios  # the old test's look-up is dropped, unrecorded


def test_failed_traces_are_not_polled():
    client = Script(Lookup(State.MISSING))
    view, events, _ = _poll(client, outcome="failed")
    assert client.calls == 0 and view["checked"] == 0 and not events
