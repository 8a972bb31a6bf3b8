"""OTLP log records (``--otel-framework google-adk`` puts message content in logs): sent to ``/v1/logs`` beside
the spans, in both delivery modes, accounted on their own (they never change a trace's outcome), reported to
Locust as ``OTLP-LOGS`` requests, counted by the sink, and linked to spans of the same traces."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import gevent
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otel_locust.encoding.profiles import instrumentation_for
from otel_locust.engine.planner import Planner
from otel_locust.engine.pools import pools_for
from otel_locust.export.accounting import LOGS_KEY, TraceStats
from otel_locust.export.batch import BatchLogQueue, BatchSettings
from otel_locust.export.exporter import Exporter
from otel_locust.export.http import OtlpHttpTransport
from otel_locust.plugin.options import logs_url
from otel_locust.scenarios import CONTENT as TRAVEL

from .helpers import Receiver, check_exact, run_locust, summary

ADK = ["--otel-framework", "google-adk", "--otel-mix", "single_service_search=1,delegated_booking=1"]


def _records(receiver: Receiver) -> list:
    return [
        r
        for body in receiver.bodies
        for rl in ExportLogsServiceRequest.FromString(body).resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]


def test_logs_url_is_derived_from_the_traces_url() -> None:
    assert logs_url("http://h:4318/v1/traces") == "http://h:4318/v1/logs"
    assert logs_url("https://h/api/otel/v1/traces?x=1") == "https://h/api/otel/v1/logs?x=1"
    assert logs_url("http://h:4318/v1/traces", "http://other/v1/logs") == "http://other/v1/logs"


def test_log_account_travels_to_the_master_and_stays_out_of_scenarios() -> None:
    worker, master = TraceStats(), TraceStats()
    worker.logs_generated(5)
    worker.logs_settled("delivered", 4)
    worker.logs_settled("failed", 1, "refused")
    worker.logs_request(100, True, 1)
    taken = worker.take()
    assert LOGS_KEY in taken and worker.logs["records"]["generated"] == 0
    master.merge(taken)
    assert master.logs["records"]["delivered"] == 4 and master.logs["failed_by_reason"] == {"refused": 1}
    assert master.scenarios == {} and master.logs["retries"] == 1
    assert TraceStats().take() == {}, "no log account: nothing extra to ship"


def _adk_traces(scenarios: dict, count: int) -> tuple[Any, list[tuple[list[bytes], str]]]:
    """google-adk's encoding of ``count`` traces of two scenarios: each trace's log records and scenario."""
    instrumentation = instrumentation_for("google-adk", [], "otel-locust")
    planner = Planner(pools_for(TRAVEL, 5), random.Random(5))
    names = ["single_service_search", "delegated_booking"]
    traces = []
    for i in range(count):
        trace = planner.plan(scenarios[names[i % 2]], f"c{i}", "u")
        traces.append((instrumentation.encode(trace).logs, names[i % 2]))
    return instrumentation, traces


def _keys(bodies: list[bytes]) -> list[tuple[bytes, int]]:
    """The (span id, time) of every log record in these request bodies, in order."""
    return [
        (r.span_id, r.time_unix_nano)
        for body in bodies
        for rl in ExportLogsServiceRequest.FromString(body).resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]


def _log_queue(instrumentation: Any, receiver: Receiver, settings: BatchSettings, limit: int = 0) -> tuple:
    stats, events = TraceStats(), []
    transport = OtlpHttpTransport(receiver.url, {}, "none", 10)
    exporter = Exporter(lambda **kw: events.append(kw), stats, transport, logs_transport=transport)
    return BatchLogQueue(exporter, stats, instrumentation, settings, limit), stats, events


def test_log_records_of_many_traces_share_requests(scenarios) -> None:
    """As the SDK's BatchLogRecordProcessor: records queue across traces and leave in batches of at most
    max_export_batch_size, oldest first; each request is one Locust event, named by its scenario or "batch"."""
    instrumentation, traces = _adk_traces(scenarios, 12)
    emitted = [record for records, _ in traces for record in records]
    receiver = Receiver()
    try:
        queue, stats, events = _log_queue(instrumentation, receiver, BatchSettings(512, 32, 3_600_000.0))
        for records, name in traces:
            queue.emit_records(records, name)
        gevent.spawn(queue.flush).join(60)
        queue.close()
        assert _keys(receiver.bodies) == _keys([instrumentation.log_request(emitted)]), "each once, in order"
        sizes = [
            sum(
                len(sl.log_records)
                for rl in ExportLogsServiceRequest.FromString(b).resource_logs
                for sl in rl.scope_logs
            )
            for b in receiver.bodies
        ]
        assert sizes == [32] * (len(emitted) // 32) + ([len(emitted) % 32] if len(emitted) % 32 else [])
        assert len(receiver.bodies) < len(traces), "fewer logs requests than traces"
        assert stats.logs["records"]["delivered"] == stats.logs["records"]["generated"] == len(emitted)
        assert stats.logs["requests"] == len(events) == len(receiver.bodies)
        assert {e["request_type"] for e in events} == {"OTLP-LOGS"} and "batch" in {e["name"] for e in events}
    finally:
        receiver.shutdown()


def test_a_full_log_queue_drops_its_oldest_records(scenarios) -> None:
    instrumentation, traces = _adk_traces(scenarios, 6)
    emitted = [record for records, _ in traces for record in records]
    receiver = Receiver()
    try:
        queue, stats, _ = _log_queue(instrumentation, receiver, BatchSettings(16, 8, 3_600_000.0))
        for records, name in traces:  # no yield in between: the worker cannot export before the queue overflows
            queue.emit_records(records, name)
        gevent.spawn(queue.flush).join(60)
        assert _keys(receiver.bodies) == _keys([instrumentation.log_request(emitted[-16:])]), "the newest 16 stay"
        assert stats.logs["dropped_by_reason"] == {"queue_full": len(emitted) - 16}
        assert stats.logs["records"]["delivered"] == 16
    finally:
        receiver.shutdown()


def test_log_batches_respect_the_request_limit_and_close_drops(scenarios) -> None:
    instrumentation, traces = _adk_traces(scenarios, 6)
    emitted = [record for records, _ in traces for record in records]
    limit = max(map(len, emitted)) * 3
    receiver = Receiver()
    try:
        queue, stats, _ = _log_queue(instrumentation, receiver, BatchSettings(512, 512, 3_600_000.0), limit)
        for records, name in traces:
            queue.emit_records(records, name)
        gevent.spawn(queue.flush).join(60)
        assert len(receiver.bodies) > 1 and all(len(body) <= limit for body in receiver.bodies)
        assert _keys(receiver.bodies) == _keys([instrumentation.log_request(emitted)])
        queue.close()
        queue.emit_records(traces[0][0], traces[0][1])
        dropped = len(traces[0][0])
        assert stats.logs["records"]["dropped"] == dropped and stats.logs["dropped_by_reason"] == {"stop": dropped}
        assert stats.logs["records"]["generated"] == len(emitted) + dropped
    finally:
        receiver.shutdown()


@pytest.mark.e2e
def test_google_adk_logs_reach_the_sink(tmp_path) -> None:
    result = run_locust(
        ["--headless", "-u", "4", "-r", "4", "-t", "5s", "--otel-pace", "0.2", *ADK, "--otel-summary", "summary.json"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    check_exact(data)
    traces, logs, sink = data["total"]["traces"], data["logs"], data["sink"]
    assert traces["generated"] == traces["delivered"] > 5
    records = logs["records"]
    assert records["generated"] == records["delivered"] > traces["delivered"], "several model calls per trace"
    assert sink["logs"]["records_received"] == records["delivered"] == sink["logs"]["records_linked"]
    assert sink["logs"]["traces_with_logs"] == traces["delivered"]
    assert sink["traces_complete"] == traces["delivered"]
    assert "OTLP-LOGS" in result.stderr, "log exports appear in Locust's own statistics table"
    assert "log records:" in result.stdout
    assert 0 < logs["requests"] < traces["delivered"], "records of many traces share a logs request"


@pytest.mark.e2e
@pytest.mark.parametrize("delivery", ["trace", "batch"])
def test_log_records_belong_to_spans_of_their_traces(tmp_path, delivery: str) -> None:
    spans, logs = Receiver(), Receiver()
    extra = (
        ["--otel-delivery", "batch", "--otel-time-scale", "20", "--otel-bsp-schedule-delay", "200"]
        if delivery == "batch"
        else []
    )
    try:
        result = run_locust(
            [
                "--headless",
                "-u",
                "3",
                "-r",
                "3",
                "-t",
                "5s",
                "--otel-pace",
                "0.2",
                *ADK,
                *extra,
                "--otel-platform",
                "otlp",
                "--otel-endpoint",
                spans.url,
                "--otel-logs-endpoint",
                logs.url.replace("/v1/traces", "/v1/logs"),
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        data = summary(tmp_path / "summary.json")
        check_exact(data)
        records = _records(logs)
        assert records and len(records) == data["logs"]["records"]["delivered"]
        assert data["logs"]["records"]["generated"] == sum(
            data["logs"]["records"][k] for k in ("delivered", "failed", "dropped", "unconfirmed")
        )
        traces = spans.traces()
        model_spans = {
            s.span_id: s for group in traces.values() for s in group if s.name.startswith("generate_content")
        }
        for record in records:
            span = model_spans.get(record.span_id)
            assert span is not None and span.trace_id == record.trace_id, "a log record names a model span"
            assert record.event_name == "gen_ai.client.inference.operation.details"
            assert span.start_time_unix_nano <= record.time_unix_nano <= span.end_time_unix_nano + 1
        assert set(Counter(r.trace_id for r in records)) <= set(traces)
        if delivery == "trace":  # every model call of every delivered trace has its record
            assert sum(1 for group in traces.values() for s in group if s.name.startswith("generate_content")) == len(
                records
            )
    finally:
        spans.shutdown()
        logs.shutdown()


@pytest.mark.e2e
def test_platforms_without_logs_send_none_and_say_so(tmp_path) -> None:
    receiver = Receiver()
    try:
        result = run_locust(
            [
                "--headless",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "3s",
                "--otel-pace",
                "0.2",
                *ADK,
                "--otel-platform",
                "phoenix",
                "--otel-endpoint",
                receiver.url,
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stderr.count("does not ingest OTLP logs") == 1
        assert "OTLP-LOGS" not in result.stderr
        assert "logs" not in summary(tmp_path / "summary.json")
        assert all(b"gen_ai.client.inference.operation.details" not in body for body in receiver.bodies)
    finally:
        receiver.shutdown()


@pytest.mark.backend
def test_rotel_forwards_every_log_record(tmp_path) -> None:
    """rotel (a real collector) receives spans and logs over OTLP/HTTP and forwards both to a sink: the sink
    ends up with every delivered log record, each linked to a span."""
    import threading

    from otel_locust.sink.server import SinkServer

    from .backends import Server, executable, free_port, wait_until

    sink = SinkServer("127.0.0.1", 0)
    threading.Thread(target=sink.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    port = free_port()
    agent = executable("rotel", "lib/python3.11/site-packages/rotel/rotel-agent")
    rotel = Server(
        [
            str(agent),
            "start",
            "--otlp-http-endpoint",
            f"127.0.0.1:{port}",
            "--otlp-grpc-endpoint",
            f"127.0.0.1:{free_port()}",
            "--exporter",
            "otlp",
            "--otlp-exporter-protocol",
            "http",
            "--otlp-exporter-endpoint",
            f"http://127.0.0.1:{sink.server_address[1]}",
        ],
        tmp_path / "rotel.log",
    )
    try:
        wait_until(lambda: _listening(port), 20, what="rotel to listen")
        result = run_locust(
            [
                "--headless",
                "-u",
                "3",
                "-r",
                "3",
                "-t",
                "4s",
                "--otel-pace",
                "0.2",
                *ADK,
                "--otel-platform",
                "otlp",
                "--otel-endpoint",
                f"http://127.0.0.1:{port}/v1/traces",
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        records = summary(tmp_path / "summary.json")["logs"]["records"]
        assert records["generated"] == records["delivered"] > 0
        wait_until(
            lambda: sink.logs.snapshot()["records_received"] == records["delivered"],
            60,
            0.5,
            "rotel to forward every log record",
        )
        assert sink.logs.snapshot()["records_linked"] == records["delivered"]
    finally:
        rotel.stop()
        sink.shutdown()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
