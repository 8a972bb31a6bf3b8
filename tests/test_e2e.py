"""End to end: real headless Locust runs against the embedded sink and an independent receiver."""

from __future__ import annotations

import gzip
import statistics
from collections import Counter

import pytest

from otel_locust.testing.conformance import check_trace, shape

from .helpers import Receiver, run_locust, summary
from .test_engine import RANGES

pytestmark = pytest.mark.e2e
WEIGHTS = {"simple_query": 0.4, "single_service_search": 0.3, "delegated_booking": 0.2, "multi_service_complex": 0.1}


def test_default_run_on_the_embedded_sink_verifies_every_trace(tmp_path):
    result = run_locust(
        ["--headless", "-u", "10", "-r", "10", "-t", "6s", "--otel-pace", "0.1", "--otel-summary", "summary.json"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    traces, spans, sink = data["total"]["traces"], data["total"]["spans"], data["sink"]
    assert traces["generated"] == traces["delivered"] > 50 and traces["failed"] == traces["dropped"] == 0
    assert sink["traces_received"] == sink["traces_complete"] == traces["delivered"]
    assert sink["spans_received"] == spans["delivered"] == spans["generated"]
    assert sink["orphan_spans"] == 0 and sink["traces_broken"] == 0
    assert set(data["scenarios"]) == set(WEIGHTS)
    assert "verified complete" in result.stdout and "multi_service_complex" in result.stdout
    assert "OTLP     simple_query" in result.stderr, "exports appear in Locust's own statistics table"


@pytest.fixture(scope="module")
def wire_run(tmp_path_factory):
    """One fast run of the default mix into an independent receiver; returns (summary, receiver)."""
    tmp = tmp_path_factory.mktemp("wire")
    receiver = Receiver()
    result = run_locust(
        [
            "--headless",
            "-u",
            "8",
            "-r",
            "8",
            "-t",
            "10s",
            "--otel-pace",
            "0",
            "--otel-seed",
            "9",
            "--otel-platform",
            "otlp",
            "--otel-endpoint",
            receiver.url,
            "--otel-summary",
            "summary.json",
        ],
        tmp,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    yield summary(tmp / "summary.json"), receiver
    receiver.shutdown()


def test_mix_on_the_wire_matches_the_weights(wire_run):
    data, receiver = wire_run
    traces = receiver.traces()
    assert len(traces) == data["total"]["traces"]["delivered"] >= 2000
    counts = Counter(shape(spans)["scenario"] for spans in traces.values())
    for name, weight in WEIGHTS.items():
        assert abs(counts[name] / len(traces) - weight) <= 0.03, (name, counts)


def test_shapes_on_the_wire_meet_the_spec(wire_run):
    _, receiver = wire_run
    by_scenario: dict[str, list] = {name: [] for name in WEIGHTS}
    for spans in receiver.traces().values():
        measured = shape(spans)
        by_scenario[measured["scenario"]].append(measured)
    ratios: dict[str, list[float]] = {name: [] for name in WEIGHTS}
    sizes: dict[str, list[float]] = {name: [] for name in WEIGHTS}
    for body in receiver.bodies:  # one request per trace on this platform
        from .conftest import decode

        first = decode(body)
        name = shape(first)["scenario"]
        sizes[name].append(len(body) / 1000)
        if len(ratios[name]) < 40:
            ratios[name].append(len(body) / len(gzip.compress(body)))
    for name, ((s_lo, s_hi), (d_lo, d_hi), (k_lo, k_hi)) in RANGES.items():
        spans = [m["spans"] for m in by_scenario[name]]
        assert s_lo <= statistics.median(spans) <= s_hi, name
        assert d_lo <= statistics.median(m["depth"] for m in by_scenario[name]) <= d_hi, name
        assert k_lo <= statistics.median(sizes[name]) <= k_hi, name
        assert 2.5 <= statistics.median(ratios[name]) <= 6.0, name
        assert len(set(spans)) >= 3, f"{name} traces must vary"


def test_every_trace_on_the_wire_conforms(wire_run):
    _, receiver = wire_run
    traces = list(receiver.traces().values())
    problems = [p for spans in traces[:400] for p in check_trace(spans)]
    assert problems == []
    resource = receiver.bodies[0]
    assert b"otel_locust.synthetic" in resource and b"travel-agent" in resource


def test_otel_mix_changes_the_mix(tmp_path):
    receiver = Receiver()
    result = run_locust(
        [
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "4s",
            "--otel-pace",
            "0",
            "--otel-platform",
            "otlp",
            "--otel-endpoint",
            receiver.url,
            "--otel-mix",
            "simple_query=3,delegated_booking=1",
        ],
        tmp_path,
    )
    receiver.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    counts = Counter(shape(spans)["scenario"] for spans in receiver.traces().values())
    assert set(counts) == {"simple_query", "delegated_booking"}
    assert abs(counts["simple_query"] / sum(counts.values()) - 0.75) <= 0.05


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--otel-mix", "nope=3"], "--otel-mix"),
        (["--otel-platform", "otlp", "--otel-endpoint", "localhost:4318"], "--otel-endpoint"),
        (["--otel-headers", "broken"], "--otel-headers"),
        (["--otel-pace", "-1"], "--otel-pace"),
        (["--otel-rate", "-1"], "--otel-rate"),
        (["--otel-time-scale", "0"], "--otel-time-scale"),
        (["--otel-bsp-max-export-batch-size", "9999"], "--otel-bsp-max-export-batch-size"),
    ],
    ids=["mix", "endpoint", "headers", "pace", "rate", "time-scale", "bsp"],
)
def test_bad_configuration_fails_fast_with_one_line(tmp_path, args, option):
    receiver = Receiver()
    if option != "--otel-endpoint":
        args = [*args, "--otel-platform", "otlp", "--otel-endpoint", receiver.url]
    result = run_locust(["--headless", "-u", "1", "-t", "5s", *args], tmp_path, timeout=60)
    receiver.shutdown()
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("otel-locust:")]
    assert len(lines) == 1 and lines[0].startswith(f"otel-locust: {option}:")
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert receiver.bodies == []


def test_console_platform_prints_trace_trees(tmp_path):
    result = run_locust(
        ["--headless", "-u", "1", "-r", "1", "-t", "2s", "--otel-platform", "console", "--otel-mix", "simple_query"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "simple_query:" in result.stdout and "invoke_agent travel_assistant" in result.stdout
    assert "└─ " in result.stdout


def test_html_report_and_csv_carry_the_final_trace_table(tmp_path):
    result = run_locust(
        [
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "3s",
            "--otel-pace",
            "0.2",
            "--html",
            "report.html",
            "--csv",
            "run",
            "--otel-summary",
            "summary.json",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = summary(tmp_path / "summary.json")
    page = (tmp_path / "report.html").read_text()
    assert 'id="otel-locust-traces"' in page and "Sink verified" in page
    rows = {line.split(",")[0]: line.split(",") for line in (tmp_path / "run_traces.csv").read_text().splitlines()}
    assert rows["Scenario"][:3] == ["Scenario", "Traces", "Delivered"]
    assert int(rows["Total"][1]) == data["total"]["traces"]["generated"], "the CSV has the final numbers"
    assert int(rows["Total"][-1]) == data["sink"]["traces_complete"]
